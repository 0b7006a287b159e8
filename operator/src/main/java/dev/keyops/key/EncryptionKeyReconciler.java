package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.KmsStatus;
import dev.keyops.api.v1alpha1.ProviderKind;
import dev.keyops.kms.KeyProviders;
import dev.keyops.kms.KmsAccessValidator;
import dev.keyops.kms.KmsVersionFollower;
import dev.keyops.kms.Material;
import dev.keyops.kms.ProviderException;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.observability.Reason;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconciles EncryptionKeys: observe the key's material (and Cloud KMS access), settle its key ring
 * (states, keyring Secret), record status; on deletion, the drop guard.
 */
// Not generation-aware: status changes made for a key by another key's reconcile (Retired) or by
// a ReencryptionJob (partition counts) must wake the drop guard and the key ring.
@ControllerConfiguration(
    name = "encryptionkey",
    finalizerName = EncryptionKey.DROP_GUARD_FINALIZER,
    generationAwareEventProcessing = false)
public class EncryptionKeyReconciler implements Reconciler<EncryptionKey>, Cleaner<EncryptionKey> {

  /** Transient Cloud KMS failures in a row before a verified key is reported not verified. */
  public static final int FAILURES_BEFORE_UNVERIFIED = 3;

  private static final Duration NOT_READY_RETRY = Duration.ofSeconds(30);

  private final KeyRingCoordinator rings;
  private final KeyProviders providers;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;
  private final Clock clock;
  private final Duration revalidateInterval;
  private final DropGuardHandler dropGuard;
  private final KmsVersionFollower versions;

  public EncryptionKeyReconciler(
      KeyRingCoordinator rings,
      KeyProviders providers,
      EventRecorder events,
      KeyopsMetrics metrics,
      Clock clock,
      Duration revalidateInterval) {
    this.rings = rings;
    this.providers = providers;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.revalidateInterval = revalidateInterval;
    this.dropGuard = new DropGuardHandler(rings, providers, events, metrics, clock);
    this.versions = new KmsVersionFollower(providers, events, metrics, clock);
  }

  @Override
  public UpdateControl<EncryptionKey> reconcile(EncryptionKey key, Context<EncryptionKey> context) {
    Duration[] next = {revalidateInterval};
    EncryptionKey written =
        rings.settle(
            key.getMetadata().getNamespace(),
            key.getSpec().getKeyRing(),
            key.getMetadata().getName(),
            k -> observe(k, next),
            k -> observe(k, new Duration[1]),
            null,
            this::recordActivation);
    if (written == null) {
      return UpdateControl.noUpdate();
    }
    return UpdateControl.<EncryptionKey>noUpdate().rescheduleAfter(next[0]);
  }

  @Override
  public DeleteControl cleanup(EncryptionKey key, Context<EncryptionKey> context) {
    return dropGuard.cleanup(key);
  }

  /** Observes the material of a key on its fresh copy; returns it, or null when not Ready. */
  Material observe(EncryptionKey k, Duration[] next) {
    EncryptionKeyStatus s = k.getStatus();
    Instant now = clock.instant();
    Long gen = k.getMetadata().getGeneration();
    ProviderKind kind = k.getSpec().getProvider().kind();
    boolean gcp = kind == ProviderKind.gcpKms;
    s.setObservedGeneration(gen);
    s.setProvider(kind);
    if (s.getState() == null) {
      s.setState(KeyState.Staged);
    }
    boolean wasReady = Conditions.isTrue(s.getConditions(), Conditions.READY);
    if (gcp && s.getKms() == null) {
      s.setKms(new KmsStatus());
    }
    try {
      Material m;
      if (gcp
          && wasReady
          && s.getFingerprint() != null
          && !dueForKmsCheck(s.getKms(), now)
          && !KmsVersionFollower.revalidationRequested(k)) {
        m = providers.stored(k, s.getFingerprint());
        next[0] = untilNextKmsCheck(s.getKms(), now);
      } else {
        // A gcpKms key with a data key follows Cloud KMS key-version rotation (issue 16).
        m =
            gcp && s.getFingerprint() != null
                ? versions.revalidate(k)
                : providers.resolve(k, s.getFingerprint());
        if (gcp) {
          verified(k, (Material.Wrapped) m, now);
          next[0] = jittered(revalidateInterval);
        }
      }
      s.setFingerprint(m.fingerprint());
      if (Conditions.set(
          s.getConditions(),
          Conditions.READY,
          Conditions.TRUE,
          Reason.KeyMaterialValid.name(),
          readyMessage(k, m),
          gen,
          now)) {
        events.normal(k, Reason.KeyMaterialValid, readyMessage(k, m));
      }
      return m;
    } catch (ProviderException e) {
      return failed(k, e, wasReady, now, next);
    }
  }

