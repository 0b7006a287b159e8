package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.Reason;
import java.time.Instant;

/** The Promoted condition of a key: why it is, or is not, the Primary of its ring. */
final class Promotion {

  private Promotion() {}

  static void record(EncryptionKey k, KeyLifecycle.Planned p, EventRecorder events, Instant now) {
    EncryptionKeyStatus s = k.getStatus();
    String ring = k.getSpec().getKeyRing();
    Long gen = k.getMetadata().getGeneration();
    switch (p.state()) {
      case Primary ->
          Conditions.set(
              s.getConditions(),
              "Promoted",
              Conditions.TRUE,
              Reason.Promoted.name(),
              "Primary of key ring " + ring + " since " + s.getActivatedAt(),
              gen,
              now);
      case Retired, Disabled, DestroyScheduled ->
          Conditions.set(
              s.getConditions(),
              "Promoted",
              Conditions.FALSE,
              Reason.Retired.name(),
              "retired at " + s.getRetiredAt() + "; decrypt-only",
              gen,
              now);
      default -> {
        if (p.activationRefused()) {
          String why =
              Conditions.find(s.getConditions(), Conditions.READY)
                  .map(c -> c.getMessage())
                  .orElse("the key is not Ready");
          String msg =
              "activation refused: the key is not Ready (" + why + "); it is promoted once it is";
          boolean changed =
              !Conditions.find(s.getConditions(), "Promoted")
                  .map(c -> Reason.ActivationRefused.name().equals(c.getReason()))
                  .orElse(false);
          Conditions.set(
              s.getConditions(),
              "Promoted",
              Conditions.FALSE,
              Reason.ActivationRefused.name(),
              msg,
              gen,
              now);
          if (changed) {
            events.warning(k, Reason.ActivationRefused, msg);
          }
        } else if (p.waitingForReaders()) {
          String msg =
              p.stagedUntil() == null
                  ? "activation requested: waiting until keyops lists the key in the keyring"
                      + " Secret; it then stays Staged for its stagedFor so every reader learns it"
                      + " before writers use it"
                  : "activation requested: becomes the Primary at "
                      + p.stagedUntil()
                      + ", once it has been in the keyring Secret (since "
                      + s.getInKeyringSince()
                      + ") for its stagedFor, so every reader learns it before writers use it";
          Conditions.set(
              s.getConditions(),
              "Promoted",
              Conditions.FALSE,
              Reason.WaitingForReaders.name(),
              msg,
              gen,
              now);
        } else {
          Conditions.set(
              s.getConditions(),
              "Promoted",
              Conditions.FALSE,
              Reason.Staged.name(),
              "Staged: readers know this key (decrypt-only); set spec.activate: true to make it the Primary",
              gen,
              now);
        }
      }
    }
  }
}
