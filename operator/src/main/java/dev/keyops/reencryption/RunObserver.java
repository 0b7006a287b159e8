package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.LocationCount;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.api.v1alpha1.UnreadableFile;
import dev.keyops.key.RingView;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.rekey.WorkerResult;
import dev.keyops.status.Conditions;
import dev.keyops.status.KStatus;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows a running ReencryptionJob from its Job and pods as the informers hold them: aggregates
 * the pods' JSON results into status, says why no worker runs (and fails the job when that lasts
 * longer than its progress deadline, stopping its Job so the ring's next job can run), sets the
 * phase and conditions when the Job ends, and records the completed inventory on the key ring's
 * EncryptionKeys. Everything is derived from the Job and its pods, so a restart loses nothing.
 */
class RunObserver {

  static final String INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
  static final String INVENTORY_RECORDED = "InventoryRecorded";
  static final String STALLED = KStatus.STALLED;
  static final String DEGRADED = "Degraded";

  /** How often a running job is looked at without an event: stalls and deadlines need time. */
  static final Duration RUNNING_RECHECK = Duration.ofSeconds(15);

  /**
   * How long an ended Job waits for its pods' results to reach the pod cache. The Job and its pods
   * come through two watches: the Job's end can arrive first, and judging it then would fail a run
   * whose every shard succeeded.
   */
  static final Duration RESULTS_GRACE = Duration.ofSeconds(30);

  static final Duration RESULTS_RECHECK = Duration.ofSeconds(2);

  /** When this operator first saw each ended Job (by uid) without all its shards' results. */
  private final Map<String, Instant> waitingForResults = new ConcurrentHashMap<>();

  private final KubernetesClient client;
  private final RingView ring;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;

  RunObserver(KubernetesClient client, RingView ring, EventRecorder events, KeyopsMetrics metrics) {
    this.client = client;
    this.ring = ring;
    this.events = events;
    this.metrics = metrics;
  }

  static boolean recorded(ReencryptionJobStatus s) {
    return Conditions.find(s.getConditions(), INVENTORY_RECORDED).isPresent();
  }

  /**
   * @param job the Job from the cache, or null when it is gone
   * @return when to look again, or null
   */
  Duration observe(
      ReencryptionJob rej,
      ReencryptionJobStatus s,
      Job job,
      Collection<Pod> pods,
      boolean suspended,
      Instant now) {
    boolean terminal = s.getPhase() == JobPhase.Succeeded || s.getPhase() == JobPhase.Failed;
    if (terminal && recorded(s)) {
      return null;
    }
    Results r = collectResults(rej, s, pods);
    if (terminal) {
      recordInventory(rej, s, r.totals(), r.results(), now);
      return null;
    }
    if (job == null) {
      fail(
          rej,
          s,
          Reason.JobDeleted,
          "its Job "
              + s.getJobName()
              + " was deleted before it ended: create a new ReencryptionJob to run again",
          now);
      recordInventory(rej, s, r.totals(), r.results(), now);
      return null;
    }
    Optional<Stalls.Problem> oom = Stalls.oomKilled(pods);
    oom.ifPresent(p -> flag(rej, s, DEGRADED, p, now));
    String failedMessage = jobCondition(job, "Failed");
    boolean complete = jobCondition(job, "Complete") != null;
    if (failedMessage == null && !complete) {
      s.setPhase(JobPhase.Running);
      if (suspended) {
        return null; // no worker runs on purpose: not a stall (the windows say when to look)
      }
      return followStall(rej, s, job, pods, now) ? null : RUNNING_RECHECK;
    }
    if (resultsMissing(job, r) && !resultsOverdue(job, now)) {
      return RESULTS_RECHECK; // the Job's end came before its pods' results: look again shortly
    }
    waitingForResults.remove(job.getMetadata().getUid());
    s.setCompletedAt(now.toString());
    // Stalled follows the end (False when Succeeded, True with the reason when Failed): KStatus.
    if (complete && r.totals().complete() && r.totals().problems() == 0) {
      succeed(rej, s, r.totals(), now);
    } else {
      fail(rej, s, failureReason(job, oom, r.totals()), whyFailed(r, oom, failedMessage), now);
    }
    countPartitions(r.totals());
    recordInventory(rej, s, r.totals(), r.results(), now);
    return null;
  }

