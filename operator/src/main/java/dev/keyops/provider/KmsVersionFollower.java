package dev.keyops.provider;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KmsStatus;
import dev.keyops.kms.gcp.KmsException;
import dev.keyops.kms.gcp.KmsGateway;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.provider.KeyVersionRules.Action;
import dev.keyops.provider.KeyVersionRules.Plan;
import dev.keyops.provider.KeyVersionRules.Risk;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Revalidates a gcpKms key whose data key exists, and follows Cloud KMS key-version rotation: when
 * the key's primary version is no longer the one that wrapped the stored data key, the same data
 * key is re-wrapped with the primary (Encrypt, same associated data), the new wrapping is verified
 * by unwrapping it (same fingerprint) and then replaces the stored one (see {@link
 * KeyProviders#storeRewrapped} for crash safety). The key's id, fingerprint and material never
 * change, so no partition is touched.
 *
 * <p>When the version that wraps the data key is DISABLED, DESTROY_SCHEDULED or DESTROYED, nothing
 * can be unwrapped or re-wrapped: the condition {@code DataAtRisk} says so, with the version, what
 * to do and, for DESTROY_SCHEDULED, the time left; a Warning event and the gauges {@code
 * keyops_keys_data_at_risk} and {@code keyops_kms_version_destroy_time_seconds} let an alert fire.
 * keyops deletes and changes nothing then.
 *
 * <p>At most one Encrypt per key per primary version: a wrapping made but not yet stored (say the
 * verify Decrypt or the Secret write failed) is kept in memory and stored on the next attempt; an
 * Encrypt that was denied is tried again only after TestIamPermissions shows the permission is back
 * (or a user asks for a revalidation). Plaintext data keys are zeroed after use and never leave
 * this class.
 */
public class KmsVersionFollower {

  /** Set it to any new value to make keyops revalidate the key now (once per value). */
  public static final String REVALIDATE_ANNOTATION = "keyops.dev/revalidate-requested";

  private final KeyProviders providers;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;
  private final Clock clock;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, String> encryptDeniedFor = new ConcurrentHashMap<>();

  /** A new wrapping that Cloud KMS made but that is not stored yet. */
  private record Pending(String primaryVersion, String fingerprint, KmsGateway.Wrapped wrapped) {}

  public KmsVersionFollower(
      KeyProviders providers, EventRecorder events, KeyopsMetrics metrics, Clock clock) {
    this.providers = providers;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Whether a user asked (annotation) for a revalidation that has not been acted on yet. */
  public static boolean revalidationRequested(EncryptionKey k) {
    String asked = requested(k);
    KmsStatus kms = k.getStatus() == null ? null : k.getStatus().getKms();
    return asked != null && (kms == null || !asked.equals(kms.getRevalidateRequested()));
  }

  private static String requested(EncryptionKey k) {
    Map<String, String> a = k.getMetadata().getAnnotations();
    return a == null ? null : a.get(REVALIDATE_ANNOTATION);
  }

  /**
   * Records a pending revalidation request as acted on (once, whatever the outcome), for every
   * provider that follows its key manager (gcpKms, awsKms, transit).
   */
  static void acknowledgeRevalidation(EncryptionKey k) {
    KmsStatus kms = k.getStatus().getKms();
    if (kms != null && revalidationRequested(k)) {
      kms.setRevalidateRequested(requested(k));
    }
  }

  /**
   * Revalidates a gcpKms key that already has a data key (status.fingerprint recorded):
   * GetCryptoKey (cached, unless a user asked for this revalidation), the state of the wrapping
   * version when it is not the primary, then either a re-wrap onto the primary or an unwrap of the
   * stored data key (proving decrypt still works). Records status.kms and the DataAtRisk condition
   * on {@code k}.
   *
   * @return the material as stored now
   * @throws ProviderException why the key cannot be used now (transient ones marked so)
   */
  public Material.Wrapped revalidate(EncryptionKey k) {
    KmsStatus kms = k.getStatus().getKms();
    boolean asked = revalidationRequested(k);
    acknowledgeRevalidation(k);
    String name = k.getSpec().getProvider().getGcpKms().getKeyName();
    KmsAccessValidator.parseName(name);
    KmsGateway gateway = providers.gatewayFor(k);
    Secret secret = providers.wrappedMaterialSecret(k);
    if (secret == null || KeyProviders.wrappedKeyOf(secret) == null) {
      throw KeyProviders.materialGone(k, "this key's wrapped data key", "");
    }
    String stored = KeyProviders.keyVersionOf(secret);
    KmsGateway.CryptoKeyInfo info = providers.cryptoKey(gateway, name, asked);
    Plan plan = plan(gateway, name, k, stored, info);
    if (plan.action() == Action.REWRAP && !asked) {
      // The cached GetCryptoKey said the primary moved on: act on a fresh one, so a stale cache
      // never causes an Encrypt onto a version that is not the primary any more.
      info = providers.cryptoKey(gateway, name, true);
      plan = plan(gateway, name, k, stored, info);
    }
    if (plan.risk() == Risk.AT_RISK) {
      throw new ProviderException(
          Reason.KeyDisabled,
          "Cloud KMS key version "
              + stored
              + " that wraps this key's data key is "
              + kms.getKeyVersionState()
              + "; see condition "
              + Conditions.DATA_AT_RISK
              + " for what to do");
    }
    KmsAccessValidator.requireEnabledPrimary(info, name);
    byte[] aad = KeyProviders.associatedData(k).getBytes(StandardCharsets.UTF_8);
    if (plan.action() == Action.REWRAP) {
      Material.Wrapped m = rewrap(k, gateway, name, secret, aad, info.primaryVersion());
      record(
          k,
          KeyVersionRules.plan(
              new KeyVersionRules.Facts(
                  m.keyVersion(),
                  info.primaryVersion(),
                  info.primaryState(),
                  KmsGateway.VersionState.ENABLED,
                  null),
              clock.instant()),
          KmsGateway.VersionState.ENABLED,
          null);
      return m;
    }
    byte[] dek = KmsAccessValidator.unwrap(gateway, name, KeyProviders.wrappedKeyOf(secret), aad);
    try {
      return providers.storedFrom(k, secret, Fingerprint.of(dek));
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** Reads what the rules need, applies them and records the outcome on the key. */
  private Plan plan(
      KmsGateway gateway,
      String name,
      EncryptionKey k,
      String stored,
      KmsGateway.CryptoKeyInfo info) {
    KmsGateway.VersionState state = null;
    Instant destroyTime = null;
    if (KeyVersionRules.needsStoredState(stored, info.primaryVersion())) {
      try {
        KmsGateway.VersionInfo v = gateway.getCryptoKeyVersion(stored);
        state = v.state();
        destroyTime = v.destroyTime();
      } catch (KmsException e) {
        if (e.kind() == KmsException.Kind.TRANSIENT) {
          throw KmsAccessValidator.translate(gateway, name, e);
        }
        // Not readable (permission, not found): the rules report the risk as unknown.
      }
    } else if (stored != null && stored.equals(info.primaryVersion())) {
      state = info.primaryState();
    }
    Plan plan =
        KeyVersionRules.plan(
            new KeyVersionRules.Facts(
                stored, info.primaryVersion(), info.primaryState(), state, destroyTime),
            clock.instant());
    record(k, plan, state, destroyTime);
    return plan;
  }

  private Material.Wrapped rewrap(
      EncryptionKey k, KmsGateway gateway, String name, Secret secret, byte[] aad, String primary) {
    String uid = k.getMetadata().getUid();
    String fingerprint = k.getStatus().getFingerprint();
    String from = KeyProviders.keyVersionOf(secret);
    Pending p = pending.get(uid);
    KmsGateway.Wrapped next;
    if (p != null && p.primaryVersion().equals(primary) && p.fingerprint().equals(fingerprint)) {
      next = p.wrapped(); // Cloud KMS already wrapped it for this primary: verify and store only
    } else {
      if (primary.equals(encryptDeniedFor.get(uid))) {
        // Encrypt was denied for this primary: no new Encrypt until TestIamPermissions (not a
        // cryptographic request) shows the permission is back.
        KmsAccessValidator.checkPermissions(gateway, name);
      }
      byte[] dek = KmsAccessValidator.unwrap(gateway, name, KeyProviders.wrappedKeyOf(secret), aad);
      try {
        if (!Fingerprint.of(dek).equals(fingerprint)) {
          throw new ProviderException(
              Reason.InvalidKeyMaterial,
              "the stored wrapped data key unwraps to different material than this key's"
                  + " (fingerprint "
                  + fingerprint
                  + "); keyops does not re-wrap it: restore the original Secret "
                  + KeyProviders.materialSecretName(k));
        }
        next = gateway.encrypt(name, dek, aad);
      } catch (KmsException e) {
        if (e.kind() == KmsException.Kind.PERMISSION_DENIED) {
          encryptDeniedFor.put(uid, primary);
        }
        metrics.kmsRewrap(e.kind().name());
        throw KmsAccessValidator.translate(gateway, name, e);
      } finally {
        Arrays.fill(dek, (byte) 0);
      }
      encryptDeniedFor.remove(uid);
      pending.put(uid, new Pending(primary, fingerprint, next));
    }
    verify(gateway, name, next, aad, fingerprint, uid);
    Material.Wrapped m = providers.storeRewrapped(k, secret, next, fingerprint);
    pending.remove(uid);
    Instant now = clock.instant();
    k.getStatus().getKms().setRewrappedAt(now.toString());
    metrics.kmsRewrap("Rewrapped");
    events.normal(
        k,
        Reason.KeyRewrapped,
        "data key re-wrapped from Cloud KMS key version "
            + (from == null ? "(unrecorded)" : from)
            + " onto the primary version "
            + m.keyVersion()
            + " and verified; key id, fingerprint and partitions unchanged. The keyring Secret"
            + " follows; disable the old version only after workloads have reloaded it");
    return m;
  }

  /** Unwraps the new wrapping: it must give back the same data key (same fingerprint). */
  private void verify(
      KmsGateway gateway,
      String name,
      KmsGateway.Wrapped next,
      byte[] aad,
      String fingerprint,
      String uid) {
    byte[] back = KmsAccessValidator.unwrap(gateway, name, next.ciphertext(), aad);
    try {
      if (!MessageDigest.isEqual(
          Fingerprint.of(back).getBytes(StandardCharsets.US_ASCII),
          fingerprint.getBytes(StandardCharsets.US_ASCII))) {
        pending.remove(uid);
        metrics.kmsRewrap("VerifyFailed");
        throw new ProviderException(
            Reason.KmsUnavailable,
            "Cloud KMS returned a different data key when verifying the re-wrap on "
                + name
                + "; the stored wrapping is kept",
            true);
      }
    } finally {
      Arrays.fill(back, (byte) 0);
    }
  }

  /** status.kms version fields, the DataAtRisk condition and its event (the gauges read them). */
  private void record(
      EncryptionKey k, Plan plan, KmsGateway.VersionState state, Instant destroyTime) {
    KmsStatus kms = k.getStatus().getKms();
    Instant now = clock.instant();
    String stateName = state == null ? null : state.name();
    String destroy = destroyTime == null ? null : destroyTime.toString();
    boolean changed =
        !Objects.equals(stateName, kms.getKeyVersionState())
            || !Objects.equals(destroy, kms.getKeyVersionDestroyTime());
    kms.setKeyVersionState(stateName);
    kms.setKeyVersionDestroyTime(destroy);
    Reason reason =
        switch (plan.risk()) {
          case AT_RISK -> Reason.KeyVersionAtRisk;
          case UNKNOWN -> Reason.KeyVersionUnknown;
          case NONE -> Reason.KeyVersionEnabled;
        };
    var b = StatusBuilder.of(k, k.getStatus(), now);
    boolean transition =
        plan.risk() == Risk.UNKNOWN
            ? b.unknown(Conditions.DATA_AT_RISK, reason, plan.message())
            : b.set(Conditions.DATA_AT_RISK, plan.risk() == Risk.AT_RISK, reason, plan.message());
    if (plan.risk() == Risk.AT_RISK && (transition || changed)) {
      events.warning(k, Reason.KeyVersionAtRisk, plan.message());
    }
  }
}
