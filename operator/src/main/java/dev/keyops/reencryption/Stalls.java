package dev.keyops.reencryption;

import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Why the workers of a running ReencryptionJob cannot make progress, read from its pods as the
 * kubelet and the scheduler report them. Pure: no API calls.
 */
final class Stalls {

  /** How long no worker may run, with nothing else said, before the claim is checked. */
  static final Duration GRACE = Duration.ofSeconds(30);

  private static final Set<String> IMAGE_PULL =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");
  private static final Set<String> CANNOT_START =
      Set.of("CreateContainerConfigError", "CreateContainerError", "RunContainerError");

  /** A problem a user can act on: the reason and what to do. */
  record Problem(Reason reason, String message) {}

  private Stalls() {}

  /** True when some worker runs now: the job progresses. */
  static boolean anyRunning(Collection<Pod> pods) {
    return pods.stream()
        .anyMatch(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
  }

  /**
   * What the pods that wait say about why they cannot run: an image that cannot be pulled, a pod
   * the scheduler cannot place, a container that cannot be created. Empty when none says anything.
   */
  static Optional<Problem> fromPods(Collection<Pod> pods, String jobName) {
    for (Pod p : sorted(pods)) {
      if (p.getStatus() == null || !"Pending".equals(p.getStatus().getPhase())) {
        continue;
      }
      String pod = p.getMetadata().getName();
      for (ContainerStatus c : containers(p)) {
        var waiting = c.getState() == null ? null : c.getState().getWaiting();
        if (waiting == null || waiting.getReason() == null) {
          continue;
        }
        if (IMAGE_PULL.contains(waiting.getReason())) {
          return Optional.of(
              new Problem(
                  Reason.ImagePullFailed,
                  "pod "
                      + pod
                      + " cannot pull image "
                      + c.getImage()
                      + " ("
                      + waiting.getReason()
                      + detail(waiting.getMessage())
                      + "): fix spec.worker.image or the operator's worker image, or the"
                      + " registry credentials (imagePullSecrets of the ServiceAccount), then"
                      + " create a new ReencryptionJob"));
        }
        if (CANNOT_START.contains(waiting.getReason())) {
          return Optional.of(
              new Problem(
                  Reason.WorkerCannotStart,
                  "pod "
                      + pod
                      + " cannot start its container ("
                      + waiting.getReason()
                      + detail(waiting.getMessage())
                      + "): fix the pod template, then create a new ReencryptionJob"));
        }
      }
      for (PodCondition c : conditions(p)) {
        if ("PodScheduled".equals(c.getType())
            && Conditions.FALSE.equals(c.getStatus())
            && "Unschedulable".equals(c.getReason())) {
          return Optional.of(
              new Problem(
                  Reason.Unschedulable,
                  "pod "
                      + pod
                      + " cannot be scheduled"
                      + detail(c.getMessage())
                      + ": free or add capacity, or change spec.worker (resources, nodeSelector,"
                      + " tolerations) in a new ReencryptionJob"));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The last sign of life of the run: its start, the newest pod's creation, or a container's start
   * or end. No worker running and nothing new since {@link #GRACE} means the workers are stuck.
   */
  static Instant lastActivity(Collection<Pod> pods, Instant startedAt) {
    Instant last = startedAt;
    for (Pod p : pods) {
      last = max(last, p.getMetadata().getCreationTimestamp());
      for (ContainerStatus c : containers(p)) {
        if (c.getState() != null && c.getState().getTerminated() != null) {
          last = max(last, c.getState().getTerminated().getFinishedAt());
        }
        if (c.getState() != null && c.getState().getRunning() != null) {
          last = max(last, c.getState().getRunning().getStartedAt());
        }
      }
    }
    return last;
  }

  /** A worker that was killed for exceeding its memory limit, if any. */
  static Optional<Problem> oomKilled(Collection<Pod> pods) {
    for (Pod p : sorted(pods)) {
      for (ContainerStatus c : containers(p)) {
        var t = c.getState() == null ? null : c.getState().getTerminated();
        if (t == null && c.getLastState() != null) {
          t = c.getLastState().getTerminated();
        }
        if (t != null && "OOMKilled".equals(t.getReason())) {
          String index =
              p.getMetadata().getAnnotations() == null
                  ? "?"
                  : p.getMetadata().getAnnotations().get(RunObserver.INDEX_ANNOTATION);
          return Optional.of(
              new Problem(
                  Reason.WorkerOOMKilled,
                  "the worker of shard "
                      + index
                      + " (pod "
                      + p.getMetadata().getName()
                      + ") was OOMKilled: raise spec.worker.resources.limits.memory (or use"
                      + " more shards) in a new ReencryptionJob; the Job retries the shard at"
                      + " most twice"));
        }
      }
    }
    return Optional.empty();
  }

  private static List<Pod> sorted(Collection<Pod> pods) {
    List<Pod> l = new ArrayList<>(pods);
    l.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    return l;
  }

  private static List<ContainerStatus> containers(Pod p) {
    if (p.getStatus() == null) {
      return List.of();
    }
    List<ContainerStatus> l = new ArrayList<>();
    if (p.getStatus().getInitContainerStatuses() != null) {
      l.addAll(p.getStatus().getInitContainerStatuses());
    }
    if (p.getStatus().getContainerStatuses() != null) {
      l.addAll(p.getStatus().getContainerStatuses());
    }
    return l;
  }

  private static List<PodCondition> conditions(Pod p) {
    return p.getStatus() == null || p.getStatus().getConditions() == null
        ? List.of()
        : p.getStatus().getConditions();
  }

  private static String detail(String message) {
    if (message == null || message.isBlank()) {
      return "";
    }
    String m = message.strip();
    return ": " + (m.length() > 300 ? m.substring(0, 300) + "..." : m);
  }

  private static Instant max(Instant a, String timestamp) {
    if (timestamp == null) {
      return a;
    }
    Instant t = Instant.parse(timestamp);
    return a == null || t.isAfter(a) ? t : a;
  }
}
