package dev.keyops.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.status.KStatus.Progress;
import dev.keyops.status.KStatus.Verdict;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The derivation of the kstatus conditions (Reconciling, Stalled, Ready) for every keyops kind, as
 * a table: the conditions the controllers record in, the verdict out.
 */
class KStatusTest {

  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

  static Condition c(String type, String status, String reason) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(type + " " + reason)
        .withLastTransitionTime(T0.toString())
        .build();
  }

  /** A key's conditions and the verdict expected; out null: no verdict (conditions left alone). */
  record KeyRow(String name, boolean deleting, List<Condition> in, Progress out, String reason) {}

  @TestFactory
  Stream<DynamicTest> encryptionKeys() {
    List<KeyRow> table =
        List.of(
            new KeyRow(
                "valid material",
                false,
                List.of(c("Ready", "True", "KeyMaterialValid")),
                Progress.CURRENT,
                "KeyMaterialValid"),
            new KeyRow("not validated yet", false, List.of(), Progress.RECONCILING, "Validating"),
            new KeyRow(
                "Ready Unknown",
                false,
                List.of(c("Ready", "Unknown", "KeyVersionUnknown")),
                Progress.RECONCILING,
                "Validating"),
            new KeyRow(
                "bad material",
                false,
                List.of(c("Ready", "False", "InvalidKeyMaterial")),
                Progress.STALLED,
                "InvalidKeyMaterial"),
            new KeyRow(
                "customer Secret missing",
                false,
                List.of(c("Ready", "False", "SecretNotFound")),
                Progress.STALLED,
                "SecretNotFound"),
            new KeyRow(
                "Cloud KMS permission denied",
                false,
                List.of(
                    c("Ready", "False", "PermissionDenied"),
                    c("KmsAccessVerified", "False", "PermissionDenied")),
                Progress.STALLED,
                "PermissionDenied"),
            new KeyRow(
                "Cloud KMS unavailable: retried by keyops",
                false,
                List.of(c("Ready", "False", "KmsUnavailable")),
                Progress.RECONCILING,
                "KmsUnavailable"),
            new KeyRow(
                "RBAC forbids a call",
                false,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"), c("Reconciled", "False", "Forbidden")),
                Progress.STALLED,
                "Forbidden"),
            new KeyRow(
                "API server unavailable: retried",
                false,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("Reconciled", "False", "ApiServerUnavailable")),
                Progress.RECONCILING,
                "ApiServerUnavailable"),
            new KeyRow(
                "wrapping key version at risk",
                false,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("DataAtRisk", "True", "KeyVersionAtRisk")),
                Progress.STALLED,
                "KeyVersionAtRisk"),
            new KeyRow(
                "version at risk is over",
                false,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("DataAtRisk", "False", "KeyVersionEnabled")),
                Progress.CURRENT,
                "KeyMaterialValid"),
            new KeyRow(
                "disable refused: partitions on the key",
                false,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("Disabled", "False", "DisableRefusedPartitions")),
                Progress.STALLED,
                "DisableRefusedPartitions"),
            new KeyRow(
                "enabled again",
                false,
                List.of(c("Ready", "True", "KeyMaterialValid"), c("Disabled", "False", "Enabled")),
                Progress.CURRENT,
                "KeyMaterialValid"),
            new KeyRow(
                "drop refused",
                true,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("DropBlocked", "True", "DropRefusedPartitions")),
                Progress.STALLED,
                "DropRefusedPartitions"),
            new KeyRow(
                "destruction scheduled",
                true,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("DestroyScheduled", "True", "DestroyScheduled")),
                Progress.RECONCILING,
                "DestroyScheduled"),
            new KeyRow(
                "dropped at once: left alone",
                true,
                List.of(c("Ready", "False", "InvalidKeyMaterial")),
                null,
                null),
            new KeyRow(
                "let go after a refusal: no longer stalled",
                true,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("Stalled", "True", "DropRefusedNoInventory")),
                Progress.CURRENT,
                "DropAllowed"),
            new KeyRow(
                "destruction cancelled: no longer reconciling",
                true,
                List.of(
                    c("Ready", "True", "KeyMaterialValid"),
                    c("DestroyScheduled", "False", "DestroyCancelled"),
                    c("Reconciling", "True", "DestroyScheduled")),
                Progress.CURRENT,
                "DestroyCancelled"));
    return table.stream()
        .map(
            row ->
                DynamicTest.dynamicTest(
                    row.name(),
                    () -> {
                      EncryptionKeyStatus s = new EncryptionKeyStatus();
                      s.setConditions(new ArrayList<>(row.in()));
                      Optional<Verdict> v = KStatus.key(s, row.deleting());
                      if (row.out() == null) {
                        assertTrue(v.isEmpty(), () -> "expected no verdict, got " + v);
                        return;
                      }
                      assertEquals(row.out(), v.orElseThrow().progress(), row.name());
                      assertEquals(row.reason(), v.get().reason(), row.name());
                    }));
  }

  record JobRow(String name, JobPhase phase, List<Condition> in, Progress out, String reason) {}

  @TestFactory
  Stream<DynamicTest> reencryptionJobs() {
    List<JobRow> table =
        List.of(
            new JobRow("not reconciled yet", null, List.of(), Progress.RECONCILING, "Pending"),
            new JobRow(
                "queued behind another job",
                JobPhase.Pending,
                List.of(c("Waiting", "True", "Queued")),
                Progress.RECONCILING,
                "Queued"),
            new JobRow(
                "waiting for its target key",
                JobPhase.Pending,
                List.of(c("Waiting", "True", "WaitingForTargetKey")),
                Progress.RECONCILING,
                "WaitingForTargetKey"),
            new JobRow(
                "target key does not exist",
                JobPhase.Pending,
                List.of(c("Waiting", "True", "TargetKeyNotFound")),
                Progress.STALLED,
                "TargetKeyNotFound"),
            new JobRow("running", JobPhase.Running, List.of(), Progress.RECONCILING, "Running"),
            new JobRow(
                "running, workers cannot pull the image",
                JobPhase.Running,
                List.of(c("Stalled", "True", "ImagePullFailed")),
                Progress.STALLED,
                "ImagePullFailed"),
            new JobRow(
                "running again after a stall",
                JobPhase.Running,
                List.of(c("Stalled", "False", "WorkersRunning")),
                Progress.RECONCILING,
                "Running"),
            new JobRow(
                "just started: a stall from before the start does not count",
                JobPhase.Running,
                List.of(c("Stalled", "True", "TargetKeyNotFound")),
                Progress.RECONCILING,
                "Running"),
            new JobRow(
                "suspended by spec",
                JobPhase.Running,
                List.of(c("Suspended", "True", "SuspendedBySpec")),
                Progress.RECONCILING,
                "SuspendedBySpec"),
            new JobRow(
                "suspended by an invalid window",
                JobPhase.Running,
                List.of(c("Suspended", "True", "InvalidWindow")),
                Progress.STALLED,
                "InvalidWindow"),
            new JobRow(
                "API server unavailable while running",
                JobPhase.Running,
                List.of(c("Reconciled", "False", "ApiServerUnavailable")),
                Progress.RECONCILING,
                "ApiServerUnavailable"),
            new JobRow(
                "RBAC forbids creating the Job",
                JobPhase.Running,
                List.of(c("Reconciled", "False", "Forbidden")),
                Progress.STALLED,
                "Forbidden"),
            new JobRow(
                "succeeded",
                JobPhase.Succeeded,
                List.of(
                    c("Complete", "True", "JobSucceeded"), c("Failed", "False", "JobSucceeded")),
                Progress.CURRENT,
                "JobSucceeded"),
            new JobRow(
                "failed",
                JobPhase.Failed,
                List.of(
                    c("Failed", "True", "ProgressDeadlineExceeded"),
                    c("Stalled", "True", "ImagePullFailed")),
                Progress.STALLED,
                "ProgressDeadlineExceeded"));
    return table.stream()
        .map(
            row ->
                DynamicTest.dynamicTest(
                    row.name(),
                    () -> {
                      ReencryptionJobStatus s = new ReencryptionJobStatus();
                      s.setPhase(row.phase());
                      s.setJobName("j-rekey");
                      s.setConditions(new ArrayList<>(row.in()));
                      Verdict v = KStatus.job(s);
                      assertEquals(row.out(), v.progress(), row.name());
                      assertEquals(row.reason(), v.reason(), row.name());
                    }));
  }

  @Test
  void keyRings() {
    Verdict applied = new Verdict(Progress.CURRENT, "PolicyApplied", "rotation every 24h");
    Verdict noTemplate = new Verdict(Progress.STALLED, "NoKeyTemplate", "rotate by hand");
    assertEquals(applied, KStatus.ring(applied, null, null));
    assertEquals(noTemplate, KStatus.ring(noTemplate, null, null));
    assertEquals(noTemplate, KStatus.ring(noTemplate, "k2", null));
    Verdict rotating = KStatus.ring(applied, "orders-20260102-0100", null);
    assertEquals(Progress.RECONCILING, rotating.progress());
    assertEquals("Rotating", rotating.reason());
    assertTrue(rotating.message().contains("orders-20260102-0100"), rotating.message());
    Verdict blocked =
        KStatus.ring(applied, "orders-20260102-0100", c("Stalled", "True", "PermissionDenied"));
    assertEquals(Progress.STALLED, blocked.progress());
    assertEquals("RotationBlocked", blocked.reason());
    assertTrue(blocked.message().contains("PermissionDenied"), blocked.message());
  }

  private static Condition find(List<Condition> cs, String type) {
    return Conditions.find(cs, type).orElseThrow(() -> new AssertionError("no " + type));
  }
}
