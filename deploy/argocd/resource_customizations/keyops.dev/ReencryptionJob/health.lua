-- Argo CD health of a keyops ReencryptionJob (keyops.dev/v1alpha1).
-- Healthy: Succeeded. Progressing: not started yet or Running. Suspended: Pending while another
-- job of the key ring runs (Queued) or until the target key is Primary, or spec.suspend. Degraded:
-- Failed, the target key does not exist, or Stalled.
local hs = {}

local function condition(t)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == t then
        return c
      end
    end
  end
  return nil
end

local function describe(c)
  local msg = c.reason or c.type
  if c.message ~= nil and c.message ~= "" then
    msg = msg .. ": " .. c.message
  end
  return msg
end

local function count(name)
  if obj.status.partitions ~= nil and obj.status.partitions[name] ~= nil then
    return obj.status.partitions[name]
  end
  return 0
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended (spec.suspend)"
  return hs
end

if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for keyops to start the job"
  return hs
end

local phase = obj.status.phase
local failed = condition("Failed")
if phase == "Failed" or (failed ~= nil and failed.status == "True") then
  hs.status = "Degraded"
  if failed ~= nil then
    hs.message = "Failed: " .. describe(failed)
  else
    hs.message = "Failed"
  end
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = "Stalled: " .. describe(stalled)
  return hs
end

if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Succeeded: " .. count("rebuilt") .. " rebuilt, " .. count("alreadyOnTarget")
      .. " already on the target key, " .. count("total") .. " partitions"
  return hs
end

local waiting = condition("Waiting")
if phase == "Pending" and waiting ~= nil and waiting.status == "True" then
  if waiting.reason == "TargetKeyNotFound" then
    hs.status = "Degraded"
  else
    hs.status = "Suspended"
  end
  hs.message = describe(waiting)
  return hs
end

hs.status = "Progressing"
if phase == "Running" then
  hs.message = "Running: " .. count("rebuilt") .. " rebuilt of " .. count("total") .. " partitions"
else
  hs.message = phase
end
return hs
