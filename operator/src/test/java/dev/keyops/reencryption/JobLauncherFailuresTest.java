package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launch failures on the mock API server: a job whose Job cannot be created ends Failed with
 * the reason and a message that says what to do, and keyops leaves a foreign Job alone.
 */
class JobLauncherFailuresTest {

  OperatorHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(2));
    EncryptionKey k = Fixtures.managedKey("events-1", "events");
    k.getSpec().setActivate(true);
    h.client().resource(k).create();
    h.awaitKey("events-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  Condition awaitFailed(String name) {
    ReencryptionJob failed =
        OperatorHarness.await(
            () ->
                h.client()
                    .resources(ReencryptionJob.class)
                    .inNamespace("default")
                    .withName(name)
                    .get(),
            j -> j.getStatus() != null && j.getStatus().getPhase() == JobPhase.Failed,
            name + " Failed");
    return Conditions.find(failed.getStatus().getConditions(), Conditions.FAILED).orElseThrow();
  }

  @Test
  void aForeignJobOfTheSameNameFailsTheJobAndIsLeftAlone() {
    Job foreign =
        new JobBuilder()
            .withNewMetadata()
            .withName("taken-rekey")
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .withNewTemplate()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("busybox")
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    h.client().resource(foreign).create();
    claim("events-data");
    h.client()
        .resource(Fixtures.reencryptionJob("default", "taken", "events", "events-data", "p"))
        .create();
    Condition failed = awaitFailed("taken");
    assertEquals("JobNameConflict", failed.getReason());
    assertTrue(
        failed.getMessage().contains("not controlled by this ReencryptionJob"), failed::getMessage);
    Job still = h.client().batch().v1().jobs().inNamespace("default").withName("taken-rekey").get();
    assertTrue(
        still.getMetadata().getOwnerReferences() == null
            || still.getMetadata().getOwnerReferences().isEmpty(),
        "the foreign Job is left as it was, not adopted");
  }

  @Test
  void aMissingClaimFailsTheJobBeforeAnyJobIsCreated() {
    h.client()
        .resource(Fixtures.reencryptionJob("default", "no-claim", "events", "missing", "p"))
        .create();
    Condition failed = awaitFailed("no-claim");
    assertEquals("ClaimNotFound", failed.getReason());
    assertTrue(
        failed.getMessage().contains("PersistentVolumeClaim missing not found"),
        failed::getMessage);
    assertNull(
        h.client().batch().v1().jobs().inNamespace("default").withName("no-claim-rekey").get());
  }

  @Test
  void aParquetColumnTheKeyToolsCannotNameFailsTheJobBeforeAnyJobIsCreated() {
    claim("events-data");
    ReencryptionJob rej =
        Fixtures.reencryptionJob("default", "columns", "events", "events-data", "p");
    dev.keyops.api.v1alpha1.ParquetOptions parquet = new dev.keyops.api.v1alpha1.ParquetOptions();
    parquet.setEncryptPlaintext(new dev.keyops.api.v1alpha1.ParquetEncryption());
    parquet.getEncryptPlaintext().setColumns(java.util.List.of("ssn", "ssn"));
    rej.getSpec().setParquet(parquet);
    h.client().resource(rej).create();
    Condition failed = awaitFailed("columns");
    assertEquals("InvalidJob", failed.getReason());
    assertTrue(
        failed.getMessage().contains("spec.parquet.encryptPlaintext.columns")
            && failed.getMessage().contains("more than once"),
        failed::getMessage);
    assertNull(
        h.client().batch().v1().jobs().inNamespace("default").withName("columns-rekey").get());
  }

  void claim(String name) {
    h.client()
        .persistentVolumeClaims()
        .inNamespace("default")
        .resource(
            new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("default")
                .endMetadata()
                .build())
        .create();
  }
}
