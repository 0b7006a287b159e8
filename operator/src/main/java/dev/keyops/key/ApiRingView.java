package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Optional;

/** A {@link RingView} that asks the API server each time (for tools, not for controllers). */
public class ApiRingView implements RingView {

  private final KubernetesClient client;

  public ApiRingView(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public List<EncryptionKey> keys(String namespace, String keyRing) {
    return client.resources(EncryptionKey.class).inNamespace(namespace).list().getItems().stream()
        .filter(k -> keyRing.equals(k.getSpec().getKeyRing()))
        .toList();
  }

  @Override
  public Optional<Secret> keyringSecret(String namespace, String keyRing) {
    return Optional.ofNullable(
        client.secrets().inNamespace(namespace).withName(KeyringWriter.secretName(keyRing)).get());
  }
}
