package dev.keyops.kms;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.GcpKmsProvider;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import dev.keyops.observability.Reason;
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
  private static final String WRAPPED = "wrappedKey";
  private static final String VERSION = "keyVersion";
  private static final String AAD = "associatedData";
  private static final String RAW = "key";
  private static final String FINGERPRINT_ANNOTATION = "keyops.dev/fingerprint";

  private final KubernetesClient client;
  private final KmsGateways kms;
  private final java.time.Clock clock;
  private final java.time.Duration readCacheTtl;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, CachedKey> keyChecks = new java.util.concurrent.ConcurrentHashMap<>();

  private record CachedKey(java.time.Instant expires) {}

  /**
   * @param readCacheTtl how long a successful GetCryptoKey of a Cloud KMS key is reused by every
   *     EncryptionKey that uses it: Cloud KMS read requests are quota-limited per project
   */
  public KeyProviders(
      KubernetesClient client,
      KmsGateways kms,
      java.time.Clock clock,
      java.time.Duration readCacheTtl) {
    this.client = client;
    this.kms = kms;
    this.clock = clock;
    this.readCacheTtl = readCacheTtl;
  }

  /** Name of the Secret that holds a managed or gcpKms key's material. */
  public static String materialSecretName(EncryptionKey key) {
    return dev.keyops.names.Names.subdomain("keyops-key-" + key.getMetadata().getName(), 0);
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
    throw new ProviderException(
        Reason.InvalidKeyMaterial,
        "no provider set: set exactly one of managed, secretRef or gcpKms");
  }

  /**
   * The material as stored, without calling Cloud KMS (for writing the keyring of keys validated
   * earlier). Throws ProviderException when it is gone or changed.
   */
  public Material stored(EncryptionKey key, String recordedFingerprint) {
    var p = key.getSpec().getProvider();
    if (p.getGcpKms() == null) {
      return resolve(key, recordedFingerprint);
    }
    Secret s = existingMaterial(key);
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
      s = createMaterial(key, Map.of(RAW, Base64.getEncoder().encodeToString(raw)), fp);
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
    Secret s =
        client
            .secrets()
            .inNamespace(key.getMetadata().getNamespace())
            .withName(ref.getName())
            .get();
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
    checkKeyCached(gateway, name);
    Secret s = existingMaterial(key);
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
              fp);
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
    byte[] version = decode(s, VERSION);
    return new Material.Wrapped(
        key.getSpec().getProvider().getGcpKms().getKeyName(),
        decode(s, WRAPPED),
        version == null ? null : new String(version, StandardCharsets.UTF_8),
        associatedData(key),
        fingerprint);
  }

  private static ProviderException materialGone(
      EncryptionKey key, String what, String consequence) {
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
   * GetCryptoKey, at most once per Cloud KMS key (and identity) per TTL: 1,000 EncryptionKeys on
   * one Cloud KMS key cost one read request per interval, not 1,000. Failures are not cached.
   */
  private void checkKeyCached(KmsGateway gateway, String name) {
    String id = System.identityHashCode(gateway) + "/" + name;
    CachedKey c = keyChecks.get(id);
    java.time.Instant now = clock.instant();
    if (c != null && now.isBefore(c.expires())) {
      return;
    }
    KmsAccessValidator.checkKey(gateway, name);
    keyChecks.put(id, new CachedKey(now.plus(readCacheTtl)));
  }

  private KmsGateway gateway(EncryptionKey key, GcpKmsProvider spec) {
    byte[] credentials = null;
    SecretKeySelector ref = spec.getCredentialsSecretRef();
    if (ref != null) {
      Secret s =
          client
              .secrets()
              .inNamespace(key.getMetadata().getNamespace())
              .withName(ref.getName())
              .get();
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

  private static Material checked(Material m, String recorded, EncryptionKey key) {
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
    return client
        .secrets()
        .inNamespace(key.getMetadata().getNamespace())
        .withName(materialSecretName(key))
        .get();
  }

  private Secret createMaterial(EncryptionKey key, Map<String, String> data, String fingerprint) {
    Secret s =
        new SecretBuilder()
            .withNewMetadata()
            .withName(materialSecretName(key))
            .withNamespace(key.getMetadata().getNamespace())
            .addToLabels(LABEL_KEY, dev.keyops.names.Names.labelValue(key.getMetadata().getName()))
            .addToLabels(
                LABEL_KEY_RING, dev.keyops.names.Names.labelValue(key.getSpec().getKeyRing()))
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
            .withImmutable(true)
            .withData(data)
            .build();
    try {
      return client.secrets().inNamespace(key.getMetadata().getNamespace()).resource(s).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return existingMaterial(key); // created by an earlier reconcile that did not record it
      }
      throw e;
    }
  }

  private static byte[] decode(Secret s, String field) {
    String v = s.getData() == null ? null : s.getData().get(field);
    return v == null ? null : Base64.getDecoder().decode(v);
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