  /** Shards without a result and without a pod that ended without one: not in the cache yet. */
  private static boolean resultsMissing(Job job, Results r) {
    return r.totals().shardsReported() < r.totals().shardsExpected() && r.podProblems().isEmpty();
  }

  /** Whether the grace for missing results (from when this operator first saw it) is over. */
  private boolean resultsOverdue(Job job, Instant now) {
    Instant first = waitingForResults.computeIfAbsent(job.getMetadata().getUid(), u -> now);
    return !now.isBefore(first.plus(RESULTS_GRACE));
  }

  /** The pods' results, aggregated, and the pods that ended without one. */
  private record Results(
      List<WorkerResult> results, List<String> podProblems, ResultAggregation.Totals totals) {}

  /** Aggregates the pods' results into status and the progress metrics. */
  private Results collectResults(
      ReencryptionJob rej, ReencryptionJobStatus s, Collection<Pod> pods) {
    int shards = rej.getSpec().getShards() == null ? 1 : rej.getSpec().getShards();
    List<String> podProblems = new ArrayList<>();
    List<WorkerResult> results = latestResults(pods, podProblems);
    ResultAggregation.Totals totals = ResultAggregation.aggregate(results, shards);
    boolean seenBefore = s.getPartitions() != null && nonZero(s.getPartitions().getTotal());
    metrics.jobProgress(rej, totals.shardsReported(), shards, totals.bytes(), seenBefore);
    s.setPartitions(totals.partitions());
    s.setByKey(totals.byKeyBefore());
    s.setFailures(totals.failures().isEmpty() ? null : totals.failures());
    return new Results(results, podProblems, totals);
  }

  private void succeed(
      ReencryptionJob rej, ReencryptionJobStatus s, ResultAggregation.Totals totals, Instant now) {
    var b = StatusBuilder.of(rej, s, now);
    s.setPhase(JobPhase.Succeeded);
    String msg =
        "rebuilt "
            + totals.partitions().getRebuilt()
            + " partition(s); "
            + totals.partitions().getAlreadyOnTarget()
            + " were already on the target; "
            + totals.partitions().getTotal()
            + " scanned";
    b.set(Conditions.COMPLETE, true, Reason.JobSucceeded, msg);
    b.set(Conditions.FAILED, false, Reason.JobSucceeded, msg);
    events.normal(rej, Reason.JobSucceeded, msg);
  }

  /** Everything that went wrong in an ended Job, for its Failed condition. */
  private static String whyFailed(Results r, Optional<Stalls.Problem> oom, String failedMessage) {
    ResultAggregation.Totals totals = r.totals();
    List<String> why = new ArrayList<>();
    if (totals.problems() > 0) {
      why.add(
          totals.partitions().getFailed()
              + " partition(s) failed and "
              + totals.partitions().getUnrecoverable()
              + " are unrecoverable (see status.failures; unrecoverable ones were left untouched)");
    }
    why.addAll(totals.errors());
    why.addAll(r.podProblems());
    if (totals.shardsReported() < totals.shardsExpected() && r.podProblems().isEmpty()) {
      why.add(
          (totals.shardsExpected() - totals.shardsReported())
              + " of "
              + totals.shardsExpected()
              + " shard(s) left no result: their pods are gone or never reported");
    }
    oom.ifPresent(p -> why.add(p.message()));
    if (failedMessage != null) {
      why.add("Job: " + failedMessage);
    }
    return String.join("; ", why);
  }

  private static Reason failureReason(
      Job job, Optional<Stalls.Problem> oom, ResultAggregation.Totals totals) {
    return "DeadlineExceeded".equals(jobConditionReason(job, "Failed"))
        ? Reason.DeadlineExceeded
        : oom.isPresent()
            ? Reason.WorkerOOMKilled
            : totals.errorReasons().contains(WorkerResult.VOLUME_NOT_WRITABLE)
                ? Reason.VolumeNotWritable
                : Reason.JobFailed;
  }

  private void countPartitions(ResultAggregation.Totals totals) {
    metrics.partitions("rebuilt", totals.partitions().getRebuilt());
    metrics.partitions("failed", totals.partitions().getFailed());
    metrics.partitions("unrecoverable", totals.partitions().getUnrecoverable());
  }

