package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ProviderKind;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.provider.KeyProviders;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link DropGuard} when a key is deleted, keeps a Retired or Disabled key's material
 * until its destroyTime when a waiting period is configured (DestroyScheduled), and shreds the
 * material when it may go. The guard's rules are checked on every pass, also at destroyTime.
 */
class DropGuardHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DropGuardHandler.class);

  private final Settlements rings;
  private final KeyProviders providers;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;
  private final Clock clock;
  private final BiFunction<String, String, Duration> destroyAfter;

  DropGuardHandler(
      Settlements rings,
      KeyProviders providers,
      EventRecorder events,
      KeyopsMetrics metrics,
      Clock clock,
      BiFunction<String, String, Duration> destroyAfter) {
    this.destroyAfter = destroyAfter;
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
    try (var settlement = rings.open(ns, ring)) {
      EncryptionKey k = settlement.key(name).orElse(null);
      if (k == null) {
        return DeleteControl.noFinalizerRemoval();
      }
      Verdict v = guard(k);
      settlement.settleDeleting(k);
      if (!v.allowed()) {
        return DeleteControl.noFinalizerRemoval();
      }
      if (v.keepFor() != null) {
        DeleteControl keep = DeleteControl.noFinalizerRemoval();
        return v.keepFor().isZero() ? keep : keep.rescheduleAfter(v.keepFor());
      }
      // Leave the keyring first, then shred the material, then let the key go.
      try (var leaving = rings.open(ns, ring)) {
        leaving.key(name).ifPresent(leaving::settleDropping);
      }
    }
    if (key.getSpec().getProvider().kind() != ProviderKind.secretRef) {
      providers.deleteMaterial(key);
    }
    return DeleteControl.defaultDelete();
  }

  /**
   * What the drop guard says of a deleted key: whether it may go, and if so whether its material
   * waits (until its destroyTime, or without a deadline on request).
   */
  private record Verdict(boolean allowed, Duration keepFor) {}

  /**
   * Runs the drop guard on the key's copy: its DropBlocked or DestroyScheduled condition, events.
   */
  private Verdict guard(EncryptionKey k) {
    DropGuard.Decision d = rings.dropDecision(k);
    var b = StatusBuilder.of(k, k.getStatus(), clock.instant());
    EncryptionKeyStatus s = b.status();
    if (!d.allowed()) {
      if (s.getState() == KeyState.DestroyScheduled) {
        // An inventory found data on it after all: back into the keyring, nothing shredded.
        s.setState(KeyState.Retired);
        s.setDestroyTime(null);
        b.remove(DESTROY_SCHEDULED);
      }
      if (b.set(Conditions.DROP_BLOCKED, true, d.reason(), d.message())) {
        events.warning(k, d.reason(), "drop refused: " + d.message());
        metrics.dropRefused(d.reason().name());
      }
      return new Verdict(false, null);
    }
    Duration wait = schedule(k, b, d);
    if (wait != null) {
      return new Verdict(true, wait); // material kept until destroyTime, or kept on request
    }
    if (d.reason() == Reason.DropWithDataLoss) {
      LOG.warn(
          "key {}/{} dropped with keyops.dev/allow-data-loss: {}",
          k.getMetadata().getNamespace(),
          k.getMetadata().getName(),
          d.message());
      events.warning(k, Reason.DropWithDataLoss, d.message());
    } else {
      events.normal(k, Reason.DropAllowed, "dropped: " + d.message());
    }
    return new Verdict(true, null);
  }

  /**
   * Scheduled destruction of a Retired or Disabled key the drop guard lets go: its state becomes
   * DestroyScheduled (out of the keyring, material kept) until {@code status.destroyTime}. The
   * annotation {@code keyops.dev/keep: "true"} cancels it: the key returns to the state its spec
   * asks for (Retired, or Disabled) and keeps its material while the annotation stays.
   *
   * @return null to destroy now; zero to keep without a deadline; else how long to wait
   */
  private Duration schedule(
      EncryptionKey k, StatusBuilder<EncryptionKeyStatus> b, DropGuard.Decision d) {
    EncryptionKeyStatus s = b.status();
    Instant now = b.now();
    KeyState state = s.getState() == null ? KeyState.Staged : s.getState();
    if (state != KeyState.Retired
        && state != KeyState.Disabled
        && state != KeyState.DestroyScheduled) {
      return null; // a Staged key never encrypted anything
    }
    if (keepRequested(k)) {
      b.remove(Conditions.DROP_BLOCKED);
      if (state == KeyState.DestroyScheduled) {
        s.setState(k.getSpec().disableRequested() ? KeyState.Disabled : KeyState.Retired);
        s.setDestroyTime(null);
        String msg =
            "destruction cancelled by annotation "
                + EncryptionKey.KEEP_ANNOTATION
                + ": material kept, the key is "
                + s.getState()
                + " again (still Terminating); remove the annotation to schedule destruction again";
        b.set(DESTROY_SCHEDULED, false, Reason.DestroyCancelled, msg);
        events.normal(k, Reason.DestroyCancelled, msg);
        metrics.keyLifecycle(Reason.DestroyCancelled.name());
      }
      return Duration.ZERO;
    }
    Instant destroyAt = Settlements.instant(s.getDestroyTime());
    if (destroyAt == null) {
      Duration after = destroyAfter.apply(k.getMetadata().getNamespace(), k.getSpec().getKeyRing());
      if (after == null || after.isZero() || after.isNegative()) {
        return null; // no waiting period configured: destroyed at once, as before
      }
      destroyAt = now.plus(after);
      // A status write here is fine (the key stays); a key dropped at once writes nothing, so
      // that the finalizer removal never meets a conflict.
      b.remove(Conditions.DROP_BLOCKED);
      s.setState(KeyState.DestroyScheduled);
      s.setDestroyTime(destroyAt.toString());
      String msg =
          "deleted: out of the keyring, material kept until "
              + destroyAt
              + " ("
              + d.message()
              + "); to cancel, annotate "
              + EncryptionKey.KEEP_ANNOTATION
              + "=true";
      b.set(DESTROY_SCHEDULED, true, Reason.DestroyScheduled, msg);
      events.normal(k, Reason.DestroyScheduled, msg);
      metrics.keyLifecycle(Reason.DestroyScheduled.name());
    }
    if (now.isBefore(destroyAt)) {
      return Duration.between(now, destroyAt);
    }
    events.normal(
        k,
        Reason.KeyDestroyed,
        "destroyTime " + destroyAt + " reached: material destroyed (" + d.message() + ")");
    metrics.keyLifecycle(Reason.KeyDestroyed.name());
    return null;
  }

  static boolean keepRequested(EncryptionKey k) {
    return k.getMetadata().getAnnotations() != null
        && "true".equals(k.getMetadata().getAnnotations().get(EncryptionKey.KEEP_ANNOTATION));
  }

  /** Condition type: a deleted key waits for its destroyTime. */
  public static final String DESTROY_SCHEDULED = Conditions.DESTROY_SCHEDULED;
}
