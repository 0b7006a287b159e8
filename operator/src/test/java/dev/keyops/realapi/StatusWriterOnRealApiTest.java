package dev.keyops.realapi;

import dev.keyops.status.StatusWriterTest;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The stale status write of {@link StatusWriterTest}, refused by a real API server. */
@Tag("realapi")
class StatusWriterOnRealApiTest {

  @Test
  void aWriteFromAStaleCopyIsRefusedAndTheNewerStatusStays() throws Exception {
    RealApi.kubeconfig();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "status");
      try {
        StatusWriterTest.assertStaleWriteRefused(admin, ns);
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }
}