  /**
   * Says why no worker runs (condition Stalled), and fails the job, stopping its Job, once that has
   * lasted longer than spec.progressDeadlineSeconds.
   *
   * @return true when the job was failed
   */
  private boolean followStall(
      ReencryptionJob rej, ReencryptionJobStatus s, Job job, Collection<Pod> pods, Instant now) {
    Optional<Stalls.Problem> stall =
        Stalls.anyRunning(pods) ? Optional.empty() : whyNoWorkerRuns(rej, s, job, pods, now);
    if (stall.isEmpty()) {
      clearStalled(rej, s, now);
      return false;
    }
    flag(rej, s, STALLED, stall.get(), now);
    int deadline =
        rej.getSpec().getProgressDeadlineSeconds() == null
            ? ReencryptionJobSpec.DEFAULT_PROGRESS_DEADLINE_SECONDS
            : rej.getSpec().getProgressDeadlineSeconds();
    Instant since =
        Instant.parse(
            Conditions.find(s.getConditions(), STALLED).orElseThrow().getLastTransitionTime());
    if (since.plusSeconds(deadline).isAfter(now)) {
      return false;
    }
    stopStalled(rej, s, job, stall.get(), deadline, now);
    return true;
  }

  /**
   * What the pods say, or, once no pod has done anything for {@link Stalls#GRACE} since the job
   * started or resumed, what the claims say; empty while it is too early to tell.
   */
  private Optional<Stalls.Problem> whyNoWorkerRuns(
      ReencryptionJob rej, ReencryptionJobStatus s, Job job, Collection<Pod> pods, Instant now) {
    Optional<Stalls.Problem> stall = Stalls.fromPods(pods, job.getMetadata().getName());
    Instant started = s.getStartedAt() == null ? now : Instant.parse(s.getStartedAt());
    // A resume counts as a start: the Job controller creates the pods again from then.
    Instant resumed =
        Conditions.find(s.getConditions(), Throttle.SUSPENDED)
            .filter(c -> Conditions.FALSE.equals(c.getStatus()))
            .map(c -> Instant.parse(c.getLastTransitionTime()))
            .orElse(started);
    started = resumed.isAfter(started) ? resumed : started;
    if (stall.isEmpty() && !Stalls.lastActivity(pods, started).plus(Stalls.GRACE).isAfter(now)) {
      stall = Optional.of(idle(rej, job, pods));
    }
    return stall;
  }

  private static void clearStalled(ReencryptionJob rej, ReencryptionJobStatus s, Instant now) {
    var b = StatusBuilder.of(rej, s, now);
    if (b.isTrue(STALLED)) {
      b.set(STALLED, false, Reason.WorkersRunning, "workers run again");
    }
  }

  /** Past the progress deadline: fails the job and stops its Job so the ring's next job runs. */
  private void stopStalled(
      ReencryptionJob rej,
      ReencryptionJobStatus s,
      Job job,
      Stalls.Problem stall,
      int deadline,
      Instant now) {
    fail(
        rej,
        s,
        Reason.ProgressDeadlineExceeded,
        "no worker ran for "
            + deadline
            + " s (spec.progressDeadlineSeconds); its Job was stopped so the key ring's next job"
            + " can run. Last problem: "
            + stall.reason()
            + ": "
            + stall.message(),
        now);
    JobLauncher.stop(client, job);
    StatusBuilder.of(rej, s, now)
        .set(
            INVENTORY_RECORDED,
            false,
            Reason.Incomplete,
            "the job was stopped before every shard reported: the keys' partition counts were not"
                + " updated");
  }

