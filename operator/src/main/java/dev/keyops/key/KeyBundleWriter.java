package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.names.Names;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.provider.KeyProviders;
import dev.keyops.provider.Material;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maintains the keyring Secret {@code <keyRing>-keyring} (type {@code keyops.dev/keyring}) that
 * workloads mount: {@code keyring.json} with the primary key id and every Ready Staged
 * (decrypt-only), Primary and Retired key. Written only when what it lists changed.
 */
public class KeyBundleWriter {

  public static final String SECRET_TYPE = "keyops.dev/keyring";
  public static final String FILE = "keyring.json";

  /** Annotation on the keyring Secret: {@link #digest} of what it lists. */
  public static final String DIGEST_ANNOTATION = "keyops.dev/keyring-digest";

  private final KubernetesClient client;
  private final KeyCaches caches;

  public KeyBundleWriter(KubernetesClient client, KeyCaches caches) {
    this.client = client;
    this.caches = caches;
  }

  public static String secretName(String keyRing) {
    return keyRing + "-keyring";
  }

  /** A key of the ring as it goes into the keyring. */
  public record Member(EncryptionKey key, KeyState state, String keyId, Material material) {}

  /** Builds the document: members sorted by name, material encoded as README documents. */
  public static KeyBundleDocument document(String namespace, String keyRing, List<Member> members) {
    List<KeyBundleDocument.Entry> entries = new ArrayList<>();
    String primary = null;
    List<Member> sorted = new ArrayList<>(members);
    sorted.sort(Comparator.comparing(m -> m.key().getMetadata().getName()));
    for (Member m : sorted) {
      if (m.state() == KeyState.Primary) {
        primary = m.keyId();
      }
      String provider = m.key().getSpec().getProvider().kind().name();
      if (m.material() instanceof Material.Raw raw) {
        entries.add(
            new KeyBundleDocument.Entry(
                m.keyId(),
                m.key().getMetadata().getName(),
                m.state().name(),
                provider,
                Base64.getEncoder().encodeToString(raw.key()),
                null,
                null,
                null));
      } else if (m.material() instanceof Material.Wrapped w) {
        entries.add(
            new KeyBundleDocument.Entry(
                m.keyId(),
                m.key().getMetadata().getName(),
                m.state().name(),
                provider,
                null,
                w.kmsKeyName(),
                Base64.getEncoder().encodeToString(w.wrappedKey()),
                w.associatedData(),
                w.transit(),
                w.awsKms()));
      }
    }
    return new KeyBundleDocument(KeyBundleDocument.FORMAT, namespace, keyRing, primary, entries);
  }

  /** Deletes the keyring Secret when its last key is gone. */
  public void delete(String namespace, String keyRing) {
    if (caches.keyringSecret(namespace, keyRing).isPresent()) {
      client.secrets().inNamespace(namespace).withName(secretName(keyRing)).delete();
    }
  }

  /**
   * A digest of everything the keyring Secret says: each member's id, name, state, fingerprint and
   * Cloud KMS key version, the Primary, and the owners. Kept in an annotation, so deciding that the
   * Secret is current is a string comparison on the cached Secret, with no parsing and no read.
   */
  public static String digest(List<EncryptionKey> members, List<EncryptionKey> owners) {
    List<String> lines = new ArrayList<>();
    for (EncryptionKey k : members) {
      var s = k.getStatus();
      lines.add(
          "m "
              + s.getKeyId()
              + " "
              + k.getMetadata().getName()
              + " "
              + s.getState()
              + " "
              + s.getFingerprint()
              + " "
              + (s.getKms() == null ? "" : s.getKms().getKeyVersion()));
    }
    owners.forEach(o -> lines.add("o " + o.getMetadata().getUid()));
    Collections.sort(lines);
    return sha256(String.join("\n", lines));
  }

