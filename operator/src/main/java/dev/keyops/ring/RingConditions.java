package dev.keyops.ring;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.RingKey;
import dev.keyops.observability.EventRecorder;
import dev.keyops.status.Conditions;
import dev.keyops.status.KStatus;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;

/**
 * What a KeyRing's status says: its keys, its Primary, and the conditions Ready, RotationDue,
 * ReencryptionPending.
 */
final class RingConditions {

  static final String READY = Conditions.READY;
  static final String ROTATION_DUE = "RotationDue";
  static final String REENCRYPTION_PENDING = "ReencryptionPending";
  static final String ROTATION_REQUEST = RotationRequests.CONDITION;

  private final EventRecorder events;

  private final dev.keyops.key.Inventories inventories;

  RingConditions(EventRecorder events, dev.keyops.key.Inventories inventories) {
    this.inventories = inventories;
    this.events = events;
  }

  /** An on-demand request was acted on: {@code key} was created for it. */
  void requestActedOn(KeyRing ring, KeyRingStatus s, String request, String key, Instant now) {
    var b = StatusBuilder.of(ring, s, now);
    s.setRotationRequestHandled(request);
    b.set(
        ROTATION_REQUEST,
        true,
        Reason.KeyCreated,
        "rotation request "
            + request
            + " acted on: created key "
            + key
            + "; it becomes Primary after spec.rotation.stagedFor once Ready");
  }

  /**
   * An on-demand request was refused: recorded as handled, with the reason in the condition
   * RotationRequest and a Warning event, both saying what to do.
   */
  void requestRefused(
      KeyRing ring, KeyRingStatus s, String request, Reason why, String message, Instant now) {
    var b = StatusBuilder.of(ring, s, now);
    s.setRotationRequestHandled(request);
    String text = "rotation request " + request + " refused: " + message;
    b.set(ROTATION_REQUEST, false, why, text);
    events.warning(ring, Reason.RotationRequestRefused, text);
  }

  /**
   * RotationDue after a rotation decision; returns the policy's verdict (Ready or Stalled, see
   * {@link KStatus}), which {@link #record} writes.
   */
  KStatus.Verdict rotation(
      KeyRing ring,
      KeyRingStatus s,
      RotationRules.Decision d,
      boolean canRotate,
      String notCreated,
      Instant now) {
    var b = StatusBuilder.of(ring, s, now);
    if (notCreated != null) {
      // A due rotation found every name taken: said, and tried again with the next second's names.
      b.set(ROTATION_DUE, true, Reason.KeyNameTaken, notCreated);
      events.warning(ring, Reason.KeyNameTaken, notCreated);
      return new KStatus.Verdict(KStatus.Progress.STALLED, Reason.KeyNameTaken.name(), notCreated);
    }
    if (!canRotate) {
      String msg =
          "spec.rotation has no keyTemplate: keyops cannot create material for this ring (customer"
              + " secretRef keys); rotate by hand: apply a new EncryptionKey with activate: true,"
              + " or set keyTemplate to managed or gcpKms";
      if (!b.hasReason(READY, Reason.NoKeyTemplate)) {
        events.warning(ring, Reason.NoKeyTemplate, msg);
      }
      String due =
          d.due()
              ? "a rotation is due: apply and activate a new key by hand"
              : "next rotation by hand due at " + d.nextRotation();
      if (b.set(
              ROTATION_DUE,
              d.due(),
              d.due() ? Reason.ManualRotationRequired : Reason.RotationScheduled,
              due)
          && d.due()) {
        events.warning(ring, Reason.ManualRotationRequired, due);
      }
      return new KStatus.Verdict(
          KStatus.Progress.STALLED, Reason.NoKeyTemplate.name(), msg + "; " + due);
    }
    boolean rotating = s.getPendingKey() != null;
    b.set(
        ROTATION_DUE,
        rotating || d.due(),
        rotating || d.due() ? Reason.RotationDue : Reason.RotationScheduled,
        rotating
            ? "rotating: key "
                + s.getPendingKey()
                + " is Staged; activated after stagedFor once Ready"
            : d.due() ? "a rotation is due" : "next rotation at " + d.nextRotation());
    return new KStatus.Verdict(
        KStatus.Progress.CURRENT,
        Reason.PolicyApplied.name(),
        "rotation every "
            + ring.getSpec().getRotation().getPeriod()
            + " with new "
            + (ring.getSpec().getRotation().getKeyTemplate().getGcpKms() != null
                ? "gcpKms"
                : "managed")
            + " keys");
  }

  /** The verdict of a ring without spec.rotation. */
  static KStatus.Verdict noRotation() {
    return new KStatus.Verdict(
        KStatus.Progress.CURRENT,
        Reason.PolicyApplied.name(),
        "no automatic rotation: keys are rotated by hand");
  }

  /** One key as the status lists it; a Retired key with the drop guard's inventory verdict. */
  private RingKey ringKey(EncryptionKey k, List<EncryptionKey> ks) {
    KeyState state = KeyRingReconciler.stateOf(k);
    RingKey r =
        new RingKey(
            k.getMetadata().getName(),
            state,
            k.getStatus() == null || k.getStatus().getPartitions() == null
                ? null
                : k.getStatus().getPartitions().getCount());
    if (state == KeyState.Retired) {
      dev.keyops.key.DropGuard.Decision d = inventories.retired(k, ks);
      r.setMayDrop(d.allowed());
      r.setDropBlocked(d.allowed() ? null : d.reason() + ": " + d.message());
    }
    return r;
  }

  /**
   * Keys by state, the Primary, whether old keys still hold data, and the kstatus conditions
   * (Ready, Reconciling while rotating, Stalled) from the policy's verdict.
   */
  void record(
      KeyRing ring, KeyRingStatus s, List<EncryptionKey> ks, KStatus.Verdict policy, Instant now) {
    var b = StatusBuilder.of(ring, s, now).observed();
    s.setKeys(ks.stream().map(k -> ringKey(k, ks)).toList());
    s.setPrimary(
        ks.stream()
            .filter(k -> KeyRingReconciler.stateOf(k) == KeyState.Primary)
            .map(k -> k.getMetadata().getName())
            .findFirst()
            .orElse(null));
    if (ring.getSpec() == null || ring.getSpec().getRotation() == null) {
      b.remove(ROTATION_DUE);
    }
    Condition pendingStalled =
        ks.stream()
            .filter(k -> k.getMetadata().getName().equals(s.getPendingKey()))
            .filter(k -> k.getStatus() != null)
            .filter(k -> k.getStatus().isTrue(KStatus.STALLED))
            .flatMap(k -> k.getStatus().condition(KStatus.STALLED).stream())
            .findFirst()
            .orElse(null);
    b.kstatus(KStatus.ring(policy, s.getPendingKey(), pendingStalled), true);
    List<String> withData =
        ks.stream()
            .filter(
                k ->
                    KeyRingReconciler.stateOf(k) == KeyState.Retired
                        && !RingActions.freeOfData(inventories, k, ks))
            .map(k -> k.getMetadata().getName())
            .toList();
    b.set(
        REENCRYPTION_PENDING,
        !(withData.isEmpty()),
        withData.isEmpty() ? Reason.AllRebuilt : Reason.PartitionsOnOldKeys,
        withData.isEmpty()
            ? "no Retired key holds data according to the last inventory"
            : "Retired key(s) "
                + String.join(", ", withData)
                + " may still hold partitions (no inventory after retirement found none): run a"
                + " ReencryptionJob");
  }
}
