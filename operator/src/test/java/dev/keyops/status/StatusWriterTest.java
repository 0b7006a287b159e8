package dev.keyops.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MockApiServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A status write carries the resourceVersion its decision was made on: from a stale copy it is
 * refused, and the newer state stays. (The real API server: see StatusWriterOnRealApiTest.)
 */
public class StatusWriterTest {

  final MockApiServer api = new MockApiServer();

  @AfterEach
  void close() {
    api.close();
  }

  @Test
  void aWriteFromAStaleCopyIsRefusedAndTheNewerStatusStays() {
    assertStaleWriteRefused(api.client(), "default");
  }

  @Test
  void aConflictFromAFinalizerAddedMeanwhileIsNotAStaleDecision() {
    KubernetesClient client = api.client();
    ReencryptionJob read =
        client
            .resource(Fixtures.reencryptionJob("default", "meta", "events", "data", null))
            .create();
    client
        .resources(ReencryptionJob.class)
        .inNamespace("default")
        .withName("meta")
        .edit(
            r -> {
              r.getMetadata().getFinalizers().add("keyops.dev/stop-rebuild");
              return r;
            });
    ReencryptionJob written = StatusWriter.replace(client, read, phase(JobPhase.Pending));
    assertEquals(JobPhase.Pending, written.getStatus().getPhase());
    assertEquals(List.of("keyops.dev/stop-rebuild"), written.getMetadata().getFinalizers());
  }

  /** Shared with the real API server tier. */
  public static void assertStaleWriteRefused(KubernetesClient client, String namespace) {
    ReencryptionJob created =
        client
            .resource(Fixtures.reencryptionJob(namespace, "stale", "events", "data", null))
            .create();
    ReencryptionJob read = StatusWriter.replace(client, created, phase(JobPhase.Pending));

    // Someone else moves the status on (another replica, or this one a reconcile later) ...
    ReencryptionJob newer = StatusWriter.replace(client, read, phase(JobPhase.Running));
    // ... and a reconcile that decided on the older copy writes: refused, not applied.
    KubernetesClientException refused =
        assertThrows(
            KubernetesClientException.class,
            () -> StatusWriter.replace(client, read, phase(JobPhase.Failed)));
    assertEquals(409, refused.getCode());
    ReencryptionJob now =
        client.resources(ReencryptionJob.class).inNamespace(namespace).withName("stale").get();
    assertEquals(JobPhase.Running, now.getStatus().getPhase());
    assertEquals(newer.getMetadata().getResourceVersion(), now.getMetadata().getResourceVersion());

    // Decided again on the fresh copy, the write goes through.
    StatusWriter.replace(client, now, phase(JobPhase.Failed));
    assertEquals(
        JobPhase.Failed,
        client
            .resources(ReencryptionJob.class)
            .inNamespace(namespace)
            .withName("stale")
            .get()
            .getStatus()
            .getPhase());
  }

  private static ReencryptionJobStatus phase(JobPhase phase) {
    ReencryptionJobStatus s = new ReencryptionJobStatus();
    s.setPhase(phase);
    return s;
  }
}
