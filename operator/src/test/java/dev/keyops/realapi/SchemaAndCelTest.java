package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.testing.Crds;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** On a real kube-apiserver: the CRDs install, every example applies, and every rule bites. */
@Tag("realapi")
class SchemaAndCelTest {

  @RegisterExtension static final CrdNamespace api = new CrdNamespace("schema");

  List<HasMetadata> load(String yaml) {
    return api.admin()
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items();
  }

  static final String KEY =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: %s}
      spec:
        keyRing: %s
        provider: %s
      """;

  @Test
  void everyExampleApplies() throws Exception {
    try (Stream<Path> s = Files.walk(Crds.repoRoot().resolve("examples"))) {
      for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (HasMetadata o : api.admin().load(Files.newInputStream(f)).items()) {
          api.admin().resource(o).inNamespace(api.ns()).dryRun().create();
        }
      }
    }
  }

  @Test
  void exactlyOneProvider() {
    String m =
        api.rejected(KEY.formatted("two", "r", "{managed: {}, secretRef: {name: s, key: k}}"));
    assertTrue(m.contains("exactly one provider must be set"), m);
    m = api.rejected(KEY.formatted("none", "r", "{}"));
    assertTrue(m.contains("exactly one provider must be set"), m);
  }

  @Test
  void keyRingIsADnsLabelAndTheKeyNameHasTheCloudKmsShape() {
    String m = api.rejected(KEY.formatted("bad-ring", "Bad_Ring", "{managed: {}}"));
    assertTrue(m.contains("spec.keyRing"), m);
    m = api.rejected(KEY.formatted("bad-kms", "r", "{gcpKms: {keyName: projects/p/keyRings/r}}"));
    assertTrue(m.contains("spec.provider.gcpKms.keyName"), m);
    m =
        api.rejected(
            """
        apiVersion: keyops.dev/v1alpha1
        kind: EncryptionKey
        metadata: {name: no-ring}
        spec:
          provider: {managed: {}}
        """);
    assertTrue(m.contains("spec.keyRing: Required value"), m);
  }

  @Test
  void keyRingProviderAndActivationAreOneWay() {
    api.create(KEY.formatted("k1", "r", "{managed: {}}") + "  activate: true\n");
    var keys =
        api.admin()
            .genericKubernetesResources("keyops.dev/v1alpha1", "EncryptionKey")
            .inNamespace(api.ns());
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () -> keys.withName("k1").edit(k -> set(k, "keyRing", "other")));
    assertTrue(e.getMessage().contains("keyRing is immutable"), e.getMessage());
    e =
        assertThrows(
            KubernetesClientException.class,
            () ->
                keys.withName("k1")
                    .edit(
                        k ->
                            set(
                                k,
                                "provider",
                                java.util.Map.of(
                                    "secretRef", java.util.Map.of("name", "s", "key", "k")))));
    assertTrue(e.getMessage().contains("provider is immutable"), e.getMessage());
    e =
        assertThrows(
            KubernetesClientException.class,
            () -> keys.withName("k1").edit(k -> set(k, "activate", false)));
    assertTrue(e.getMessage().contains("activate cannot be set back to false"), e.getMessage());
  }

  @Test
  void reencryptionJobsAreValidatedAndImmutable() {
    String job =
        """
        apiVersion: keyops.dev/v1alpha1
        kind: ReencryptionJob
        metadata: {name: %s}
        spec:
          keyRing: r
          storage: {persistentVolumeClaim: {claimName: data}}
          shards: %d
          parallelism: %d
        """;
    String m = api.rejected(job.formatted("zero", 0, 1));
    assertTrue(m.contains("spec.shards"), m);
    m = api.rejected(job.formatted("zero-p", 1, 0));
    assertTrue(m.contains("spec.parallelism"), m);
    m =
        api.rejected(
            job.formatted("both", 1, 1)
                + "  worker: {image: x}\n  template: {spec: {containers: []}}\n");
    assertTrue(m.contains("set either worker"), m);
    api.create(job.formatted("ok", 2, 1));
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () ->
                api.admin()
                    .genericKubernetesResources("keyops.dev/v1alpha1", "ReencryptionJob")
                    .inNamespace(api.ns())
                    .withName("ok")
                    .edit(r -> set(r, "shards", 3)));
    assertTrue(e.getMessage().contains("spec is immutable once created"), e.getMessage());
  }

  /** spec.keyRing has the EncryptionKey's limit: a DNS label of at most 54 characters. */
  @Test
  void aReencryptionJobsKeyRingHasTheKeysLimit() {
    String job =
        """
        apiVersion: keyops.dev/v1alpha1
        kind: ReencryptionJob
        metadata: {name: %s}
        spec:
          keyRing: %s
          storage: {persistentVolumeClaim: {claimName: data}}
          shards: %d
        """;
    String m = api.rejected(job.formatted("long-ring", "r".repeat(55), 1));
    assertTrue(m.contains("spec.keyRing"), m);
    m = api.rejected(job.formatted("dotted-ring", "a.b", 1));
    assertTrue(m.contains("spec.keyRing"), m);
    m = api.rejected(job.formatted("many-shards", "r", 100001));
    assertTrue(m.contains("spec.shards"), m);
    api.create(job.formatted("ring-at-limit", "r".repeat(54), 100000));
  }

  @SuppressWarnings("unchecked")
  static GenericKubernetesResource set(GenericKubernetesResource r, String field, Object value) {
    ((java.util.Map<String, Object>) r.getAdditionalProperties().get("spec")).put(field, value);
    return r;
  }
}
