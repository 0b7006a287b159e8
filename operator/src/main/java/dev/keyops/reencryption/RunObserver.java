package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.observability.Reason;
import dev.keyops.rekey.WorkerResult;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Follows a running ReencryptionJob: aggregates its pods' JSON results into status while the Job
 * runs and when it ends, sets the phase and conditions mirroring the Job's, and records the
 * completed inventory on the key ring's EncryptionKeys. Everything is derived from the Job and its
 * pods, so an operator restart loses nothing.
 */
class RunObserver {

  static final String INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
  static final String INVENTORY_RECORDED = "InventoryRecorded";

  private final KubernetesClient client;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;

  RunObserver(
      KubernetesClient client, EventRecorder events, KeyopsMetrics metrics, java.time.Clock clock) {
    this.client = client;
    this.events = events;
    this.metrics = metrics;
  }

  void observe(ReencryptionJob rej, Instant now) {
    ReencryptionJobStatus s = rej.getStatus();
    boolean terminal = s.getPhase() == JobPhase.Succeeded || s.getPhase() == JobPhase.Failed;
    if (terminal && Conditions.find(s.getConditions(), INVENTORY_RECORDED).isPresent()) {
      return;
    }
    String ns = rej.getMetadata().getNamespace();
    Job job = client.batch().v1().jobs().inNamespace(ns).withName(s.getJobName()).get();
    List<Pod> pods =
        client
            .pods()
            .inNamespace(ns)
            .withLabel(RekeyJobFactory.LABEL_JOB, rej.getMetadata().getName())
            .list()
            .getItems();
    int shards = rej.getSpec().getShards() == null ? 1 : rej.getSpec().getShards();
    List<String> podProblems = new ArrayList<>();
    ResultAggregation.Totals totals =
        ResultAggregation.aggregate(latestResults(pods, podProblems), shards);
    s.setPartitions(totals.partitions());
    s.setByKey(totals.byKeyBefore());
    s.setFailures(totals.failures().isEmpty() ? null : totals.failures());
    if (terminal) {
      recordInventory(rej, totals, now);
      return;
    }
    String failedMessage =
        job == null ? "its Job " + s.getJobName() + " was deleted" : jobCondition(job, "Failed");
    boolean complete = job != null && jobCondition(job, "Complete") != null;
    if (failedMessage == null && !complete) {
      s.setPhase(JobPhase.Running);
      return;
    }
    s.setCompletedAt(now.toString());
    Long gen = s.getObservedGeneration();
    if (complete && totals.complete() && totals.problems() == 0) {
      s.setPhase(JobPhase.Succeeded);
      String msg =
          "rebuilt "
              + totals.partitions().getRebuilt()
              + " partition(s); "
              + totals.partitions().getAlreadyOnTarget()
              + " were already on the target; "
              + totals.partitions().getTotal()
              + " scanned";
      Conditions.set(
          s.getConditions(),
          Conditions.COMPLETE,
          Conditions.TRUE,
          Reason.JobSucceeded.name(),
          msg,
          gen,
          now);
      Conditions.set(
          s.getConditions(),
          Conditions.FAILED,
          Conditions.FALSE,
          Reason.JobSucceeded.name(),
          msg,
          gen,
          now);
      events.normal(rej, Reason.JobSucceeded, msg);
    } else {
      s.setPhase(JobPhase.Failed);
      List<String> why = new ArrayList<>();
      if (totals.problems() > 0) {
        why.add(
            totals.partitions().getFailed()
                + " partition(s) failed and "
                + totals.partitions().getUnrecoverable()
                + " are unrecoverable (see status.failures; unrecoverable ones were left untouched)");
      }
      why.addAll(totals.errors());
      why.addAll(podProblems);
      if (failedMessage != null) {
        why.add("Job: " + failedMessage);
      }
      String msg = String.join("; ", why);
      Conditions.set(
          s.getConditions(),
          Conditions.FAILED,
          Conditions.TRUE,
          Reason.JobFailed.name(),
          msg,
          gen,
          now);
      Conditions.set(
          s.getConditions(),
          Conditions.COMPLETE,
          Conditions.FALSE,
          Reason.JobFailed.name(),
          msg,
          gen,
          now);
      events.warning(rej, Reason.JobFailed, msg);
    }
    metrics.partitions("rebuilt", totals.partitions().getRebuilt());
    metrics.partitions("failed", totals.partitions().getFailed());
    metrics.partitions("unrecoverable", totals.partitions().getUnrecoverable());
    recordInventory(rej, totals, now);
  }

  /** Sets status.partitions on every key of the ring from a complete inventory. */
  private void recordInventory(ReencryptionJob rej, ResultAggregation.Totals totals, Instant now) {
    ReencryptionJobStatus s = rej.getStatus();
    Long gen = s.getObservedGeneration();
    if (!totals.complete()) {
      Conditions.set(
          s.getConditions(),
          INVENTORY_RECORDED,
          Conditions.FALSE,
          "Incomplete",
          totals.shardsReported()
              + " of "
              + totals.shardsExpected()
              + " shard(s) reported a full scan; the keys'"
              + " partition counts were not updated (run another ReencryptionJob)",
          gen,
          now);
      return;
    }
    String ns = rej.getMetadata().getNamespace();
    String countedAt = s.getCompletedAt() == null ? now.toString() : s.getCompletedAt();
    int keys = 0;
    for (EncryptionKey k :
        client.resources(EncryptionKey.class).inNamespace(ns).list().getItems()) {
      if (!rej.getSpec().getKeyRing().equals(k.getSpec().getKeyRing())
          || k.getStatus() == null
          || k.getStatus().getKeyId() == null) {
        continue;
      }
      long count = totals.byKeyAfter().getOrDefault(k.getStatus().getKeyId(), 0L);
      setPartitions(
          ns,
          k.getMetadata().getName(),
          new PartitionCount(count, countedAt, rej.getMetadata().getName()));
      keys++;
    }
    String msg =
        "partition counts recorded on "
            + keys
            + " EncryptionKey(s) of key ring "
            + rej.getSpec().getKeyRing();
    Conditions.set(
        s.getConditions(),
        INVENTORY_RECORDED,
        Conditions.TRUE,
        Reason.InventoryRecorded.name(),
        msg,
        gen,
        now);
    events.normal(rej, Reason.InventoryRecorded, msg);
  }

  private void setPartitions(String ns, String name, PartitionCount count) {
    for (int attempt = 0; ; attempt++) {
      EncryptionKey k = client.resources(EncryptionKey.class).inNamespace(ns).withName(name).get();
      if (k == null) {
        return;
      }
      k.getStatus().setPartitions(count);
      try {
        client.resource(k).updateStatus();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= 10) {
          throw e;
        }
      }
    }
  }

  /** The newest pod's result per completion index. */
  static List<WorkerResult> latestResults(List<Pod> pods, List<String> problems) {
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

  /** The message of a Job condition of this type that is True, or null. */
  private static String jobCondition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return null;
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .map(
            c ->
                c.getMessage() == null
                    ? c.getReason() == null ? type : c.getReason()
                    : c.getMessage())
        .findFirst()
        .orElse(null);
  }
}
