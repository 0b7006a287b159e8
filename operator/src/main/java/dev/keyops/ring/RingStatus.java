package dev.keyops.ring;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.RingKey;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KStatus;
import dev.keyops.observability.Reason;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;

/**
 * What a KeyRing's status says: its keys, its Primary, and the conditions Ready, RotationDue,
 * ReencryptionPending.
 */
final class RingStatus {

  static final String READY = Conditions.READY;
  static final String ROTATION_DUE = "RotationDue";
  static final String REENCRYPTION_PENDING = "ReencryptionPending";
  static final String ROTATION_REQUEST = RotationRequests.CONDITION;

  private final EventRecorder events;

  private final dev.keyops.key.Inventories inventories;

  RingStatus(EventRecorder events, dev.keyops.key.Inventories inventories) {
    this.inventories = inventories;
    this.events = events;
  }

  /** An on-demand request was acted on: {@code key} was created for it. */
  void requestActedOn(KeyRing ring, KeyRingStatus s, String request, String key, Instant now) {
    s.setRotationRequestHandled(request);
    Conditions.set(
        s.getConditions(),
        ROTATION_REQUEST,
        Conditions.TRUE,
        Reason.KeyCreated.name(),
        "rotation request "
            + request
            + " acted on: created key "
            + key
            + "; it becomes Primary after spec.rotation.stagedFor once Ready",
        ring.getMetadata().getGeneration(),
        now);
  }

  /**
   * An on-demand request was refused: recorded as handled, with the reason in the condition
   * RotationRequest and a Warning event, both saying what to do.
   */
  void requestRefused(
      KeyRing ring, KeyRingStatus s, String request, Reason why, String message, Instant now) {
    s.setRotationRequestHandled(request);
    String text = "rotation request " + request + " refused: " + message;
    Conditions.set(
        s.getConditions(),
        ROTATION_REQUEST,
        Conditions.FALSE,
        why.name(),
        text,
        ring.getMetadata().getGeneration(),
        now);
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
    Long gen = ring.getMetadata().getGeneration();
    if (notCreated != null) {
      // A due rotation found every name taken: said, and tried again with the next second's names.
      Conditions.set(
          s.getConditions(),
          ROTATION_DUE,
          Conditions.TRUE,
          Reason.KeyNameTaken.name(),
          notCreated,
          gen,
          now);
      events.warning(ring, Reason.KeyNameTaken, notCreated);
      return new KStatus.Verdict(KStatus.Progress.STALLED, Reason.KeyNameTaken.name(), notCreated);
    }
    if (!canRotate) {
      String msg =
          "spec.rotation has no keyTemplate: keyops cannot create material for this ring (customer"
              + " secretRef keys); rotate by hand: apply a new EncryptionKey with activate: true,"
              + " or set keyTemplate to managed or gcpKms";
      boolean news =
          !Conditions.find(s.getConditions(), READY)
              .map(c -> Reason.NoKeyTemplate.name().equals(c.getReason()))
              .orElse(false);
      if (news) {
        events.warning(ring, Reason.NoKeyTemplate, msg);
      }
      String due =
          d.due()
              ? "a rotation is due: apply and activate a new key by hand"
              : "next rotation by hand due at " + d.nextRotation();
      if (Conditions.set(
              s.getConditions(),
              ROTATION_DUE,
              d.due() ? Conditions.TRUE : Conditions.FALSE,
              d.due() ? Reason.ManualRotationRequired.name() : Reason.RotationScheduled.name(),
              due,
              gen,
              now)
          && d.due()) {
        events.warning(ring, Reason.ManualRotationRequired, due);
      }
      return new KStatus.Verdict(
          KStatus.Progress.STALLED, Reason.NoKeyTemplate.name(), msg + "; " + due);
    }
    boolean rotating = s.getPendingKey() != null;
    Conditions.set(
        s.getConditions(),
        ROTATION_DUE,
        rotating || d.due() ? Conditions.TRUE : Conditions.FALSE,
        rotating || d.due() ? Reason.RotationDue.name() : Reason.RotationScheduled.name(),
        rotating
            ? "rotating: key "
                + s.getPendingKey()
                + " is Staged; activated after stagedFor once Ready"
            : d.due() ? "a rotation is due" : "next rotation at " + d.nextRotation(),
        gen,
        now);
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
    Long gen = ring.getMetadata().getGeneration();
    s.setObservedGeneration(gen);
    s.setKeys(ks.stream().map(k -> ringKey(k, ks)).toList());
    s.setPrimary(
        ks.stream()
            .filter(k -> KeyRingReconciler.stateOf(k) == KeyState.Primary)
            .map(k -> k.getMetadata().getName())
            .findFirst()
            .orElse(null));
    if (ring.getSpec() == null || ring.getSpec().getRotation() == null) {
      Conditions.remove(s.getConditions(), ROTATION_DUE);
    }
    Condition pendingStalled =
        ks.stream()
            .filter(k -> k.getMetadata().getName().equals(s.getPendingKey()))
            .filter(k -> k.getStatus() != null)
            .flatMap(k -> Conditions.find(k.getStatus().getConditions(), KStatus.STALLED).stream())
            .filter(c -> Conditions.TRUE.equals(c.getStatus()))
            .findFirst()
            .orElse(null);
    KStatus.record(
        s.getConditions(), KStatus.ring(policy, s.getPendingKey(), pendingStalled), true, gen, now);
    List<String> withData =
        ks.stream()
            .filter(
                k ->
                    KeyRingReconciler.stateOf(k) == KeyState.Retired
                        && !RingActions.freeOfData(inventories, k, ks))
            .map(k -> k.getMetadata().getName())
            .toList();
    Conditions.set(
        s.getConditions(),
        REENCRYPTION_PENDING,
        withData.isEmpty() ? Conditions.FALSE : Conditions.TRUE,
        withData.isEmpty() ? Reason.AllRebuilt.name() : Reason.PartitionsOnOldKeys.name(),
        withData.isEmpty()
            ? "no Retired key holds data according to the last inventory"
            : "Retired key(s) "
                + String.join(", ", withData)
                + " may still hold partitions (no inventory after retirement found none): run a"
                + " ReencryptionJob",
        gen,
        now);
  }
}
