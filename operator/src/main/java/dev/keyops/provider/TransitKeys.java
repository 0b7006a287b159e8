package dev.keyops.provider;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import dev.keyops.api.v1alpha1.TransitProvider;
import dev.keyops.kms.gcp.KmsGateway;
import dev.keyops.kms.transit.TransitAuth;
import dev.keyops.kms.transit.TransitException;
import dev.keyops.kms.transit.TransitGateway;
import dev.keyops.kms.transit.TransitTarget;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The transit provider (OpenBao; HashiCorp Vault speaks the same Transit API): a data key generated
 * here (SecureRandom), wrapped with Transit encrypt bound to associated data {@code
 * keyops/v1/<namespace>/<keyRing>/<name>}; only the {@code vault:vN:...} ciphertext is stored, in
 * the key's material Secret, like a gcpKms key's wrapped data key.
 *
 * <p>Every validation: {@code sys/capabilities-self} on the key's read, encrypt and decrypt paths
 * (a missing capability is named with the policy line to add), {@code GET <mount>/keys/<name>}
 * (exists, type aes256-gcm96), then a round trip (a new key) or a decrypt of the stored wrapping (a
 * revalidation). When the key's latest_version moved past the stored wrapping's version, the data
 * key is wrapped again with the latest version, verified by a decrypt and stored (see {@link
 * KeyProviders#storeRewrapped}); Transit's own rewrap endpoint cannot be used, as it takes no
 * associated data. A wrapping version below min_decryption_version (or trimmed below
 * min_available_version) raises DataAtRisk.
 */
public final class TransitKeys {

  static final String WRAPPED = KeyProviders.WRAPPED;
  static final String VERSION = KeyProviders.VERSION;
  static final String AAD = KeyProviders.AAD;

  private final KeyProviders providers;
  private final SecretSource secrets;
  private final TransitGateways gateways;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  TransitKeys(KeyProviders providers, SecretSource secrets, TransitGateways gateways, Clock clock) {
    this.providers = providers;
    this.secrets = secrets;
    this.gateways = gateways;
    this.clock = clock;
  }

  /** Validates the key's Transit access and returns its material (creating it the first time). */
  Material resolve(EncryptionKey key, String recorded) {
    KmsVersionFollower.acknowledgeRevalidation(key);
    TransitProvider spec = key.getSpec().getProvider().getTransit();
    String name = spec.getKeyName();
    TransitGateway g = gateway(key, spec);
    byte[] aad = KeyProviders.associatedData(key).getBytes(StandardCharsets.UTF_8);
    checkCapabilities(g, name);
    TransitGateway.KeyInfo info = readKey(g, name);
    Secret s = providers.wrappedMaterialSecret(key);
    if (s == null) {
      if (recorded != null) {
        throw KeyProviders.materialGone(key, "this key's wrapped data key", "");
      }
      byte[] dek = new byte[32];
      random.nextBytes(dek);
      try {
        TransitGateway.Wrapped w = roundTrip(g, name, dek, aad);
        String fp = Fingerprint.of(dek);
        s = providers.createMaterial(key, data(w, aad), fp, false);
        notAtRisk(key, w.keyVersion(), info);
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
    String ciphertext = new String(stored, StandardCharsets.UTF_8);
    int version = TransitGateway.versionOf(ciphertext);
    atRisk(key, spec, version, info);
    byte[] dek = call(g, name, () -> g.decrypt(name, ciphertext, aad));
    try {
      String fp = Fingerprint.of(dek);
      if (version < info.latestVersion()) {
        TransitGateway.Wrapped w = roundTrip(g, name, dek, aad);
        Material.Wrapped m =
            providers.storeRewrapped(
                key,
                s,
                new KmsGateway.Wrapped(
                    w.ciphertext().getBytes(StandardCharsets.UTF_8),
                    Integer.toString(w.keyVersion())),
                fp);
        if (key.getStatus() != null && key.getStatus().getKms() != null) {
          key.getStatus().getKms().setRewrappedAt(clock.instant().toString());
        }
        notAtRisk(key, w.keyVersion(), info);
        return KeyProviders.checked(m, recorded, key);
      }
      notAtRisk(key, version, info);
      return KeyProviders.checked(material(key, s, fp), recorded, key);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** The material a material Secret holds (no Transit call). */
  static Material.Wrapped material(EncryptionKey key, Secret s, String fingerprint) {
    TransitProvider spec = key.getSpec().getProvider().getTransit();
    TransitTarget t = target(spec);
    return new Material.Wrapped(
        spec.getKeyName(),
        KeyProviders.wrappedKeyOf(s),
        KeyProviders.keyVersionOf(s),
        KeyProviders.associatedData(key),
        fingerprint,
        new KeyBundleDocument.Transit(t.address(), t.mount(), t.namespace()));
  }

  private static Map<String, String> data(TransitGateway.Wrapped w, byte[] aad) {
    Base64.Encoder b = Base64.getEncoder();
    return Map.of(
        WRAPPED, b.encodeToString(w.ciphertext().getBytes(StandardCharsets.UTF_8)),
        VERSION,
            b.encodeToString(Integer.toString(w.keyVersion()).getBytes(StandardCharsets.UTF_8)),
        AAD, b.encodeToString(aad));
  }

  /** The policy paths keyops needs and the capability each one needs. */
  static Map<String, String> required(String mount, String name) {
    return Map.of(
        mount + "/keys/" + name, "read",
        mount + "/encrypt/" + name, "update",
        mount + "/decrypt/" + name, "update");
  }

  private void checkCapabilities(TransitGateway g, String name) {
    Map<String, String> need = required(g.target().mount(), name);
    List<String> paths = List.copyOf(new java.util.TreeMap<>(need).keySet());
    Map<String, List<String>> held = call(g, name, () -> g.capabilities(paths));
    List<String> missing = new ArrayList<>();
    List<String> policy = new ArrayList<>();
    for (String p : paths) {
      List<String> caps = held.getOrDefault(p, List.of());
      String cap = need.get(p);
      if (!caps.contains("root") && !caps.contains(cap)) {
        missing.add(p + ": " + cap);
        policy.add("path \"" + p + "\" { capabilities = [\"" + cap + "\"] }");
      }
    }
    if (!missing.isEmpty()) {
      throw new KmsAccessValidator.MissingPermissions(
          Reason.TransitCapabilityMissing,
          missing,
          "the operator's Transit token lacks "
              + String.join(", ", missing)
              + " at "
              + g.target().address()
              + ": add to its policy "
              + String.join(" ", policy));
    }
  }

  private TransitGateway.KeyInfo readKey(TransitGateway g, String name) {
    TransitGateway.KeyInfo info;
    try {
      info = g.readKey(name);
    } catch (TransitException e) {
      if (e.kind() == TransitException.Kind.NOT_FOUND) {
        throw new ProviderException(
            Reason.TransitKeyNotFound,
            "Transit key "
                + name
                + " does not exist at mount "
                + g.target().mount()
                + " of "
                + g.target().address()
                + ": create it (bao write -f "
                + g.target().mount()
                + "/keys/"
                + name
                + " type=aes256-gcm96) or fix spec.provider.transit.keyName/mount");
      }
      throw translate(g, name, e);
    }
    if (!TransitGateway.REQUIRED_TYPE.equals(info.type()) || info.derived()) {
      throw new ProviderException(
          Reason.TransitWrongKeyType,
          "Transit key "
              + name
              + " is of type "
              + info.type()
              + (info.derived() ? " (derived)" : "")
              + "; keyops needs a non-derived key of type aes256-gcm96: create one and point"
              + " spec.provider.transit.keyName at it");
    }
    return info;
  }

  private TransitGateway.Wrapped roundTrip(TransitGateway g, String name, byte[] dek, byte[] aad) {
    TransitGateway.Wrapped w = call(g, name, () -> g.encrypt(name, dek, aad));
    byte[] back = call(g, name, () -> g.decrypt(name, w.ciphertext(), aad));
    try {
      if (!MessageDigest.isEqual(back, dek)) {
        throw new ProviderException(
            Reason.TransitUnavailable,
            "Transit returned a different data key in the round trip on " + name,
            true);
      }
      return w;
    } finally {
      Arrays.fill(back, (byte) 0);
    }
  }

  /**
   * DataAtRisk when the stored wrapping's version can no longer be decrypted: below
   * min_decryption_version, or trimmed (below min_available_version). Throws, so the key turns not
   * Ready; nothing is deleted or changed.
   */
  private void atRisk(
      EncryptionKey key, TransitProvider spec, int version, TransitGateway.KeyInfo info) {
    boolean trimmed = info.minAvailableVersion() > 0 && version < info.minAvailableVersion();
    if (version >= info.minDecryptionVersion() && !trimmed) {
      return;
    }
    String path = target(spec).mount() + "/keys/" + spec.getKeyName() + "/config";
    String msg =
        trimmed
            ? "Transit key "
                + spec.getKeyName()
                + " was trimmed below version "
                + info.minAvailableVersion()
                + "; its version "
                + version
                + " that wraps this key's data key is gone: restore the Transit key from a"
                + " backup, or rebuild the ring's partitions onto another key before dropping this"
                + " one"
            : "Transit key "
                + spec.getKeyName()
                + " refuses version "
                + version
                + " that wraps this key's data key (min_decryption_version is "
                + info.minDecryptionVersion()
                + "): lower it again (bao write "
                + path
                + " min_decryption_version="
                + version
                + ") so keyops can re-wrap the data key onto version "
                + info.latestVersion();
    setDataAtRisk(key, true, Reason.TransitKeyVersionBelowMinimum, msg);
    throw new ProviderException(Reason.TransitKeyVersionBelowMinimum, msg);
  }

  private void notAtRisk(EncryptionKey key, int version, TransitGateway.KeyInfo info) {
    setDataAtRisk(
        key,
        false,
        Reason.KeyVersionEnabled,
        "the data key is wrapped by Transit key version "
            + version
            + " (min_decryption_version "
            + info.minDecryptionVersion()
            + ", latest "
            + info.latestVersion()
            + ")");
  }

  private void setDataAtRisk(EncryptionKey key, boolean atRisk, Reason reason, String msg) {
    if (key.getStatus() == null) {
      return;
    }
    StatusBuilder.of(key, key.getStatus(), clock.instant())
        .set(Conditions.DATA_AT_RISK, atRisk, reason, msg);
  }

  private <T> T call(TransitGateway g, String name, java.util.function.Supplier<T> c) {
    try {
      return c.get();
    } catch (TransitException e) {
      throw translate(g, name, e);
    }
  }

  /** Turns a failed call into a ProviderException; a 403 names the capability that is missing. */
  private ProviderException translate(TransitGateway g, String name, TransitException e) {
    return switch (e.kind()) {
      case NOT_FOUND ->
          new ProviderException(
              Reason.TransitKeyNotFound,
              "Transit refused a call on key " + name + " as not found: " + e.getMessage());
      case PERMISSION_DENIED -> {
        try {
          checkCapabilities(g, name);
        } catch (ProviderException named) {
          yield named;
        }
        yield new ProviderException(
            Reason.TransitCapabilityMissing,
            "Transit refused the operator's token ("
                + e.getMessage()
                + "): it may have expired or been revoked; check spec.provider.transit.auth");
      }
      case UNAUTHENTICATED -> new ProviderException(Reason.TransitLoginFailed, e.getMessage());
      case INVALID_REQUEST -> new ProviderException(Reason.TransitRequestRefused, e.getMessage());
      case TRANSIENT ->
          new ProviderException(
              Reason.TransitUnavailable,
              "Transit at " + g.target().address() + " is unavailable: " + e.getMessage(),
              true);
    };
  }

  private TransitGateway gateway(EncryptionKey key, TransitProvider spec) {
    TransitTarget target;
    try {
      target = target(spec);
    } catch (IllegalArgumentException e) {
      throw ProviderException.inSpec(Reason.InvalidKeyName, e.getMessage());
    }
    TransitAuth auth;
    var a = spec.getAuth();
    if (a != null && a.getTokenSecretRef() != null) {
      auth =
          new TransitAuth.Token(
              new String(
                  secretValue(key, a.getTokenSecretRef(), "auth.tokenSecretRef"),
                  StandardCharsets.UTF_8));
    } else if (a != null && a.getKubernetes() != null) {
      auth =
          new TransitAuth.Kubernetes(
              a.getKubernetes().getRole(),
              a.getKubernetes().getMountPath(),
              gateways.serviceAccountToken());
    } else {
      throw ProviderException.inSpec(
          Reason.TransitLoginFailed,
          "spec.provider.transit.auth needs exactly one of kubernetes or tokenSecretRef");
    }
    byte[] ca =
        spec.getCaSecretRef() == null
            ? null
            : secretValue(key, spec.getCaSecretRef(), "caSecretRef");
    try {
      return gateways.forTarget(target, auth, ca);
    } catch (IllegalArgumentException e) {
      throw new ProviderException(
          Reason.TransitLoginFailed, "spec.provider.transit.caSecretRef: " + e.getMessage());
    }
  }

  private byte[] secretValue(EncryptionKey key, SecretKeySelector ref, String field) {
    Secret s = secrets.referenced(key, ref.getName());
    String v = s == null || s.getData() == null ? null : s.getData().get(ref.getKey());
    if (v == null) {
      throw new ProviderException(
          s == null ? Reason.SecretNotFound : Reason.SecretKeyNotFound,
          "Secret "
              + ref.getName()
              + (s == null ? " not found" : " has no key '" + ref.getKey() + "'")
              + ": fix spec.provider.transit."
              + field);
    }
    return Base64.getDecoder().decode(v);
  }

  static TransitTarget target(TransitProvider spec) {
    return new TransitTarget(spec.getAddress(), spec.getMount(), spec.getNamespace());
  }
}
