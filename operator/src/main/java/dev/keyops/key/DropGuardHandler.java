package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.ProviderKind;
import dev.keyops.kms.KeyProviders;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.observability.Reason;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the {@link DropGuard} when a key is deleted, and shreds its material when it may go. */
class DropGuardHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DropGuardHandler.class);

  private final KeyRingCoordinator rings;
  private final KeyProviders providers;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;
  private final Clock clock;

  DropGuardHandler(
      KeyRingCoordinator rings,
      KeyProviders providers,
      EventRecorder events,
      KeyopsMetrics metrics,
      Clock clock) {
    this.rings = rings;
    this.providers = providers;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  DeleteControl cleanup(EncryptionKey key) {
    String ns = key.getMetadata().getNamespace();
    String ring = key.getSpec().getKeyRing();
    String name = key.getMetadata().getName();
    boolean[] allowed = {false};
    synchronized (rings.lock(ns, ring)) {
      rings.settle(
          ns,
          ring,
          name,
          k -> {
            DropGuard.Decision d = decide(k);
            allowed[0] = d.allowed();
            EncryptionKeyStatus s = k.getStatus();
            Instant now = clock.instant();
            if (!d.allowed()) {
              if (Conditions.set(
                  s.getConditions(),
                  Conditions.DROP_BLOCKED,
                  Conditions.TRUE,
                  d.reason().name(),
                  d.message(),
                  k.getMetadata().getGeneration(),
                  now)) {
                events.warning(k, d.reason(), "drop refused: " + d.message());
                metrics.dropRefused(d.reason().name());
              }
            } else if (d.reason() == Reason.DropWithDataLoss) {
              LOG.warn(
                  "key {}/{} dropped with keyops.dev/allow-data-loss: {}", ns, name, d.message());
              events.warning(k, Reason.DropWithDataLoss, d.message());
            } else {
              events.normal(k, Reason.DropAllowed, "dropped: " + d.message());
            }
            return null;
          },
          null,
          null,
          null);
      if (!allowed[0]) {
        return DeleteControl.noFinalizerRemoval();
      }
      // Leave the keyring first, then shred the material, then let the key go.
      rings.settle(ns, ring, name, k -> null, null, name, null);
    }
    if (key.getSpec().getProvider().kind() != ProviderKind.secretRef) {
      providers.deleteMaterial(key);
    }
    metrics.keyGone(key.getMetadata().getUid());
    return DeleteControl.defaultDelete();
  }

  static DropGuard.Decision decide(EncryptionKey k) {
    EncryptionKeyStatus s = k.getStatus();
    PartitionCount p = s.getPartitions();
    boolean breakGlass =
        k.getMetadata().getAnnotations() != null
            && "true"
                .equals(
                    k.getMetadata().getAnnotations().get(EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION));
    return DropGuard.decide(
        s.getState(),
        k.getSpec().getKeyRing(),
        KeyRingCoordinator.instant(s.getRetiredAt()),
        p == null ? null : p.getCount(),
        p == null ? null : KeyRingCoordinator.instant(p.getCountedAt()),
        breakGlass);
  }
}
