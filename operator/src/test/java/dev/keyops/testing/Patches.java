package dev.keyops.testing;

import dev.keyops.api.v1alpha1.EncryptionKey;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;

/**
 * Changes to a key as users make them (`kubectl annotate`, `kubectl patch`): JSON merge patches,
 * which do not conflict with the operator's concurrent status writes.
 */
public final class Patches {
  private Patches() {}

  public static void annotate(
      KubernetesClient client, String ns, String key, String annotation, String value) {
    client
        .resources(EncryptionKey.class)
        .inNamespace(ns)
        .withName(key)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"" + annotation + "\":\"" + value + "\"}}}");
  }

  public static void activate(KubernetesClient client, String ns, String key) {
    client
        .resources(EncryptionKey.class)
        .inNamespace(ns)
        .withName(key)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"activate\":true}}");
  }

  /**
   * Sets one field of a key's status with a JSON merge patch of the status subresource, without a
   * resourceVersion: what a test that plays another writer does while the operator may write the
   * same status (a PUT of a read copy would meet 409 Conflict).
   */
  public static void status(
      KubernetesClient client, String ns, String key, String field, Object value) {
    client
        .resources(EncryptionKey.class)
        .inNamespace(ns)
        .withName(key)
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            Serialization.asJson(Map.of("status", Map.of(field, value))));
  }
}
