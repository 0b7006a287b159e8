package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.observability.EventRecorder;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;

/** The Promoted condition of a key: why it is, or is not, the Primary of its ring. */
final class Promotion {

  static final String PROMOTED = Conditions.PROMOTED;

  private Promotion() {}

  static void record(
      EncryptionKey k,
      StatusBuilder<EncryptionKeyStatus> b,
      KeyLifecycle.Planned p,
      EventRecorder events) {
    EncryptionKeyStatus s = b.status();
    String ring = k.getSpec().getKeyRing();
    switch (p.state()) {
      case Primary ->
          b.set(
              PROMOTED,
              true,
              Reason.Promoted,
              "Primary of key ring " + ring + " since " + s.getActivatedAt());
      case Retired, Disabled, DestroyScheduled ->
          b.set(
              PROMOTED, false, Reason.Retired, "retired at " + s.getRetiredAt() + "; decrypt-only");
      default -> {
        if (p.activationRefused()) {
          String why =
              b.find(Conditions.READY).map(c -> c.getMessage()).orElse("the key is not Ready");
          String msg =
              "activation refused: the key is not Ready (" + why + "); it is promoted once it is";
          boolean changed = !b.hasReason(PROMOTED, Reason.ActivationRefused);
          b.set(PROMOTED, false, Reason.ActivationRefused, msg);
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
          b.set(PROMOTED, false, Reason.WaitingForReaders, msg);
        } else {
          b.set(
              PROMOTED,
              false,
              Reason.Staged,
              "Staged: readers know this key (decrypt-only); set spec.activate: true to make it the Primary");
        }
      }
    }
  }
}