  /** No worker runs and the pods say nothing: is the claim there and bound? */
  private Stalls.Problem idle(ReencryptionJob rej, Job job, Collection<Pod> pods) {
    String ns = rej.getMetadata().getNamespace();
    List<String> claims =
        job.getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getPersistentVolumeClaim() != null)
            .map(v -> v.getPersistentVolumeClaim().getClaimName())
            .distinct()
            .toList();
    for (String claim : claims) {
      PersistentVolumeClaim pvc =
          client.persistentVolumeClaims().inNamespace(ns).withName(claim).get();
      if (pvc == null) {
        return new Stalls.Problem(
            Reason.ClaimNotFound,
            "PersistentVolumeClaim "
                + claim
                + " no longer exists: the workers cannot start; recreate it, or delete this"
                + " ReencryptionJob");
      }
      String phase = pvc.getStatus() == null ? null : pvc.getStatus().getPhase();
      if (!"Bound".equals(phase)) {
        return new Stalls.Problem(
            Reason.ClaimNotBound,
            "PersistentVolumeClaim "
                + claim
                + " is "
                + (phase == null ? "not bound" : phase)
                + ": the workers cannot start until it is bound to a volume (see kubectl describe"
                + " pvc "
                + claim
                + ")");
      }
    }
    return new Stalls.Problem(
        Reason.WorkersNotStarted,
        (pods.isEmpty()
                ? "Job " + job.getMetadata().getName() + " has created no pod"
                : "no worker")
            + " has run for "
            + Stalls.GRACE.toSeconds()
            + " s and Kubernetes gives no reason: see kubectl describe job "
            + job.getMetadata().getName()
            + " and its pods");
  }

  /** Sets a problem condition; a Warning event when its reason changes, not on every look. */
  private void flag(
      ReencryptionJob rej, ReencryptionJobStatus s, String type, Stalls.Problem p, Instant now) {
    var b = StatusBuilder.of(rej, s, now);
    boolean news = !(b.isTrue(type) && b.hasReason(type, p.reason()));
    b.set(type, true, p.reason(), p.message());
    if (news) {
      events.warning(rej, p.reason(), p.message());
    }
  }

  /** Ends a job Failed: its Failed and Complete conditions, and a Warning event. */
  void fail(
      ReencryptionJob rej, ReencryptionJobStatus s, Reason reason, String message, Instant now) {
    markFailed(rej, s, reason, message, now);
    events.warning(rej, reason, message);
  }

  /**
   * Ends a job Failed in its status only (its Failed and Complete conditions): for a caller that
   * reports the failure itself.
   */
  static void markFailed(
      ReencryptionJob rej, ReencryptionJobStatus s, Reason reason, String message, Instant now) {
    s.setPhase(JobPhase.Failed);
    if (s.getCompletedAt() == null) {
      s.setCompletedAt(now.toString());
    }
    var b = StatusBuilder.of(rej, s, now);
    b.remove(Conditions.WAITING);
    b.set(Conditions.FAILED, true, reason, message);
    b.set(Conditions.COMPLETE, false, reason, message);
  }

  /**
   * Sets status.partitions on every key of the ring from a complete inventory: the total, and per
   * location the job scanned what it found on the key and when the scan started. Locations the job
   * did not scan keep what earlier jobs recorded.
   */
  private void recordInventory(
      ReencryptionJob rej,
      ReencryptionJobStatus s,
      ResultAggregation.Totals totals,
      List<WorkerResult> results,
      Instant now) {
    var b = StatusBuilder.of(rej, s, now);
    if (!totals.complete()) {
      b.set(
          INVENTORY_RECORDED,
          false,
          Reason.Incomplete,
          totals.shardsReported()
              + " of "
              + totals.shardsExpected()
              + " shard(s) reported a full scan; the keys'"
              + " partition counts were not updated (run another ReencryptionJob)");
      return;
    }
    String ns = rej.getMetadata().getNamespace();
    String countedAt = s.getCompletedAt() == null ? now.toString() : s.getCompletedAt();
    Instant jobStart = s.getStartedAt() == null ? null : Instant.parse(s.getStartedAt());
    Map<String, ResultAggregation.LocationTotals> scanned =
        ResultAggregation.locations(results, Locations.of(rej.getSpec()), jobStart);
    int keys = 0;
    for (EncryptionKey k : ring.keys(ns, rej.getSpec().getKeyRing())) {
      if (k.getStatus() == null || k.getStatus().getKeyId() == null) {
        continue;
      }
      String id = k.getStatus().getKeyId();
      long count = totals.byKeyAfter().getOrDefault(id, 0L);
      PartitionCount p = new PartitionCount(count, countedAt, rej.getMetadata().getName());
      p.setLocations(merge(k.getStatus().getPartitions(), scanned, id, countedAt, rej));
      setPartitions(k, p);
      keys++;
    }
    long unreadable =
        scanned.values().stream().mapToLong(ResultAggregation.LocationTotals::unreadable).sum();
    String msg =
        "partition counts recorded on "
            + keys
            + " EncryptionKey(s) of key ring "
            + rej.getSpec().getKeyRing()
            + " for "
            + String.join(", ", scanned.keySet())
            + (unreadable == 0 ? "" : "; " + unreadable + " file(s) could not be read");
    b.set(INVENTORY_RECORDED, true, Reason.InventoryRecorded, msg);
    events.normal(rej, Reason.InventoryRecorded, msg);
  }

  /** A key's locations after a scan: the scanned ones replaced, the others kept. */
  private static List<LocationCount> merge(
      PartitionCount before,
      Map<String, ResultAggregation.LocationTotals> scanned,
      String keyId,
      String countedAt,
      ReencryptionJob rej) {
    Map<String, LocationCount> out = new TreeMap<>();
    if (before != null && before.getLocations() != null) {
      before.getLocations().forEach(l -> out.put(l.getName(), l));
    }
    for (ResultAggregation.LocationTotals t : scanned.values()) {
      out.put(
          t.name(),
          new LocationCount(
              t.name(),
              t.byKeyAfter().getOrDefault(keyId, 0L),
              t.unreadable(),
              t.samples().stream().map(u -> new UnreadableFile(u.path(), u.error())).toList(),
              t.startedAt() == null ? null : t.startedAt().toString(),
              countedAt,
              rej.getMetadata().getName()));
    }
    return new ArrayList<>(out.values());
  }

  /**
   * Writes a key's partition count, starting from the cached key; on a conflict (the cache was
   * older than the server) it reads the key again and retries.
   */
  private void setPartitions(EncryptionKey cached, PartitionCount count) {
    EncryptionKey k = cached;
    for (int attempt = 0; ; attempt++) {
      if (k == null) {
        return;
      }
      if (Serialization.asJson(count).equals(Serialization.asJson(k.getStatus().getPartitions()))) {
        return; // already recorded (a repeated reconcile)
      }
      k = Serialization.clone(k);
      k.getStatus().setPartitions(count);
      try {
        client.resource(k).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= 10) {
          throw e;
        }
        k =
            client
                .resources(EncryptionKey.class)
                .inNamespace(cached.getMetadata().getNamespace())
                .withName(cached.getMetadata().getName())
                .get();
      }
    }
  }

  private static boolean nonZero(Long n) {
    return n != null && n > 0;
  }

  /** The newest pod's result per completion index. */
  static List<WorkerResult> latestResults(Collection<Pod> pods, List<String> problems) {
    Map<String, Pod> latest = new TreeMap<>();
    for (Pod p : pods) {
      String index =
          p.getMetadata().getAnnotations() == null
              ? null
              : p.getMetadata().getAnnotations().get(INDEX_ANNOTATION);
      if (index == null || terminated(p) == null) {
        continue;
      }
      latest.merge(
          index,
          p,
          (a, b) ->
              Comparator.comparing((Pod x) -> x.getMetadata().getCreationTimestamp())
                          .thenComparing(x -> x.getMetadata().getName())
                          .compare(a, b)
                      >= 0
                  ? a
                  : b);
    }
    List<WorkerResult> results = new ArrayList<>();
    for (var e : latest.entrySet()) {
      ContainerStatus c = terminated(e.getValue());
      String message = c.getState().getTerminated().getMessage();
      try {
        results.add(WorkerResult.parse(message == null ? "" : message));
      } catch (IOException ex) {
        String reason = c.getState().getTerminated().getReason();
        problems.add(
            "shard "
                + e.getKey()
                + ": pod "
                + e.getValue().getMetadata().getName()
                + " ended without a result ("
                + (reason == null
                    ? "exit code " + c.getState().getTerminated().getExitCode()
                    : reason)
                + ")");
      }
    }
    return results;
  }

  private static ContainerStatus terminated(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return null;
    }
    return p.getStatus().getContainerStatuses().stream()
        .filter(c -> c.getState() != null && c.getState().getTerminated() != null)
        .filter(
            c ->
                c.getName().equals(RekeyJobFactory.CONTAINER)
                    || p.getStatus().getContainerStatuses().size() == 1)
        .findFirst()
        .orElse(null);
  }

  /** The reason of a Job condition of this type that is True, or null. */
  private static String jobConditionReason(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return null;
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && Conditions.TRUE.equals(c.getStatus()))
        .map(c -> c.getReason())
        .filter(java.util.Objects::nonNull)
        .findFirst()
        .orElse(null);
  }

  /** The message of a Job condition of this type that is True, or null. */
  private static String jobCondition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return null;
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && Conditions.TRUE.equals(c.getStatus()))
        .map(
            c ->
                c.getMessage() == null
                    ? c.getReason() == null ? type : c.getReason()
                    : c.getMessage())
        .findFirst()
        .orElse(null);
  }
}