  private Material failed(
      EncryptionKey k, ProviderException e, boolean wasReady, Instant now, Duration[] next) {
    EncryptionKeyStatus s = k.getStatus();
    Long gen = k.getMetadata().getGeneration();
    boolean gcp = s.getKms() != null;
    if (gcp) {
      metrics.kmsValidation(e.reason().name());
      if (e.transientFailure()) {
        int failures =
            (s.getKms().getConsecutiveFailures() == null ? 0 : s.getKms().getConsecutiveFailures())
                + 1;
        s.getKms().setConsecutiveFailures(failures);
        next[0] = min(Duration.ofSeconds(15L << Math.min(failures - 1, 6)), revalidateInterval);
        if (wasReady && failures < FAILURES_BEFORE_UNVERIFIED) {
          return null; // keep the verified state until the failure persists
        }
      } else {
        s.getKms().setConsecutiveFailures(0);
        next[0] = notReadyRetry();
      }
      s.getKms().setLastValidated(now.toString());
      s.getKms()
          .setMissingPermissions(
              e instanceof KmsAccessValidator.MissingPermissions mp ? mp.missing() : null);
      Conditions.set(
          s.getConditions(),
          Conditions.KMS_ACCESS_VERIFIED,
          Conditions.FALSE,
          e.reason().name(),
          e.getMessage(),
          gen,
          now);
    } else {
      next[0] = notReadyRetry();
    }
    if (Conditions.set(
        s.getConditions(),
        Conditions.READY,
        Conditions.FALSE,
        e.reason().name(),
        e.getMessage(),
        gen,
        now)) {
      KeyState state = s.getState();
      if (state == KeyState.Primary || state == KeyState.Retired) {
        if (gcp) {
          metrics.kmsAccessLost();
        }
        events.warning(
            k, e.reason(), e.getMessage() + " (the key stays " + state + "; nothing is deleted)");
      } else {
        events.warning(k, e.reason(), e.getMessage());
      }
    }
    return null;
  }

  private void verified(EncryptionKey k, Material.Wrapped m, Instant now) {
    KmsStatus kms = k.getStatus().getKms();
    kms.setLastValidated(now.toString());
    kms.setConsecutiveFailures(0);
    kms.setMissingPermissions(null);
    kms.setKeyVersion(m.keyVersion());
    metrics.kmsValidation(Reason.KmsAccessVerified.name());
    String msg =
        "operator can encrypt and decrypt with " + m.kmsKeyName() + " (round trip verified)";
    if (Conditions.set(
        k.getStatus().getConditions(),
        Conditions.KMS_ACCESS_VERIFIED,
        Conditions.TRUE,
        Reason.KmsAccessVerified.name(),
        msg,
        k.getMetadata().getGeneration(),
        now)) {
      events.normal(k, Reason.KmsAccessVerified, msg);
    }
  }

  /** The Promoted condition: why the key is, or is not, the Primary. */
  void recordActivation(EncryptionKey k, KeyLifecycle.Planned p) {
    EncryptionKeyStatus s = k.getStatus();
    String ring = k.getSpec().getKeyRing();
    Instant now = clock.instant();
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
      case Retired ->
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

  private static String readyMessage(EncryptionKey k, Material m) {
    return switch (k.getSpec().getProvider().kind()) {
      case managed ->
          "managed key material is held in Secret " + KeyProviders.materialSecretName(k);
      case secretRef ->
          "key material in Secret "
              + k.getSpec().getProvider().getSecretRef().getName()
              + " is a valid 256-bit key";
      case gcpKms -> "data key wrapped by Cloud KMS key " + ((Material.Wrapped) m).kmsKeyName();
    };
  }

  private boolean dueForKmsCheck(KmsStatus kms, Instant now) {
    return kms.getLastValidated() == null
        || !now.isBefore(Instant.parse(kms.getLastValidated()).plus(revalidateInterval));
  }

  private Duration untilNextKmsCheck(KmsStatus kms, Instant now) {
    Instant last = Instant.parse(kms.getLastValidated());
    Duration left = Duration.between(now, last.plus(revalidateInterval));
    return left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : left;
  }

  /** The interval +-10%, so keys created together do not revalidate together. */
  private Duration jittered(Duration d) {
    double f = 0.9 + ThreadLocalRandom.current().nextDouble() * 0.2;
    return Duration.ofMillis((long) (d.toMillis() * f));
  }

  /** How soon a key that is not Ready is looked at again (a Secret may have been fixed). */
  private Duration notReadyRetry() {
    return min(NOT_READY_RETRY, revalidateInterval);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }
}
