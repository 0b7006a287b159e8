package dev.keyops.ring;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.RingKey;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.Reason;
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

  private final EventRecorder events;

  RingStatus(EventRecorder events) {
    this.events = events;
  }

  /** Ready and RotationDue after a rotation decision. */
  void rotation(
      KeyRing ring, KeyRingStatus s, RotationRules.Decision d, boolean canRotate, Instant now) {
    Long gen = ring.getMetadata().getGeneration();
    if (!canRotate) {
      String msg =
          "spec.rotation has no keyTemplate: keyops cannot create material for this ring (customer"
              + " secretRef keys); rotate by hand: apply a new EncryptionKey with activate: true,"
              + " or set keyTemplate to managed or gcpKms";
      if (Conditions.set(
          s.getConditions(), READY, Conditions.FALSE, Reason.NoKeyTemplate.name(), msg, gen, now)) {
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
      return;
    }
    Conditions.set(
        s.getConditions(),
        READY,
        Conditions.TRUE,
        Reason.PolicyApplied.name(),
        "rotation every "
            + ring.getSpec().getRotation().getPeriod()
            + " with new "
            + (ring.getSpec().getRotation().getKeyTemplate().getGcpKms() != null
                ? "gcpKms"
                : "managed")
            + " keys",
        gen,
        now);
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
  }

  /** Keys by state, the Primary, and whether old keys still hold data. */
  void record(KeyRing ring, KeyRingStatus s, List<EncryptionKey> ks, Instant now) {
    Long gen = ring.getMetadata().getGeneration();
    s.setObservedGeneration(gen);
    s.setKeys(
        ks.stream()
            .map(
                k ->
                    new RingKey(
                        k.getMetadata().getName(),
                        KeyRingReconciler.stateOf(k),
                        k.getStatus() == null || k.getStatus().getPartitions() == null
                            ? null
                            : k.getStatus().getPartitions().getCount()))
            .toList());
    s.setPrimary(
        ks.stream()
            .filter(k -> KeyRingReconciler.stateOf(k) == KeyState.Primary)
            .map(k -> k.getMetadata().getName())
            .findFirst()
            .orElse(null));
    if (ring.getSpec() == null || ring.getSpec().getRotation() == null) {
      Conditions.set(
          s.getConditions(),
          READY,
          Conditions.TRUE,
          Reason.PolicyApplied.name(),
          "no automatic rotation: keys are rotated by hand",
          gen,
          now);
      Conditions.remove(s.getConditions(), ROTATION_DUE);
    }
    List<String> withData =
        ks.stream()
            .filter(
                k -> KeyRingReconciler.stateOf(k) == KeyState.Retired && !RingActions.freeOfData(k))
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
