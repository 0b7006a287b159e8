-- Argo CD health of a keyops KeyRing (keyops.dev/v1alpha1), from the kstatus conditions keyops
-- sets (Reconciling, Stalled, Ready). Healthy: the policy is applied and no rotation is under way.
-- Progressing: not reconciled yet, status older than the spec, or rotating (a new key Staged for
-- spec.rotation.stagedFor). Degraded: keyops cannot go on by itself (the new key cannot become
-- Ready; a manual rotation is due). Suspended: rotation is by hand (no keyTemplate) and the next
-- one is not due yet: keyops waits for a person.
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

local function isTrue(c)
  return c ~= nil and c.status == "True"
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
  hs.message = "Waiting for keyops to reconcile the key ring"
  return hs
end

if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for keyops to observe generation " .. obj.metadata.generation
  return hs
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Policy being removed; the ring's keys stay"
  return hs
end

local ready = condition("Ready")
local stalled = condition("Stalled")
local due = condition("RotationDue")
-- Rotation by hand: keyops sets Stalled (and, before kstatus conditions, Ready=False) NoKeyTemplate.
local byHand = (isTrue(stalled) and stalled.reason == "NoKeyTemplate")
    or (ready ~= nil and ready.status == "False" and ready.reason == "NoKeyTemplate")
if byHand then
  if isTrue(due) then
    hs.status = "Degraded"
    hs.message = "Manual rotation due: " .. describe(due)
  else
    hs.status = "Suspended"
    hs.message = "Rotation by hand (no keyTemplate)"
    if due ~= nil and due.message ~= nil then
      hs.message = hs.message .. ": " .. due.message
    end
  end
  return hs
end
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

local reconciling = condition("Reconciling")
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
  return hs
end
if obj.status.pendingKey ~= nil then
  hs.status = "Progressing"
  hs.message = "Rotating: the new key " .. obj.status.pendingKey .. " is Staged"
  return hs
end
if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = "Waiting for keyops to apply the policy"
  return hs
end

hs.status = "Healthy"
if obj.status.primary ~= nil then
  hs.message = "Primary " .. obj.status.primary
else
  hs.message = "No Primary key yet"
end
if obj.status.nextRotationTime ~= nil then
  hs.message = hs.message .. "; next rotation at " .. obj.status.nextRotationTime
else
  hs.message = hs.message .. "; rotated by hand"
end
if isTrue(condition("ReencryptionPending")) then
  hs.message = hs.message .. "; Retired keys may still hold partitions"
end
return hs
