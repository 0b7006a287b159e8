package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.PartitionFailure;
import dev.keyops.api.v1alpha1.PartitionTotals;
import dev.keyops.rekey.WorkerResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Adds up the workers' JSON results of one run, shard by shard. Pure. */
public final class ResultAggregation {

  /** At most this many failures are kept in a ReencryptionJob's status. */
  public static final int MAX_FAILURES = 50;

  private ResultAggregation() {}

  /**
   * The sum of the shards' results.
   *
   * @param shardsExpected how many shards the run has; the inventory is complete only when every
   *     shard reported
   * @param bytes the bytes of the partitions the reporting shards processed
   */
  public record Totals(
      PartitionTotals partitions,
      Map<String, Long> byKeyBefore,
      Map<String, Long> byKeyAfter,
      List<PartitionFailure> failures,
      long failuresOmitted,
      int shardsReported,
      int shardsExpected,
      List<String> errors,
      java.util.Set<String> errorReasons,
      long bytes) {

    /** Every shard reported a result that scanned its files: the counts cover every partition. */
    public boolean complete() {
      return shardsReported == shardsExpected && errors.isEmpty();
    }

    public long problems() {
      return partitions.getFailed() + partitions.getUnrecoverable();
    }
  }

  public static Totals aggregate(Collection<WorkerResult> results, int shardsExpected) {
    PartitionTotals t = new PartitionTotals();
    long total = 0;
    long already = 0;
    long rebuilt = 0;
    long failed = 0;
    long unrecoverable = 0;
    long unencrypted = 0;
    long omitted = 0;
    long bytes = 0;
    Map<String, Long> before = new TreeMap<>();
    Map<String, Long> after = new TreeMap<>();
    List<PartitionFailure> failures = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    java.util.Set<String> errorReasons = new java.util.TreeSet<>();
    for (WorkerResult r : results) {
      if (r.error != null) {
        errors.add("shard " + r.shard + ": " + r.error);
        if (r.errorReason != null) {
          errorReasons.add(r.errorReason);
        }
        continue;
      }
      total += r.total;
      already += r.alreadyOnTarget;
      rebuilt += r.rebuilt;
      failed += r.failed;
      unrecoverable += r.unrecoverable;
      unencrypted += r.unencrypted;
      bytes += r.bytes;
      r.byKeyBefore.forEach((k, v) -> before.merge(k, v, Long::sum));
      r.byKeyAfter.forEach((k, v) -> after.merge(k, v, Long::sum));
      omitted += r.failuresOmitted;
      for (WorkerResult.Failure f : r.failures) {
        if (failures.size() < MAX_FAILURES) {
          failures.add(new PartitionFailure(f.partition(), f.keyId(), f.reason()));
        } else {
          omitted++;
        }
      }
    }
    t.setTotal(total);
    t.setAlreadyOnTarget(already);
    t.setRebuilt(rebuilt);
    t.setFailed(failed);
    t.setUnrecoverable(unrecoverable);
    t.setUnencrypted(unencrypted);
    return new Totals(
        t,
        before,
        after,
        failures,
        omitted,
        results.size() - errors.size(),
        shardsExpected,
        errors,
        errorReasons,
        bytes);
  }
}
