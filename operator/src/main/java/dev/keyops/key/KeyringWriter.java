package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.kms.KeyProviders;
import dev.keyops.kms.Material;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.Keyring;
import dev.keyops.partition.KeyringDocument;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Maintains the keyring Secret {@code <keyRing>-keyring} (type {@code keyops.dev/keyring}) that
 * workloads mount: {@code keyring.json} with the primary key id and every Ready Staged
 * (decrypt-only), Primary and Retired key. Each change replaces the Secret in one update.
 */
public class KeyringWriter {

  public static final String SECRET_TYPE = "keyops.dev/keyring";
  public static final String FILE = "keyring.json";

  private final KubernetesClient client;

  public KeyringWriter(KubernetesClient client) {
    this.client = client;
  }

  public static String secretName(String keyRing) {
    return keyRing + "-keyring";
  }

  /** A key of the ring as it goes into the keyring. */
  public record Member(EncryptionKey key, KeyState state, String keyId, Material material) {}

  /** Builds the document: members sorted by name, material encoded as README documents. */
  public static KeyringDocument document(String namespace, String keyRing, List<Member> members) {
    List<KeyringDocument.Entry> entries = new ArrayList<>();
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
            new KeyringDocument.Entry(
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
            new KeyringDocument.Entry(
                m.keyId(),
                m.key().getMetadata().getName(),
                m.state().name(),
                provider,
                null,
                w.kmsKeyName(),
                Base64.getEncoder().encodeToString(w.wrappedKey()),
                w.associatedData()));
      }
    }
    return new KeyringDocument(KeyringDocument.FORMAT, namespace, keyRing, primary, entries);
  }

  /** Deletes the keyring Secret when its last key is gone. */
  public void delete(String namespace, String keyRing) {
    client.secrets().inNamespace(namespace).withName(secretName(keyRing)).delete();
  }

  /**
   * Whether the keyring Secret already lists exactly these keys, in their current states, with the
   * right Primary and owners (so it need not be rebuilt), and lists {@code current}'s wrapped data
   * key as {@code material} (a gcpKms key's wrapping changes when Cloud KMS rotates).
   */
  public boolean lists(
      String namespace,
      String keyRing,
      List<EncryptionKey> members,
      List<EncryptionKey> owners,
      EncryptionKey current,
      Material material) {
    Secret existing = client.secrets().inNamespace(namespace).withName(secretName(keyRing)).get();
    if (existing == null || existing.getData() == null || existing.getData().get(FILE) == null) {
      return false;
    }
    KeyringDocument doc;
    try {
      doc =
          Keyring.parse(
                  Base64.getDecoder().decode(existing.getData().get(FILE)), DataKeyUnwrapper.NONE)
              .document();
    } catch (IllegalArgumentException e) {
      return false;
    }
    Set<String> listed = new HashSet<>();
    for (KeyringDocument.Entry e :
        doc.keys() == null ? List.<KeyringDocument.Entry>of() : doc.keys()) {
      listed.add(e.keyId() + "/" + e.name() + "/" + e.state());
      if (material instanceof Material.Wrapped w
          && current != null
          && e.keyId().equals(current.getStatus().getKeyId())
          && !Base64.getEncoder().encodeToString(w.wrappedKey()).equals(e.wrappedKey())) {
        return false;
      }
    }
    Set<String> wanted = new HashSet<>();
    String primary = null;
    for (EncryptionKey k : members) {
      wanted.add(
          k.getStatus().getKeyId()
              + "/"
              + k.getMetadata().getName()
              + "/"
              + k.getStatus().getState());
      if (k.getStatus().getState() == KeyState.Primary) {
        primary = k.getStatus().getKeyId();
      }
    }
    Set<String> ownerUids = new HashSet<>();
    owners.forEach(o -> ownerUids.add(o.getMetadata().getUid()));
    Set<String> currentOwners = new HashSet<>();
    if (existing.getMetadata().getOwnerReferences() != null) {
      existing.getMetadata().getOwnerReferences().forEach(r -> currentOwners.add(r.getUid()));
    }
    return listed.equals(wanted)
        && Objects.equals(primary, doc.primaryKeyId())
        && ownerUids.equals(currentOwners);
  }

  /**
   * Writes the keyring Secret if its content changed.
   *
   * @param owners every key of the ring: the Secret is garbage-collected with the last of them
   * @return true if the Secret was created or replaced
   */
  public boolean write(
      String namespace, String keyRing, KeyringDocument doc, List<EncryptionKey> owners) {
    String data = Base64.getEncoder().encodeToString(Keyring.toJson(doc));
    var resource = client.secrets().inNamespace(namespace).withName(secretName(keyRing));
    Secret existing = resource.get();
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
    if (existing != null
        && existing.getData() != null
        && data.equals(existing.getData().get(FILE))
        && existing.getMetadata().getOwnerReferences() != null
        && existing.getMetadata().getOwnerReferences().size() == refs.size()) {
      return false;
    }
    Secret desired =
        new SecretBuilder()
            .withNewMetadata()
            .withName(secretName(keyRing))
            .withNamespace(namespace)
            .addToLabels(KeyProviders.LABEL_KEY_RING, keyRing)
            .addToLabels(KeyProviders.LABEL_PART_OF, "keyops")
            .addToLabels(KeyProviders.LABEL_COMPONENT, "keyring")
            .withOwnerReferences(refs)
            .endMetadata()
            .withType(SECRET_TYPE)
            .withData(Map.of(FILE, data))
            .build();
    if (existing == null) {
      client.secrets().inNamespace(namespace).resource(desired).create();
    } else {
      desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
      client.secrets().inNamespace(namespace).resource(desired).update();
    }
    return true;
  }
}
