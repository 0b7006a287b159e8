package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.observability.Conditions;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;

/** Reconciles EncryptionKeys. */
@ControllerConfiguration(name = "encryptionkey")
public class EncryptionKeyReconciler implements Reconciler<EncryptionKey> {

  private final Clock clock;

  public EncryptionKeyReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public UpdateControl<EncryptionKey> reconcile(EncryptionKey key, Context<EncryptionKey> context) {
    EncryptionKeyStatus status =
        key.getStatus() == null ? new EncryptionKeyStatus() : key.getStatus();
    status.setObservedGeneration(key.getMetadata().getGeneration());
    Conditions.set(
        status.getConditions(),
        Conditions.READY,
        Conditions.UNKNOWN,
        "Reconciling",
        "keyops is validating this key",
        key.getMetadata().getGeneration(),
        clock.instant());
    EncryptionKey patch = new EncryptionKey();
    patch.setMetadata(key.getMetadata());
    patch.setStatus(status);
    return UpdateControl.patchStatus(patch);
  }
}
