package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.ParquetEncryption;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real kube-apiserver: {@code spec.parquet.encryptPlaintext} takes its defaults, refuses an
 * unknown key material, and is immutable like the rest of a job. (Column names are checked by the
 * operator before it starts the Job: a CEL rule over a list of unbounded strings exceeds the API
 * server's cost budget.)
 */
@Tag("realapi")
class ParquetCelTest {

  @RegisterExtension static final CrdNamespace api = new CrdNamespace("parquet-cel");

  static final String JOB =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: ReencryptionJob
      metadata: {name: %s}
      spec: {keyRing: events, storage: {persistentVolumeClaim: {claimName: data}}, parquet: %s}
      """;

  @Test
  void encryptPlaintextTakesItsDefaultsAndIsImmutable() {
    api.create(JOB.formatted("uniform", "{encryptPlaintext: {}}"));
    ParquetEncryption e =
        api.admin()
            .resources(ReencryptionJob.class)
            .inNamespace(api.ns())
            .withName("uniform")
            .get()
            .getSpec()
            .getParquet()
            .getEncryptPlaintext();
    assertEquals(false, e.getPlaintextFooter());
    assertEquals(true, e.getDoubleWrapping());
    assertEquals(ParquetEncryption.KeyMaterial.Internal, e.getKeyMaterial());
    api.create(
        JOB.formatted(
            "columns",
            "{encryptPlaintext: {columns: [ssn, address.street], plaintextFooter: true,"
                + " keyMaterial: External}}"));
    assertEquals(
        List.of("ssn", "address.street"),
        api.admin()
            .resources(ReencryptionJob.class)
            .inNamespace(api.ns())
            .withName("columns")
            .get()
            .getSpec()
            .getParquet()
            .getEncryptPlaintext()
            .getColumns());

    String m =
        api.rejected(JOB.formatted("material", "{encryptPlaintext: {keyMaterial: Sidecar}}"));
    assertTrue(m.contains("keyMaterial"), m);

    var refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.fabric8.kubernetes.client.KubernetesClientException.class,
            () ->
                api.admin()
                    .resources(ReencryptionJob.class)
                    .inNamespace(api.ns())
                    .withName("columns")
                    .edit(
                        j -> {
                          j.getSpec().getParquet().getEncryptPlaintext().setColumns(List.of("ssn"));
                          return j;
                        }));
    m = refused.getMessage();
    assertTrue(m.contains("spec is immutable once created"), m);
  }
}
