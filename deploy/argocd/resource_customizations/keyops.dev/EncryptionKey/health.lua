-- Argo CD health of a keyops EncryptionKey (keyops.dev/v1alpha1).
-- Healthy: Ready (Staged, Primary or Retired as asked). Progressing: not reconciled yet, or
-- activated and waiting to be promoted. Degraded: not Ready (bad material, Cloud KMS access
-- lost, activation refused), a drop refused by the drop guard, or Stalled (the kstatus condition:
-- a disable refused, the Cloud KMS key version that wraps it at risk). Suspended: Disabled
-- (material kept, out of the keyring).
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

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for keyops to reconcile the key"
  return hs
end

if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for keyops to observe generation " .. obj.metadata.generation
  return hs
end

local dropBlocked = condition("DropBlocked")
if obj.metadata.deletionTimestamp ~= nil then
  if dropBlocked ~= nil and dropBlocked.status == "True" then
    hs.status = "Degraded"
    hs.message = "Drop refused: " .. describe(dropBlocked)
  else
    hs.status = "Progressing"
    hs.message = "Key is being dropped"
  end
  return hs
end

local state = obj.status.state or "Staged"
if state == "Disabled" then
  hs.status = "Suspended"
  hs.message = "Key is Disabled: out of the keyring, material kept"
  return hs
end

local ready = condition("Ready")
if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Validating the key material"
  return hs
end
if ready.status == "False" then
  hs.status = "Degraded"
  hs.message = state .. ", not Ready: " .. describe(ready)
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = state .. ", stalled: " .. describe(stalled)
  return hs
end

local promoted = condition("Promoted")
if promoted ~= nil and promoted.status == "False" and state == "Staged"
    and obj.spec ~= nil and obj.spec.activate == true then
  hs.status = "Degraded"
  hs.message = "Activation refused: " .. describe(promoted)
  return hs
end
if state == "Staged" and obj.spec ~= nil and obj.spec.activate == true then
  hs.status = "Progressing"
  hs.message = "Activated, waiting to become Primary"
  return hs
end

hs.status = "Healthy"
if state == "Primary" then
  hs.message = "Primary key of key ring " .. (obj.spec and obj.spec.keyRing or "?")
elseif state == "Retired" then
  hs.message = "Retired: decrypt-only"
else
  hs.message = state .. ": decrypt-only; set spec.activate to make it Primary"
end
return hs
