package dev.keyops.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyops.api.v1alpha1.AwsKmsProvider;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KmsStatus;
import dev.keyops.kms.aws.AwsKmsException;
import dev.keyops.kms.aws.AwsKmsGateway;
import dev.keyops.kms.aws.AwsKmsTarget;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The awsKms provider: a data key generated here (SecureRandom), wrapped with AWS KMS Encrypt bound
 * to the encryption context {@code keyops: v1/<namespace>/<keyRing>/<name>} (plus the spec's
 * entries); only the ciphertext blob is stored, in the key's material Secret, with the context.
 *
 * <p>AWS has no TestIamPermissions, so every validation is: DescribeKey (needs kms:DescribeKey:
 * exists, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, its KeyState), GetKeyRotationStatus (recorded when
 * answered, never required), then Encrypt and Decrypt with the same context: the data key's round
 * trip for a new key; for a revalidation, the Encrypt of a random canary and the Decrypt of the
 * stored blob. A refused call names its IAM action and the policy statement to add. A key that is
 * Disabled, PendingDeletion (with the date and the time left), PendingImport or Unavailable raises
 * DataAtRisk and turns the key not Ready without deleting anything; an Enabled key clears it.
 */
public final class AwsKmsKeys {

  static final String WRAPPED = KeyProviders.WRAPPED;
  static final String VERSION = KeyProviders.VERSION;
  static final String AAD = KeyProviders.AAD;
  static final String CONTEXT = "encryptionContext";
  static final String CONTEXT_KEY = "keyops";
  static final String ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
  static final String SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";
  static final String SESSION_TOKEN = "AWS_SESSION_TOKEN";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KeyProviders providers;
  private final SecretSource secrets;
  private final AwsKmsGateways gateways;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  AwsKmsKeys(KeyProviders providers, SecretSource secrets, AwsKmsGateways gateways, Clock clock) {
    this.providers = providers;
    this.secrets = secrets;
    this.gateways = gateways;
    this.clock = clock;
  }

