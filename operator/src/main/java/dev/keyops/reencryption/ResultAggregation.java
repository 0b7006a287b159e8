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

  /**
   * What every shard together found in one location.
   *
   * @param startedAt the earliest instant a shard began listing files (the scan's start)
   */
  public record LocationTotals(
      String name,
      Map<String, Long> byKeyAfter,
      long unreadable,
      List<WorkerResult.Unreadable> samples,
      java.time.Instant startedAt) {}

  /** At most this many unreadable files are named per location. */
  public static final int MAX_UNREADABLE_SAMPLES = 3;

  /**
   * The counts per location of a complete run. Workers that report {@code locations} give them per
   * location; older ones, and locations a worker found empty, count under the job's own locations.
   * A shard that does not say when it started counts from {@code fallbackStart} (when the job
   * started, before any worker listed a file): never later than the truth.
   *
   * @param jobLocations the locations the job scanned, from its spec
   */
  public static Map<String, LocationTotals> locations(
      Collection<WorkerResult> results,
      List<String> jobLocations,
      java.time.Instant fallbackStart) {
    Map<String, Map<String, Long>> byKey = new TreeMap<>();
    Map<String, Long> unreadable = new TreeMap<>();
    Map<String, List<WorkerResult.Unreadable>> samples = new TreeMap<>();
    jobLocations.forEach(l -> byKey.put(l, new TreeMap<>()));
    java.time.Instant start = null;
    for (WorkerResult r : results) {
      java.time.Instant shardStart =
          r.startedAt == null ? fallbackStart : java.time.Instant.parse(r.startedAt);
      if (start == null || (shardStart != null && shardStart.isBefore(start))) {
        start = shardStart;
      }
      List<WorkerResult.Unreadable> shardSamples =
          r.unreadableSamples == null ? List.of() : r.unreadableSamples;
      if (r.locations == null || r.locations.isEmpty()) {
        String only = jobLocations.isEmpty() ? "" : jobLocations.get(0);
        r.byKeyAfter.forEach(
            (k, v) -> byKey.computeIfAbsent(only, x -> new TreeMap<>()).merge(k, v, Long::sum));
        unreadable.merge(only, r.unreadable, Long::sum);
        addSamples(samples, only, shardSamples);
        continue;
      }
      for (WorkerResult.LocationResult l : r.locations) {
        Map<String, Long> m = byKey.computeIfAbsent(l.name, x -> new TreeMap<>());
        if (l.byKeyAfter != null) {
          l.byKeyAfter.forEach((k, v) -> m.merge(k, v, Long::sum));
        }
        unreadable.merge(l.name, l.unreadable, Long::sum);
        if (l.unreadable > 0) {
          List<WorkerResult.Unreadable> mine =
              shardSamples.stream()
                  .filter(u -> u.path() != null && u.path().startsWith(l.name + "/"))
                  .toList();
          addSamples(samples, l.name, mine.isEmpty() ? shardSamples : mine);
        }
      }
    }
    Map<String, LocationTotals> out = new TreeMap<>();
    for (var e : byKey.entrySet()) {
      out.put(
          e.getKey(),
          new LocationTotals(
              e.getKey(),
              e.getValue(),
              unreadable.getOrDefault(e.getKey(), 0L),
              samples.getOrDefault(e.getKey(), List.of()),
              start));
    }
    return out;
  }

  private static void addSamples(
      Map<String, List<WorkerResult.Unreadable>> samples,
      String location,
      List<WorkerResult.Unreadable> more) {
    List<WorkerResult.Unreadable> list = samples.computeIfAbsent(location, x -> new ArrayList<>());
    for (WorkerResult.Unreadable u : more) {
      if (list.size() < MAX_UNREADABLE_SAMPLES) {
        list.add(u);
      }
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
    long parquet = 0;
    long plaintextParquet = 0;
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
      parquet += r.parquet;
      plaintextParquet += r.plaintextParquet;
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
    // Only when there are any: a rebuild of partitions alone reads as it always did.
    t.setParquet(parquet > 0 ? parquet : null);
    t.setPlaintextParquet(plaintextParquet > 0 ? plaintextParquet : null);
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
