package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.status.ErrorKinds;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure rules: what pods say about a stall, and what kind an exception is. */
class StallsAndErrorsTest {

  static PodBuilder pod(String name, String phase) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withCreationTimestamp("2026-11-23T10:00:00Z")
        .addToAnnotations(RunObserver.INDEX_ANNOTATION, "0")
        .endMetadata()
        .withNewStatus()
        .withPhase(phase)
        .endStatus();
  }

  static Pod waiting(String reason) {
    return pod("p", "Pending")
        .editStatus()
        .addNewContainerStatus()
        .withName("rekey")
        .withImage("img:1")
        .withNewState()
        .withNewWaiting()
        .withReason(reason)
        .withMessage("m")
        .endWaiting()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void podsSayWhyTheyCannotRun() {
    for (String r : List.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName")) {
      assertEquals(
          Reason.ImagePullFailed, Stalls.fromPods(List.of(waiting(r)), "j").get().reason());
    }
    assertEquals(
        Reason.WorkerCannotStart,
        Stalls.fromPods(List.of(waiting("CreateContainerConfigError")), "j").get().reason());
    assertTrue(Stalls.fromPods(List.of(waiting("ContainerCreating")), "j").isEmpty());
    Pod unschedulable =
        pod("p", "Pending")
            .editStatus()
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/3 nodes are available")
            .endCondition()
            .endStatus()
            .build();
    var p = Stalls.fromPods(List.of(unschedulable), "j").get();
    assertEquals(Reason.Unschedulable, p.reason());
    assertTrue(p.message().contains("0/3 nodes"));
  }

  @Test
  void aRunningWorkerIsProgressAndActivityIsTheNewestSignOfLife() {
    assertTrue(Stalls.anyRunning(List.of(pod("a", "Running").build(), waiting("ErrImagePull"))));
    assertFalse(Stalls.anyRunning(List.of(waiting("ErrImagePull"))));
    Instant start = Instant.parse("2026-11-23T09:00:00Z");
    assertEquals(
        Instant.parse("2026-11-23T10:00:00Z"),
        Stalls.lastActivity(List.of(pod("a", "Pending").build()), start));
    assertEquals(start, Stalls.lastActivity(List.of(), start));
  }

  @Test
  void oomKilledWorkersAreNamed() {
    Pod oom =
        pod("w", "Failed")
            .editStatus()
            .addNewContainerStatus()
            .withName("rekey")
            .withNewState()
            .withNewTerminated()
            .withReason("OOMKilled")
            .withExitCode(137)
            .endTerminated()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();
    var p = Stalls.oomKilled(List.of(oom)).get();
    assertEquals(Reason.WorkerOOMKilled, p.reason());
    assertTrue(p.message().contains("limits.memory"));
    assertTrue(Stalls.oomKilled(List.of(waiting("ErrImagePull"))).isEmpty());
  }

  static KubernetesClientException api(int code) {
    return new KubernetesClientException(
        new StatusBuilder().withCode(code).withMessage("msg " + code).build());
  }

  @Test
  void errorsAreSortedByKind() {
    var forbidden = ErrorKinds.classify(api(403));
    assertEquals(Reason.Forbidden, forbidden.reason());
    assertTrue(forbidden.permanent());
    assertEquals(ErrorKinds.FORBIDDEN_RECHECK, forbidden.recheck());
    var invalid = ErrorKinds.classify(new RuntimeException("wrapped", api(422)));
    assertEquals(Reason.InvalidRequest, invalid.reason());
    assertTrue(invalid.permanent());
    assertTrue(invalid.message().contains("msg 422"));
    assertEquals(Reason.Conflict, ErrorKinds.classify(api(409)).reason());
    assertFalse(ErrorKinds.classify(api(409)).permanent());
    assertEquals(Reason.ApiServerUnavailable, ErrorKinds.classify(api(503)).reason());
    assertEquals(Reason.ApiServerUnavailable, ErrorKinds.classify(api(429)).reason());
    assertFalse(ErrorKinds.classify(api(500)).permanent());
    // A call that never got an answer (interrupted during shutdown: code -1) is no refusal.
    assertEquals(Reason.ApiServerUnavailable, ErrorKinds.classify(api(-1)).reason());
    assertFalse(ErrorKinds.classify(api(-1)).permanent());
    assertEquals(Reason.ApiServerUnavailable, ErrorKinds.classify(api(0)).reason());
    var internal = ErrorKinds.classify(new IllegalStateException("secret-looking text"));
    assertEquals(Reason.InternalError, internal.reason());
    assertFalse(internal.permanent());
    assertFalse(internal.message().contains("secret-looking"), "never an unknown message");
  }
}