  /** Validates the key's AWS KMS access and returns its material (creating it the first time). */
  Material resolve(EncryptionKey key, String recorded) {
    KmsVersionFollower.acknowledgeRevalidation(key);
    AwsKmsProvider spec = key.getSpec().getProvider().getAwsKms();
    AwsKmsTarget target = target(spec);
    AwsKmsGateway g = gateway(key, spec, target);
    AwsKmsGateway.KeyInfo info = call(g, target.policyResource(), g::describeKey);
    String resource = info.arn() == null ? target.policyResource() : info.arn();
    record(key, info, call(g, resource, () -> g.rotationEnabled(resource)));
    requireSymmetric(target, info);
    requireUsable(key, target, info);
    Secret s = providers.wrappedMaterialSecret(key);
    if (s == null) {
      if (recorded != null) {
        throw KeyProviders.materialGone(key, "this key's wrapped data key", "");
      }
      Map<String, String> context = context(key, spec);
      byte[] dek = new byte[32];
      random.nextBytes(dek);
      try {
        AwsKmsGateway.Wrapped w = call(g, resource, () -> g.encrypt(dek, context));
        byte[] back = call(g, resource, () -> g.decrypt(w.ciphertext(), context));
        boolean same = MessageDigest.isEqual(back, dek);
        Arrays.fill(back, (byte) 0);
        if (!same) {
          throw new ProviderException(
              Reason.AwsKmsUnavailable,
              "AWS KMS returned a different data key in the round trip on " + target.keyId(),
              true);
        }
        String fp = Fingerprint.of(dek);
        s = providers.createMaterial(key, data(key, w, context), fp, false);
        return KeyProviders.checked(material(key, s, fp), recorded, key);
      } finally {
        Arrays.fill(dek, (byte) 0);
      }
    }
    byte[] stored = KeyProviders.wrappedKeyOf(s);
    if (stored == null) {
      throw new ProviderException(
          Reason.KeyMaterialMissing,
          "the Secret "
              + KeyProviders.materialSecretName(key)
              + " has no wrapped data key; restore it from a backup");
    }
    Map<String, String> context = storedContext(key, s);
    // The canary: Encrypt still allowed (what a rotation to a new data key would need) ...
    byte[] canary = new byte[32];
    random.nextBytes(canary);
    call(g, resource, () -> g.encrypt(canary, context));
    // ... and Decrypt of the stored data key (what every workload needs).
    byte[] dek = call(g, resource, () -> g.decrypt(stored, context));
    try {
      return KeyProviders.checked(material(key, s, Fingerprint.of(dek)), recorded, key);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** The material a material Secret holds (no AWS call). */
  static Material.Wrapped material(EncryptionKey key, Secret s, String fingerprint) {
    AwsKmsProvider spec = key.getSpec().getProvider().getAwsKms();
    AwsKmsTarget t = target(spec);
    return new Material.Wrapped(
        spec.getKeyId(),
        KeyProviders.wrappedKeyOf(s),
        KeyProviders.keyVersionOf(s),
        KeyProviders.associatedData(key),
        fingerprint,
        null,
        new KeyBundleDocument.AwsKms(t.keyId(), t.region(), t.endpoint(), storedContext(key, s)));
  }

  /** The encryption context of a new wrapping: keyops' binding plus the spec's entries. */
  static Map<String, String> context(EncryptionKey key, AwsKmsProvider spec) {
    Map<String, String> c = new TreeMap<>();
    if (spec.getEncryptionContext() != null) {
      c.putAll(spec.getEncryptionContext());
    }
    c.put(
        CONTEXT_KEY,
        "v1/"
            + key.getMetadata().getNamespace()
            + "/"
            + key.getSpec().getKeyRing()
            + "/"
            + key.getMetadata().getName());
    return c;
  }

  /** The context a stored wrapping was made with (recorded beside it). */
  private static Map<String, String> storedContext(EncryptionKey key, Secret s) {
    String v = s.getData() == null ? null : s.getData().get(CONTEXT);
    if (v == null) {
      return context(key, key.getSpec().getProvider().getAwsKms());
    }
    try {
      return new TreeMap<>(
          JSON.readValue(
              Base64.getDecoder().decode(v), new TypeReference<Map<String, String>>() {}));
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new ProviderException(
          Reason.KeyMaterialMissing,
          "the Secret "
              + KeyProviders.materialSecretName(key)
              + " holds an unreadable encryption context; restore it from a backup");
    }
  }

  private static Map<String, String> data(
      EncryptionKey key, AwsKmsGateway.Wrapped w, Map<String, String> context) {
    Base64.Encoder b = Base64.getEncoder();
    try {
      return Map.of(
          WRAPPED, b.encodeToString(w.ciphertext()),
          VERSION,
              b.encodeToString(
                  (w.keyArn() == null ? "" : w.keyArn()).getBytes(StandardCharsets.UTF_8)),
          AAD, b.encodeToString(KeyProviders.associatedData(key).getBytes(StandardCharsets.UTF_8)),
          CONTEXT, b.encodeToString(JSON.writeValueAsBytes(context)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** status.kms: the key's state, deletion date and rotation (when answered). */
  private static void record(EncryptionKey key, AwsKmsGateway.KeyInfo info, Boolean rotation) {
    if (key.getStatus() == null || key.getStatus().getKms() == null) {
      return;
    }
    KmsStatus kms = key.getStatus().getKms();
    kms.setKeyVersionState(info.state());
    kms.setKeyVersionDestroyTime(
        info.deletionDate() == null ? null : info.deletionDate().toString());
    kms.setAutomaticRotation(rotation);
  }

  private static void requireSymmetric(AwsKmsTarget target, AwsKmsGateway.KeyInfo info) {
    if (!AwsKmsGateway.REQUIRED_SPEC.equals(info.keySpec())
        || !AwsKmsGateway.REQUIRED_USAGE.equals(info.usage())) {
      throw new ProviderException(
          Reason.AwsKmsWrongKeySpec,
          "AWS KMS key "
              + target.keyId()
              + " has key spec "
              + info.keySpec()
              + " and usage "
              + info.usage()
              + "; keyops needs a symmetric key (SYMMETRIC_DEFAULT) for ENCRYPT_DECRYPT: create"
              + " one and point spec.provider.awsKms.keyId at it");
    }
  }

  /**
   * DataAtRisk from the key's state: anything but Enabled means no data key it wraps can be
   * unwrapped now (and, once a pending deletion ends, ever). Throws, so the key turns not Ready;
   * nothing is deleted or changed.
   */
  private void requireUsable(EncryptionKey key, AwsKmsTarget target, AwsKmsGateway.KeyInfo info) {
    String state = info.state() == null ? "Unknown" : info.state();
    String arn = info.arn() == null ? target.keyId() : info.arn();
    if ("Enabled".equals(state) && info.enabled()) {
      setDataAtRisk(
          key,
          false,
          Reason.AwsKmsKeyEnabled,
          "AWS KMS key " + arn + " is Enabled: the data key can be unwrapped");
      return;
    }
    Reason reason;
    String msg;
    switch (state) {
      case "Disabled" -> {
        reason = Reason.AwsKmsKeyDisabled;
        msg =
            "AWS KMS key "
                + arn
                + " is Disabled: no workload can unwrap this key's data key while it is (no"
                + " deletion is scheduled). Enable it: aws kms enable-key --key-id "
                + arn;
      }
      case "PendingDeletion", "PendingReplicaDeletion" -> {
        reason = Reason.AwsKmsKeyPendingDeletion;
        Instant at = info.deletionDate();
        msg =
            "AWS KMS key "
                + arn
                + " is scheduled for deletion"
                + (at == null ? "" : " at " + at + " (" + left(at) + ")")
                + ": then every data key it wraps, and the data under them, is lost for good."
                + " Cancel it: aws kms cancel-key-deletion --key-id "
                + arn
                + ", then aws kms enable-key --key-id "
                + arn
                + "; or rebuild the ring's partitions onto another key before then";
      }
      case "PendingImport" -> {
        reason = Reason.AwsKmsKeyUnusable;
        msg =
            "AWS KMS key "
                + arn
                + " is PendingImport: its imported key material is missing or expired; import"
                + " the same material again (other material cannot unwrap the data key)";
      }
      case "Unavailable" -> {
        reason = Reason.AwsKmsKeyUnusable;
        msg =
            "AWS KMS key "
                + arn
                + " is Unavailable: its custom key store is disconnected; reconnect it";
      }
      default -> {
        reason = Reason.AwsKmsKeyUnusable;
        msg = "AWS KMS key " + arn + " is " + state + " and cannot be used now";
      }
    }
    setDataAtRisk(key, true, reason, msg);
    throw new ProviderException(reason, msg);
  }

  private String left(Instant at) {
    Duration d = Duration.between(clock.instant(), at);
    if (d.isNegative()) {
      return "overdue";
    }
    return "in " + d.toDays() + "d " + d.toHoursPart() + "h";
  }

  private void setDataAtRisk(EncryptionKey key, boolean atRisk, Reason reason, String msg) {
    if (key.getStatus() == null) {
      return;
    }
    StatusBuilder.of(key, key.getStatus(), clock.instant())
        .set(Conditions.DATA_AT_RISK, atRisk, reason, msg);
  }

  private <T> T call(AwsKmsGateway g, String resource, java.util.function.Supplier<T> c) {
    try {
      return c.get();
    } catch (AwsKmsException e) {
      throw translate(g.target(), resource, e);
    }
  }

  /** Turns a failed call into a ProviderException; AccessDenied names the action and statement. */
  static ProviderException translate(AwsKmsTarget t, String resource, AwsKmsException e) {
    return switch (e.kind()) {
      case NOT_FOUND ->
          new ProviderException(
              Reason.AwsKmsKeyNotFound,
              "AWS KMS key "
                  + t.keyId()
                  + " does not exist at "
                  + t.where()
                  + " (or is in another account or region): create it, or fix"
                  + " spec.provider.awsKms.keyId/region");
      case ACCESS_DENIED ->
          new KmsAccessValidator.MissingPermissions(
              Reason.AwsKmsAccessDenied,
              List.of(e.action()),
              "the operator's AWS identity may not call "
                  + e.action()
                  + " on "
                  + t.keyId()
                  + " ("
                  + e.getMessage()
                  + "): add to its IAM policy (or the key policy) the statement {\"Effect\":"
                  + " \"Allow\", \"Action\": \""
                  + e.action()
                  + "\", \"Resource\": \""
                  + resource
                  + "\"}");
      case UNAUTHENTICATED ->
          new ProviderException(
              Reason.AwsKmsCredentialsInvalid,
              e.getMessage()
                  + ": check spec.provider.awsKms.credentialsSecretRef, or the ServiceAccount's"
                  + " IRSA role annotation / EKS Pod Identity association");
      case DISABLED ->
          new ProviderException(
              Reason.AwsKmsKeyDisabled,
              "AWS KMS refused "
                  + t.keyId()
                  + " as disabled or pending deletion: "
                  + e.getMessage());
      case INVALID_REQUEST -> new ProviderException(Reason.AwsKmsRequestRefused, e.getMessage());
      case TRANSIENT ->
          new ProviderException(
              Reason.AwsKmsUnavailable, "AWS KMS is unavailable: " + e.getMessage(), true);
    };
  }

  private AwsKmsGateway gateway(EncryptionKey key, AwsKmsProvider spec, AwsKmsTarget target) {
    AwsKmsGateways.AccessKey access = null;
    if (spec.getCredentialsSecretRef() != null) {
      String name = spec.getCredentialsSecretRef().getName();
      Secret s = secrets.referenced(key, name);
      if (s == null) {
        throw new ProviderException(
            Reason.SecretNotFound,
            "credentials Secret "
                + name
                + " not found: create it with "
                + ACCESS_KEY_ID
                + " and "
                + SECRET_ACCESS_KEY
                + ", or fix spec.provider.awsKms.credentialsSecretRef");
      }
      String id = value(s, ACCESS_KEY_ID);
      String secret = value(s, SECRET_ACCESS_KEY);
      if (id == null || secret == null) {
        throw new ProviderException(
            Reason.SecretKeyNotFound,
            "credentials Secret "
                + name
                + " needs the keys "
                + ACCESS_KEY_ID
                + " and "
                + SECRET_ACCESS_KEY
                + " (and optionally "
                + SESSION_TOKEN
                + "): fix spec.provider.awsKms.credentialsSecretRef");
      }
      access = new AwsKmsGateways.AccessKey(id, secret, value(s, SESSION_TOKEN));
    }
    return gateways.forTarget(target, access);
  }

  private static String value(Secret s, String field) {
    String v = s.getData() == null ? null : s.getData().get(field);
    if (v == null) {
      return null;
    }
    String text = new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8).strip();
    return text.isEmpty() ? null : text;
  }

  static AwsKmsTarget target(AwsKmsProvider spec) {
    try {
      return new AwsKmsTarget(spec.getKeyId(), spec.getRegion(), spec.getEndpoint());
    } catch (IllegalArgumentException e) {
      throw ProviderException.inSpec(
          Reason.InvalidKeyName, "spec.provider.awsKms." + e.getMessage());
    }
  }
}