  private static String sha256(String s) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The names of the keys the cached keyring Secret lists (names only: the material is not looked
   * at). Empty when there is no such Secret or it cannot be read.
   */
  public java.util.Set<String> listed(String namespace, String keyRing) {
    return caches
        .keyringSecret(namespace, keyRing)
        .map(s -> s.getData() == null ? null : s.getData().get(FILE))
        .map(
            data -> {
              java.util.Set<String> names = new java.util.HashSet<>();
              try {
                var doc =
                    new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(Base64.getDecoder().decode(data));
                doc.path("keys").forEach(e -> names.add(e.path("name").asText()));
              } catch (java.io.IOException | IllegalArgumentException e) {
                names.clear(); // unreadable: no key counts as listed; the next write fixes it
              }
              return names;
            })
        .orElse(java.util.Set.of());
  }

  /** Whether the cached keyring Secret already carries this digest. */
  public boolean upToDate(String namespace, String keyRing, String digest) {
    return caches
        .keyringSecret(namespace, keyRing)
        .filter(s -> s.getData() != null && s.getData().get(FILE) != null)
        .filter(s -> s.getMetadata().getAnnotations() != null)
        .map(
            s ->
                annotation(digest, s.getData().get(FILE))
                    .equals(s.getMetadata().getAnnotations().get(DIGEST_ANNOTATION)))
        .orElse(false);
  }

  /**
   * The annotation's value: the digest of what the keyring should list, and a hash of the
   * keyring.json written for it, so a hand-edited keyring.json is noticed and rewritten too.
   */
  private static String annotation(String digest, String data) {
    return digest + "." + sha256(data);
  }

  /**
   * Creates the keyring Secret, or merge-patches the fields keyops owns (its labels, the digest
   * annotation, owner references and keyring.json), keeping labels and annotations others added
   * (Argo CD tracking, replication tools). The patch carries the cached resourceVersion, so a stale
   * cache fails with a conflict and is retried instead of overwriting.
   *
   * @param owners every key of the ring: the Secret is garbage-collected with the last of them
   */
  public void write(
      String namespace,
      String keyRing,
      KeyBundleDocument doc,
      List<EncryptionKey> owners,
      String digest) {
    String data = Base64.getEncoder().encodeToString(KeyBundle.toJson(doc));
    List<OwnerReference> refs =
        owners.stream()
            .map(
                k ->
                    new OwnerReferenceBuilder()
                        .withApiVersion(k.getApiVersion())
                        .withKind(k.getKind())
                        .withName(k.getMetadata().getName())
                        .withUid(k.getMetadata().getUid())
                        .build())
            .toList();
    Map<String, String> labels =
        Map.of(
            KeyProviders.LABEL_KEY_RING,
            Names.labelValue(keyRing),
            KeyProviders.LABEL_PART_OF,
            "keyops",
            KeyProviders.LABEL_COMPONENT,
            "keyring");
    Secret existing = caches.keyringSecret(namespace, keyRing).orElse(null);
    if (existing == null) {
      Secret desired =
          new SecretBuilder()
              .withNewMetadata()
              .withName(secretName(keyRing))
              .withNamespace(namespace)
              .withLabels(labels)
              .addToAnnotations(DIGEST_ANNOTATION, annotation(digest, data))
              .withOwnerReferences(refs)
              .endMetadata()
              .withType(SECRET_TYPE)
              .withData(Map.of(FILE, data))
              .build();
      caches.written(client.secrets().inNamespace(namespace).resource(desired).create(), null);
      return;
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("resourceVersion", existing.getMetadata().getResourceVersion());
    metadata.put("labels", labels);
    metadata.put("annotations", Map.of(DIGEST_ANNOTATION, annotation(digest, data)));
    metadata.put("ownerReferences", refs);
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("metadata", metadata);
    patch.put("data", Map.of(FILE, data));
    Secret updated =
        client
            .secrets()
            .inNamespace(namespace)
            .resource(existing) // names the object: no GET before the PATCH
            .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(patch));
    caches.written(updated, existing);
  }
}
