package dev.keyops.provider;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.GcpKmsProvider;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import dev.keyops.kms.gcp.KmsException;
import dev.keyops.kms.gcp.KmsGateway;
import dev.keyops.kms.gcp.KmsGateways;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * The three providers behind one call: {@link #resolve} returns an EncryptionKey's material, or
 * throws {@link ProviderException} saying why it cannot be used.
 *
 * <ul>
 *   <li>managed: 32 bytes from SecureRandom, created once in a Secret the key owns; never
 *       regenerated.
 *   <li>secretRef: the customer's canonical standard Base64 of 32 bytes.
 *   <li>gcpKms: a data key generated here, wrapped by Cloud KMS; only the wrapped key is stored (in
 *       a Secret the key owns), after access and a round trip are verified.
 * </ul>
 *
 * For managed and gcpKms keys, material that no longer matches the fingerprint recorded at creation
 * is refused, so data encrypted earlier is never orphaned silently.
 */
public class KeyProviders {

  public static final String LABEL_KEY = "keyops.dev/key";
  public static final String LABEL_KEY_RING = "keyops.dev/key-ring";
  public static final String LABEL_PART_OF = "app.kubernetes.io/part-of";
  public static final String LABEL_COMPONENT = "keyops.dev/component";

  /** Field names of a wrapped key's Secret, the same for every key manager. */
  static final String WRAPPED = "wrappedKey";

  static final String VERSION = "keyVersion";
  static final String AAD = "associatedData";
  private static final String RAW = "key";
  private static final String FINGERPRINT_ANNOTATION = "keyops.dev/fingerprint";

  private final KubernetesClient client;
  private final SecretSource secrets;
  private final KmsGateways kms;
  private final java.time.Clock clock;
  private final java.time.Duration readCacheTtl;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, CachedKey> keyChecks = new java.util.concurrent.ConcurrentHashMap<>();

  private final Map<String, Object> keyCheckLocks = new java.util.concurrent.ConcurrentHashMap<>();
  private final TransitKeys transit;
  private final AwsKmsKeys aws;

  private record CachedKey(
      KmsGateway.CryptoKeyInfo info, java.time.Instant read, java.time.Instant expires) {}

  /**
   * @param readCacheTtl how long a successful GetCryptoKey of a Cloud KMS key is reused by every
   *     EncryptionKey that uses it: Cloud KMS read requests are quota-limited per project
   */
  public KeyProviders(
      KubernetesClient client,
      SecretSource secrets,
      KmsGateways kms,
      java.time.Clock clock,
      java.time.Duration readCacheTtl) {
    this(client, secrets, kms, clock, readCacheTtl, TransitGateways.defaults());
  }

  /**
   * @param transit the Transit clients of transit keys
   */
  public KeyProviders(
      KubernetesClient client,
      SecretSource secrets,
      KmsGateways kms,
      java.time.Clock clock,
      java.time.Duration readCacheTtl,
      TransitGateways transit) {
    this(client, secrets, kms, clock, readCacheTtl, transit, AwsKmsGateways.defaults());
  }

  /**
   * @param transit the Transit clients of transit keys
   * @param aws the AWS KMS clients of awsKms keys
   */
  public KeyProviders(
      KubernetesClient client,
      SecretSource secrets,
      KmsGateways kms,
      java.time.Clock clock,
      java.time.Duration readCacheTtl,
      TransitGateways transit,
      AwsKmsGateways aws) {
    this.client = client;
    this.secrets = secrets;
    this.kms = kms;
    this.clock = clock;
    this.readCacheTtl = readCacheTtl;
    this.transit = new TransitKeys(this, secrets, transit, clock);
    this.aws = new AwsKmsKeys(this, secrets, aws, clock);
  }

  /** Name of the Secret that holds a managed or gcpKms key's material. */
  public static String materialSecretName(EncryptionKey key) {
    return dev.keyops.names.Names.subdomain("keyops-key-" + key.getMetadata().getName(), 0);
  }

  /**
   * Name of the Secret that takes over a gcpKms key's wrapped data key when its material Secret is
   * immutable (created before keyops re-wrapped data keys). See {@link #storeRewrapped}. Its prefix
   * differs from {@link #materialSecretName}'s, so it can never be another key's material Secret.
   */
  public static String rewrappedSecretName(EncryptionKey key) {
    return dev.keyops.names.Names.subdomain("keyops-rewrapped-" + key.getMetadata().getName(), 0);
  }

  /**
   * @param recordedFingerprint status.fingerprint, or null when the key never had material
   */
  public Material resolve(EncryptionKey key, String recordedFingerprint) {
    var p = key.getSpec().getProvider();
    if (p.getManaged() != null) {
      return managed(key, recordedFingerprint);
    }
    if (p.getSecretRef() != null) {
      return secretRef(key, p.getSecretRef(), recordedFingerprint);
    }
    if (p.getGcpKms() != null) {
      return gcpKms(key, p.getGcpKms(), recordedFingerprint);
    }
    if (p.getTransit() != null) {
      return transit.resolve(key, recordedFingerprint);
    }
    if (p.getAwsKms() != null) {
      return aws.resolve(key, recordedFingerprint);
    }
    throw new ProviderException(
        Reason.InvalidKeyMaterial,
        "no provider set: set exactly one of managed, secretRef, gcpKms, transit or awsKms");
  }

  /**
   * The material as stored, without calling Cloud KMS (for writing the keyring of keys validated
   * earlier). Throws ProviderException when it is gone or changed.
   */
  public Material stored(EncryptionKey key, String recordedFingerprint) {
    var p = key.getSpec().getProvider();
    if (p.getGcpKms() == null && p.getTransit() == null && p.getAwsKms() == null) {
      return resolve(key, recordedFingerprint);
    }
    Secret s = wrappedMaterialSecret(key);
    if (s == null || decode(s, WRAPPED) == null || recordedFingerprint == null) {
      throw new ProviderException(
          Reason.KeyMaterialMissing,
          "the wrapped data key in Secret " + materialSecretName(key) + " is missing");
    }
    return wrappedMaterial(key, s, recordedFingerprint);
  }

  /** Deletes the Secret that holds a managed or gcpKms key's material (crypto-shredding). */
  public void deleteMaterial(EncryptionKey key) {
    client
        .secrets()
        .inNamespace(key.getMetadata().getNamespace())
        .withName(materialSecretName(key))
        .delete();
    if (key.getSpec().getProvider().getGcpKms() != null
        || key.getSpec().getProvider().getTransit() != null
        || key.getSpec().getProvider().getAwsKms() != null) {
      client
          .secrets()
          .inNamespace(key.getMetadata().getNamespace())
          .withName(rewrappedSecretName(key))
          .delete();
    }
  }

  private Material managed(EncryptionKey key, String recorded) {
    Secret s = existingMaterial(key);
    if (s == null) {
      if (recorded != null) {
        throw materialGone(
            key, "this managed key's material", " (data encrypted with it would be lost)");
      }
      byte[] raw = new byte[32];
      random.nextBytes(raw);
      String fp = Fingerprint.of(raw);
      s = createMaterial(key, Map.of(RAW, Base64.getEncoder().encodeToString(raw)), fp, true);
      Arrays.fill(raw, (byte) 0);
    }
    byte[] raw = decode(s, RAW);
    if (raw == null || raw.length != 32) {
      throw new ProviderException(
          Reason.KeyMaterialMissing,
          "the Secret "
              + materialSecretName(key)
              + " does not hold a 32-byte key any more; restore it from a backup");
    }
    return checked(new Material.Raw(raw, Fingerprint.of(raw)), recorded, key);
  }

  private Material secretRef(EncryptionKey key, SecretKeySelector ref, String recorded) {
    Secret s = secrets.referenced(key, ref.getName());
    if (s == null) {
      throw new ProviderException(
          Reason.SecretNotFound,
          "Secret "
              + ref.getName()
              + " not found in namespace "
              + key.getMetadata().getNamespace()
              + ": create it, or fix spec.provider.secretRef.name");
    }
    String encoded = s.getData() == null ? null : s.getData().get(ref.getKey());
    String value;
    if (encoded != null) {
      try {
        value = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ProviderException(
            Reason.InvalidKeyMaterial,
            "Secret " + ref.getName() + " key " + ref.getKey() + " is not readable");
      }
    } else if (s.getStringData() != null && s.getStringData().get(ref.getKey()) != null) {
      value = s.getStringData().get(ref.getKey());
    } else {
      throw new ProviderException(
          Reason.SecretKeyNotFound,
          "Secret "
              + ref.getName()
              + " has no key '"
              + ref.getKey()
              + "': add it, or fix spec.provider.secretRef.key");
    }
    byte[] raw;
    try {
      raw = Base64Key.decode(value);
    } catch (InvalidKeyMaterialException e) {
      throw new ProviderException(
          Reason.InvalidKeyMaterial,
          "Secret " + ref.getName() + " key '" + ref.getKey() + "': " + e.getMessage());
    }
    return checked(new Material.Raw(raw, Fingerprint.of(raw)), recorded, key);
  }

  private Material gcpKms(EncryptionKey key, GcpKmsProvider spec, String recorded) {
    String name = spec.getKeyName();
    KmsAccessValidator.parseName(name);
    KmsGateway gateway = gateway(key, spec);
    byte[] aad = associatedData(key).getBytes(StandardCharsets.UTF_8);
    KmsAccessValidator.requireEnabledPrimary(cryptoKey(gateway, name, false), name);
    Secret s = wrappedMaterialSecret(key);
    String fingerprint = null;
    if (s == null) {
      if (recorded != null) {
        throw materialGone(key, "this key's wrapped data key", "");
      }
      KmsAccessValidator.checkPermissions(gateway, name);
      byte[] dek = new byte[32];
      random.nextBytes(dek);
      KmsGateway.Wrapped wrapped = KmsAccessValidator.roundTrip(gateway, name, dek, aad);
      String fp = Fingerprint.of(dek);
      Arrays.fill(dek, (byte) 0);
      s =
          createMaterial(
              key,
              Map.of(
                  WRAPPED, Base64.getEncoder().encodeToString(wrapped.ciphertext()),
                  VERSION,
                      Base64.getEncoder()
                          .encodeToString(
                              nz(wrapped.keyVersion()).getBytes(StandardCharsets.UTF_8)),
                  AAD, Base64.getEncoder().encodeToString(aad)),
              fp,
              false);
      if (fp.equals(s.getMetadata().getAnnotations().get(FINGERPRINT_ANNOTATION))) {
        fingerprint = fp; // our own data key: the round trip just proved decrypt works
      }
    }
    if (decode(s, WRAPPED) == null) {
      throw new ProviderException(
          Reason.KeyMaterialMissing,
          "the Secret "
              + materialSecretName(key)
              + " has no wrapped data key; restore it from a backup");
    }
    if (fingerprint == null) {
      // Every revalidation proves that decrypt still works with the operator's identity.
      byte[] dek = KmsAccessValidator.unwrap(gateway, name, decode(s, WRAPPED), aad);
      fingerprint = Fingerprint.of(dek);
      Arrays.fill(dek, (byte) 0);
    }
    return checked(wrappedMaterial(key, s, fingerprint), recorded, key);
  }

  private static Material.Wrapped wrappedMaterial(EncryptionKey key, Secret s, String fingerprint) {
    if (key.getSpec().getProvider().getTransit() != null) {
      return TransitKeys.material(key, s, fingerprint);
    }
    if (key.getSpec().getProvider().getAwsKms() != null) {
      return AwsKmsKeys.material(key, s, fingerprint);
    }
    byte[] version = decode(s, VERSION);
    return new Material.Wrapped(
        key.getSpec().getProvider().getGcpKms().getKeyName(),
        decode(s, WRAPPED),
        version == null ? null : new String(version, StandardCharsets.UTF_8),
        associatedData(key),
        fingerprint);
  }

  static ProviderException materialGone(EncryptionKey key, String what, String consequence) {
    return new ProviderException(
        Reason.KeyMaterialMissing,
        "the Secret "
            + materialSecretName(key)
            + " that held "
            + what
            + " is gone; keyops never regenerates material"
            + consequence
            + ". Restore the Secret from a backup, or activate a new key and drop this one");
  }

  /**
   * GetCryptoKey (purpose checked, not the primary's state), at most once per Cloud KMS key (and
   * identity) per TTL: 1,000 EncryptionKeys on one Cloud KMS key cost one read request per
   * interval, not 1,000. Failures are not cached.
   *
   * @param fresh ignore the cache (a revalidation a user asked for, e.g. just after a rotation)
   */
  KmsGateway.CryptoKeyInfo cryptoKey(KmsGateway gateway, String name, boolean fresh) {
    String id = System.identityHashCode(gateway) + "/" + name;
    java.time.Instant asked = clock.instant();
    // One read in flight per Cloud KMS key: keys of one Cloud KMS key reconciled at the same time
    // wait for it instead of each sending their own.
    synchronized (keyCheckLocks.computeIfAbsent(id, k -> new Object())) {
      CachedKey c = keyChecks.get(id);
      java.time.Instant now = clock.instant();
      if (c != null && now.isBefore(c.expires()) && (!fresh || c.read().isAfter(asked))) {
        return c.info(); // fresh: only a read that started after this call was made
      }
      KmsGateway.CryptoKeyInfo info = KmsAccessValidator.describeKey(gateway, name);
      keyChecks.put(id, new CachedKey(info, now, now.plus(readCacheTtl)));
      return info;
    }
  }

  /** The Cloud KMS client for a gcpKms key's credentials. */
  KmsGateway gatewayFor(EncryptionKey key) {
    return gateway(key, key.getSpec().getProvider().getGcpKms());
  }

  /**
   * The Secret that holds a gcpKms key's current wrapped data key: the successor written by a
   * re-wrap of an immutable material Secret when there is one, else the material Secret; null when
   * neither exists.
   */
  Secret wrappedMaterialSecret(EncryptionKey key) {
    Secret successor = secrets.owned(key.getMetadata().getNamespace(), rewrappedSecretName(key));
    if (successor != null
        && decode(successor, WRAPPED) != null
        && successor.getMetadata().getOwnerReferences() != null
        && successor.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> key.getMetadata().getUid().equals(o.getUid()))) {
      return successor;
    }
    return existingMaterial(key);
  }

  /** The material a Secret holds, unwrapped to {@code fingerprint}; refused if that changed. */
  Material.Wrapped storedFrom(EncryptionKey key, Secret s, String fingerprint) {
    return (Material.Wrapped)
        checked(wrappedMaterial(key, s, fingerprint), key.getStatus().getFingerprint(), key);
  }

  /** The wrapped data key held by a material Secret, or null. */
  static byte[] wrappedKeyOf(Secret s) {
    return decode(s, WRAPPED);
  }

  /** The Cloud KMS key version recorded with a material Secret's wrapped data key, or null. */
  static String keyVersionOf(Secret s) {
    byte[] v = decode(s, VERSION);
    return v == null || v.length == 0 ? null : new String(v, StandardCharsets.UTF_8);
  }

  /**
   * Stores a data key's new wrapping (already verified to unwrap to the same data key) in place of
   * the one in {@code current}, and returns the material as now stored.
   *
   * <p>Crash safety: every step is one atomic API write, and the old wrapping is never removed
   * before the new one is stored. Material Secrets of gcpKms keys are created mutable (since
   * re-wrapping exists), so the new wrapping replaces the old one in one update (guarded by the
   * resourceVersion read). A material Secret created immutable by an earlier keyops cannot be
   * updated, and deleting it to recreate it would leave a moment with no wrapping at all; instead
   * the new wrapping goes into a mutable successor Secret ({@link #rewrappedSecretName}) owned by
   * the same key, which readers prefer from the moment it exists and later re-wraps update in
   * place. The immutable original is left as it is (its wrapping stays valid while its version is
   * enabled) and is deleted with the key. So a crash at any point leaves either the old or the new
   * wrapping as the current one, each a valid wrapping of the same data key.
   */
  Material.Wrapped storeRewrapped(
      EncryptionKey key, Secret current, KmsGateway.Wrapped wrapped, String fingerprint) {
    Map<String, String> data = new java.util.HashMap<>(current.getData());
    data.put(WRAPPED, Base64.getEncoder().encodeToString(wrapped.ciphertext()));
    data.put(
        VERSION,
        Base64.getEncoder()
            .encodeToString(nz(wrapped.keyVersion()).getBytes(StandardCharsets.UTF_8)));
    String ns = key.getMetadata().getNamespace();
    Secret stored;
    if (!Boolean.TRUE.equals(current.getImmutable())) {
      // A merge patch of the two fields, guarded by the resourceVersion read: a concurrent change
      // fails with a conflict (and is retried), and fields others own are kept.
      Map<String, Object> patch =
          Map.of(
              "metadata",
              Map.of("resourceVersion", current.getMetadata().getResourceVersion()),
              "data",
              Map.of(WRAPPED, data.get(WRAPPED), VERSION, data.get(VERSION)));
      stored =
          client
              .secrets()
              .inNamespace(ns)
              .resource(current)
              .patch(
                  io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                      io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                  io.fabric8.kubernetes.client.utils.Serialization.asJson(patch));
      secrets.written(stored, current);
    } else {
      // A 409 (created since we read) fails this attempt; the next one reads and updates it.
      Secret successor = materialSecret(key, rewrappedSecretName(key), data, fingerprint, false);
      stored = client.secrets().inNamespace(ns).resource(successor).create();
      secrets.written(stored, null);
    }
    return wrappedMaterial(key, stored, fingerprint);
  }

  private KmsGateway gateway(EncryptionKey key, GcpKmsProvider spec) {
    byte[] credentials = null;
    SecretKeySelector ref = spec.getCredentialsSecretRef();
    if (ref != null) {
      Secret s = secrets.referenced(key, ref.getName());
      if (s == null || s.getData() == null || s.getData().get(ref.getKey()) == null) {
        throw new ProviderException(
            s == null ? Reason.SecretNotFound : Reason.SecretKeyNotFound,
            "credentials Secret "
                + ref.getName()
                + (s == null ? " not found" : " has no key '" + ref.getKey() + "'")
                + ": fix spec.provider.gcpKms.credentialsSecretRef");
      }
      credentials = Base64.getDecoder().decode(s.getData().get(ref.getKey()));
    }
    try {
      return kms.forCredentials(credentials);
    } catch (KmsException e) {
      throw new ProviderException(
          Reason.CredentialsInvalid, "cannot use the Cloud KMS credentials: " + e.getMessage());
    }
  }

  /** The associated data that binds a wrapped data key to its key: namespace, key ring, name. */
  public static String associatedData(EncryptionKey key) {
    return "keyops/v1/"
        + key.getMetadata().getNamespace()
        + "/"
        + key.getSpec().getKeyRing()
        + "/"
        + key.getMetadata().getName();
  }

  static Material checked(Material m, String recorded, EncryptionKey key) {
    if (recorded != null && !recorded.equals(m.fingerprint())) {
      throw new ProviderException(
          Reason.InvalidKeyMaterial,
          "the key material changed since this key was created (fingerprint "
              + recorded
              + ", now "
              + m.fingerprint()
              + "); a key's material is immutable: restore the original, or create a new EncryptionKey for the new material");
    }
    return m;
  }

  private Secret existingMaterial(EncryptionKey key) {
    return secrets.owned(key.getMetadata().getNamespace(), materialSecretName(key));
  }

  /**
   * @param immutable true for managed keys (their material never changes); false for gcpKms keys,
   *     whose wrapped data key is replaced when the Cloud KMS key rotates (the fingerprint check,
   *     not immutability, guards that the data key itself never changes)
   */
  Secret createMaterial(
      EncryptionKey key, Map<String, String> data, String fingerprint, boolean immutable) {
    Secret s = materialSecret(key, materialSecretName(key), data, fingerprint, immutable);
    try {
      Secret created =
          client.secrets().inNamespace(key.getMetadata().getNamespace()).resource(s).create();
      secrets.written(created, null);
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        // Created by an earlier reconcile that did not record it; the cache may not have it yet.
        Secret existing =
            client
                .secrets()
                .inNamespace(key.getMetadata().getNamespace())
                .withName(materialSecretName(key))
                .get();
        if (existing != null) {
          secrets.written(existing, null);
        }
        return existing;
      }
      throw e;
    }
  }

  private static Secret materialSecret(
      EncryptionKey key,
      String name,
      Map<String, String> data,
      String fingerprint,
      boolean immutable) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(key.getMetadata().getNamespace())
        .addToLabels(LABEL_KEY, dev.keyops.names.Names.labelValue(key.getMetadata().getName()))
        .addToLabels(LABEL_KEY_RING, dev.keyops.names.Names.labelValue(key.getSpec().getKeyRing()))
        .addToLabels(LABEL_PART_OF, "keyops")
        .addToLabels(LABEL_COMPONENT, "key-material")
        .addToAnnotations(FINGERPRINT_ANNOTATION, fingerprint)
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion(key.getApiVersion())
                .withKind(key.getKind())
                .withName(key.getMetadata().getName())
                .withUid(key.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build())
        .endMetadata()
        .withType("keyops.dev/key-material")
        .withImmutable(immutable ? Boolean.TRUE : null)
        .withData(data)
        .build();
  }

  private static byte[] decode(Secret s, String field) {
    String v = s.getData() == null ? null : s.getData().get(field);
    return v == null ? null : Base64.getDecoder().decode(v);
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
