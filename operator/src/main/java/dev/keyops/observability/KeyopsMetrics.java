package dev.keyops.observability;

import dev.keyops.api.v1alpha1.ReencryptionJob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * keyops' own counters, tagged by operation and outcome (never by resource name), and the in-memory
 * progress of the ReencryptionJobs this process follows. The per-key-ring gauges are computed at
 * scrape time by {@link RingMetrics} from the controllers' caches and from the progress kept here.
 */
public class KeyopsMetrics {

  private final MeterRegistry registry;
  private final Map<String, JobProgress> progressByUid = new ConcurrentHashMap<>();
  private final Map<RingId, LongAdder> bytesByRing = new ConcurrentHashMap<>();

  /** A key ring: its namespace and name. */
  public record RingId(String namespace, String keyRing) {}

  /**
   * What this process knows of a ReencryptionJob's run: shards that reported a result out of all,
   * and the bytes those shards processed.
   */
  public record JobProgress(int shardsCompleted, int shards, long bytes) {}

  public KeyopsMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Records a ReencryptionJob's progress, from its shards' results, and adds the bytes processed
   * since the last call to its key ring's byte counter.
   *
   * @param resultsSeenBefore whether the job's status already counted some of these results when
   *     this process first saw it (another process followed it before a restart): those bytes were
   *     counted there, so they set the baseline here instead of being counted again
   */
  public void jobProgress(
      ReencryptionJob rej, int shardsCompleted, int shards, long bytes, boolean resultsSeenBefore) {
    JobProgress now = new JobProgress(shardsCompleted, shards, bytes);
    JobProgress before = progressByUid.put(rej.getMetadata().getUid(), now);
    long base = before != null ? before.bytes() : resultsSeenBefore ? bytes : 0;
    if (bytes > base) {
      bytesByRing
          .computeIfAbsent(
              new RingId(rej.getMetadata().getNamespace(), rej.getSpec().getKeyRing()),
              r -> new LongAdder())
          .add(bytes - base);
    }
  }

  /** The progress of a job this process follows, or null. */
  JobProgress progress(String uid) {
    return progressByUid.get(uid);
  }

  /** Bytes processed by the ReencryptionJobs of a key ring since this process started, or null. */
  LongAdder bytes(RingId ring) {
    return bytesByRing.get(ring);
  }

  /**
   * Forgets jobs and key rings that no longer exist (called at scrape time with what the caches
   * hold), so their series end instead of staying forever.
   */
  void retain(Set<String> jobUids, Set<RingId> rings) {
    progressByUid.keySet().retainAll(jobUids);
    bytesByRing.keySet().retainAll(rings);
  }

  /** Counts a key lifecycle step (disable, scheduled destruction, cancellation, destruction). */
  public void keyLifecycle(String step) {
    Counter.builder("keyops_key_lifecycle_total")
        .description("Disable, scheduled-destruction, cancellation and destruction steps of keys")
        .tag("step", step)
        .register(registry)
        .increment();
  }

  /** Counts a re-wrap of a gcpKms data key onto a new primary version, by outcome. */
  public void kmsRewrap(String outcome) {
    Counter.builder("keyops_kms_rewraps_total")
        .description(
            "Re-wraps of gcpKms data keys onto a new Cloud KMS primary version, by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** Counts a Cloud KMS validation by its outcome (a Reason name). */
  public void kmsValidation(String outcome) {
    Counter.builder("keyops_kms_validations_total")
        .description("Cloud KMS access validations by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** Counts a Cloud KMS access loss on a key in use (Primary or Retired). */
  public void kmsAccessLost() {
    Counter.builder("keyops_kms_access_lost_total")
        .description("Times a Primary or Retired key lost its Cloud KMS access")
        .register(registry)
        .increment();
  }

  /** Counts partitions by rebuild outcome (rebuilt, failed, unrecoverable). */
  public void partitions(String outcome, long count) {
    Counter.builder("keyops_partitions_total")
        .description("Partitions processed by ReencryptionJobs, by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment(count);
  }

  /** Counts refused drops. */
  public void dropRefused(String reason) {
    Counter.builder("keyops_drops_refused_total")
        .description("Key drops refused by the drop guard, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }
}
