package dev.keyops.observability;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.PartitionTotals;
import dev.keyops.api.v1alpha1.ProviderKind;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.observability.KeyopsMetrics.JobProgress;
import dev.keyops.observability.KeyopsMetrics.RingId;
import dev.keyops.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The gauges per key ring (labels {@code namespace}, {@code key_ring}) and per active
 * ReencryptionJob, computed when Prometheus scrapes: from the controllers' informer caches (keys,
 * jobs, KeyRings) and the job progress {@link KeyopsMetrics} keeps. No API call; one pass over the
 * cached keys and jobs per scrape, whatever the number of rings; a ring's series end when its last
 * key, KeyRing and job are gone, and a job's when it ends or is deleted. docs/metrics.md describes
 * every series.
 */
public final class RingMetrics implements MultiCollector {

  /** A KeyRing's automatic rotation: its period and stagedFor, both null without one. */
  public record RingRotation(
      String namespace, String keyRing, Duration period, Duration stagedFor) {}

  /** Where the gauges read from: the informer caches, as streams read once per scrape. */
  public record Sources(
      Supplier<Stream<EncryptionKey>> keys,
      Supplier<Stream<ReencryptionJob>> jobs,
      Supplier<Stream<RingRotation>> keyRings,
      Predicate<ReencryptionJob> stalled) {}

  static final String NAMESPACE = "namespace";
  static final String KEY_RING = "key_ring";
  static final String JOB = "reencryption_job";

  /** Every metric family this collector writes (a counter without its _total suffix). */
  static final List<String> NAMES =
      List.of(
          "keyops_keys",
          "keyops_primary_key_age_seconds",
          "keyops_key_partitions",
          "keyops_unencrypted_partitions",
          "keyops_kms_access",
          "keyops_kms_keys_without_access",
          "keyops_keys_data_at_risk",
          "keyops_kms_version_destroy_time_seconds",
          "keyops_keys_drop_blocked",
          "keyops_drop_blocked_seconds",
          "keyops_key_ring_rotation_period_seconds",
          "keyops_key_ring_rotation_staged_for_seconds",
          "keyops_reencryption_jobs",
          "keyops_reencryption_last_result",
          "keyops_reencryption_last_completion_timestamp_seconds",
          "keyops_reencryption_bytes",
          "keyops_reencryption_job_shards",
          "keyops_reencryption_job_shards_completed",
          "keyops_reencryption_job_partitions",
          "keyops_reencryption_job_stalled");

  private static final Comparator<RingId> BY_NAME =
      Comparator.comparing(RingId::namespace).thenComparing(RingId::keyRing);

  private final Sources sources;
  private final KeyopsMetrics progress;
  private final Clock clock;

  public RingMetrics(Sources sources, KeyopsMetrics progress, Clock clock) {
    this.sources = sources;
    this.progress = progress;
    this.clock = clock;
  }

  @Override
  public List<String> getPrometheusNames() {
    return NAMES;
  }

  @Override
  public MetricSnapshots collect() {
    Instant now = clock.instant();
    Map<RingId, Ring> rings = new TreeMap<>(BY_NAME);
    try (Stream<EncryptionKey> keys = sources.keys().get()) {
      keys.forEach(
          k -> {
            if (k.getSpec() != null && k.getSpec().getKeyRing() != null) {
              ring(rings, k.getMetadata().getNamespace(), k.getSpec().getKeyRing()).add(k);
            }
          });
    }
    try (Stream<RingRotation> keyRings = sources.keyRings().get()) {
      keyRings.forEach(r -> ring(rings, r.namespace(), r.keyRing()).rotation = r);
    }
    List<ReencryptionJob> active = new ArrayList<>();
    try (Stream<ReencryptionJob> jobs = sources.jobs().get()) {
      jobs.forEach(
          j -> {
            if (j.getSpec() != null && j.getSpec().getKeyRing() != null) {
              if (ring(rings, j.getMetadata().getNamespace(), j.getSpec().getKeyRing()).add(j)) {
                active.add(j);
              }
            }
          });
    }
    Set<String> activeUids = new HashSet<>();
    active.forEach(j -> activeUids.add(j.getMetadata().getUid()));
    progress.retain(activeUids, rings.keySet());
    active.sort(
        Comparator.comparing((ReencryptionJob j) -> j.getMetadata().getNamespace())
            .thenComparing(j -> j.getMetadata().getName()));

    List<MetricSnapshot> out = new ArrayList<>();
    ringFamilies(rings, now).forEach(f -> f.addTo(out));
    jobFamilies(active).forEach(f -> f.addTo(out));
    return new MetricSnapshots(out);
  }

  private static Ring ring(Map<RingId, Ring> rings, String namespace, String keyRing) {
    return rings.computeIfAbsent(new RingId(namespace, keyRing), r -> new Ring());
  }

  /** The per-ring families, in the order a scrape lists them. */
  private List<Family> ringFamilies(Map<RingId, Ring> rings, Instant now) {
    return List.of(
        keysByState(rings),
        primaryKeyAge(rings, now),
        partitionsByState(rings),
        unencryptedPartitions(rings),
        kmsAccess(rings),
        kmsKeysWithoutAccess(rings),
        keysDataAtRisk(rings),
        kmsVersionDestroyTime(rings),
        keysDropBlocked(rings),
        dropBlockedSeconds(rings, now),
        rotationPeriod(rings),
        rotationStagedFor(rings),
        jobsByPhase(rings),
        lastResult(rings),
        lastCompletion(rings),
        reencryptionBytes(rings));
  }

  /** Adds one ring's samples to a family; namespace and key ring are its first label values. */
  @FunctionalInterface
  private interface RingSamples {
    void add(Family f, String ns, String name, Ring r);
  }

  private static Family perRing(Family f, Map<RingId, Ring> rings, RingSamples samples) {
    rings.forEach((id, r) -> samples.add(f, id.namespace(), id.keyRing(), r));
    return f;
  }

  private static Family keysByState(Map<RingId, Ring> rings) {
    return perRing(
        gauge("keyops_keys", "EncryptionKeys of the key ring by state"),
        rings,
        (f, ns, name, r) -> {
          for (KeyState s : KeyState.values()) {
            f.add(r.keys[s.ordinal()], NAMESPACE, ns, KEY_RING, name, "state", s.name());
          }
        });
  }

  private static Family primaryKeyAge(Map<RingId, Ring> rings, Instant now) {
    return perRing(
        gauge(
            "keyops_primary_key_age_seconds",
            "Seconds since the key ring's current Primary key was activated (absent without a"
                + " Primary)"),
        rings,
        (f, ns, name, r) -> {
          if (r.primarySince != null) {
            f.add(seconds(r.primarySince, now), NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family partitionsByState(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_key_partitions",
            "Partitions on the key ring's keys by key state, as the last complete inventory"
                + " counted them (status.partitions of each key)"),
        rings,
        (f, ns, name, r) -> {
          for (KeyState s : KeyState.values()) {
            f.add(r.partitions[s.ordinal()], NAMESPACE, ns, KEY_RING, name, "state", s.name());
          }
        });
  }

  private static Family unencryptedPartitions(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_unencrypted_partitions",
            "Unencrypted partitions the key ring's last completed ReencryptionJob left: what a"
                + " dry run or a failed run found; 0 after a successful rebuild"),
        rings,
        (f, ns, name, r) -> {
          if (r.last != null) {
            f.add(unencryptedLeft(r.last), NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family kmsAccess(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_kms_access",
            "1 when every Primary and Retired key of the key ring wrapped by a key manager (gcpKms,"
                + " awsKms, transit) has verified access to it, else 0 (rings with such keys only)"),
        rings,
        (f, ns, name, r) -> {
          if (r.kmsKeys > 0) {
            f.add(r.inUseWithoutAccess ? 0 : 1, NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family kmsKeysWithoutAccess(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_kms_keys_without_access",
            "gcpKms, awsKms and transit keys of the key ring whose KmsAccessVerified condition is"
                + " False"),
        rings,
        (f, ns, name, r) -> {
          if (r.kmsKeys > 0) {
            f.add(r.withoutAccess, NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family keysDataAtRisk(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_keys_data_at_risk",
            "Keys whose data key is wrapped only by key material that cannot or soon will not"
                + " unwrap it (DataAtRisk=True): a Cloud KMS key version DISABLED,"
                + " DESTROY_SCHEDULED or DESTROYED; an AWS KMS key Disabled, PendingDeletion,"
                + " PendingImport or Unavailable; a Transit key version below"
                + " min_decryption_version or trimmed"),
        rings,
        (f, ns, name, r) -> {
          if (r.kmsKeys > 0) {
            f.add(r.atRisk, NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family kmsVersionDestroyTime(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_kms_version_destroy_time_seconds",
            "Earliest scheduled destruction (Unix time) of a Cloud KMS key version or AWS KMS key"
                + " (PendingDeletion) that is the only wrapping of a data key in the key ring; NaN"
                + " when none is scheduled"),
        rings,
        (f, ns, name, r) -> {
          if (r.kmsKeys > 0) {
            f.add(
                r.earliestDestroy == null ? Double.NaN : r.earliestDestroy.getEpochSecond(),
                NAMESPACE,
                ns,
                KEY_RING,
                name);
          }
        });
  }

  private static Family keysDropBlocked(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_keys_drop_blocked",
            "Deleted keys of the key ring whose drop the drop guard refuses (DropBlocked)"),
        rings,
        (f, ns, name, r) -> f.add(r.dropBlocked, NAMESPACE, ns, KEY_RING, name));
  }

  private static Family dropBlockedSeconds(Map<RingId, Ring> rings, Instant now) {
    return perRing(
        gauge(
            "keyops_drop_blocked_seconds",
            "Seconds since the longest-refused drop of a key of the ring was first refused; 0"
                + " when none is refused"),
        rings,
        (f, ns, name, r) ->
            f.add(
                r.blockedSince == null ? 0 : seconds(r.blockedSince, now),
                NAMESPACE,
                ns,
                KEY_RING,
                name));
  }

  private static Family rotationPeriod(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_key_ring_rotation_period_seconds",
            "The KeyRing's spec.rotation.period (absent without automatic rotation)"),
        rings,
        (f, ns, name, r) -> {
          if (r.rotation != null && r.rotation.period() != null) {
            f.add(r.rotation.period().toSeconds(), NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family rotationStagedFor(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_key_ring_rotation_staged_for_seconds",
            "The KeyRing's spec.rotation.stagedFor: how long a new key stays Staged before it"
                + " becomes Primary (absent without automatic rotation)"),
        rings,
        (f, ns, name, r) -> {
          if (r.rotation != null && r.rotation.period() != null) {
            f.add(r.rotation.stagedFor().toSeconds(), NAMESPACE, ns, KEY_RING, name);
          }
        });
  }

  private static Family jobsByPhase(Map<RingId, Ring> rings) {
    return perRing(
        gauge("keyops_reencryption_jobs", "ReencryptionJobs of the key ring by phase"),
        rings,
        (f, ns, name, r) -> {
          for (JobPhase p : JobPhase.values()) {
            f.add(r.jobs[p.ordinal()], NAMESPACE, ns, KEY_RING, name, "phase", p.name());
          }
        });
  }

  private static Family lastResult(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_reencryption_last_result",
            "1 for the result (Succeeded or Failed) of the key ring's last completed"
                + " ReencryptionJob, 0 for the other"),
        rings,
        (f, ns, name, r) -> {
          if (r.last != null) {
            String job = r.last.getMetadata().getName();
            JobPhase result = r.last.getStatus().getPhase();
            for (JobPhase p : List.of(JobPhase.Succeeded, JobPhase.Failed)) {
              f.add(
                  p == result ? 1 : 0, NAMESPACE, ns, KEY_RING, name, JOB, job, "result", p.name());
            }
          }
        });
  }

  private static Family lastCompletion(Map<RingId, Ring> rings) {
    return perRing(
        gauge(
            "keyops_reencryption_last_completion_timestamp_seconds",
            "When (Unix time) the key ring's last Succeeded and last Failed ReencryptionJob"
                + " completed, among the jobs that still exist"),
        rings,
        (f, ns, name, r) -> {
          if (r.lastSucceeded != null) {
            f.add(
                r.lastSucceeded.getEpochSecond(),
                NAMESPACE,
                ns,
                KEY_RING,
                name,
                "result",
                "Succeeded");
          }
          if (r.lastFailed != null) {
            f.add(r.lastFailed.getEpochSecond(), NAMESPACE, ns, KEY_RING, name, "result", "Failed");
          }
        });
  }

  private Family reencryptionBytes(Map<RingId, Ring> rings) {
    Family bytes =
        counter(
            "keyops_reencryption_bytes",
            "Bytes of partitions that the key ring's ReencryptionJobs' shards processed, counted as"
                + " each shard reports (since this process started)");
    rings.forEach(
        (id, r) -> {
          LongAdder b = progress.bytes(id);
          bytes.add(b == null ? 0 : b.sum(), NAMESPACE, id.namespace(), KEY_RING, id.keyRing());
        });
    return bytes;
  }

  private List<Family> jobFamilies(List<ReencryptionJob> active) {
    Family shards =
        gauge("keyops_reencryption_job_shards", "Shards of a Pending or Running ReencryptionJob");
    Family completed =
        gauge(
            "keyops_reencryption_job_shards_completed",
            "Shards of a Pending or Running ReencryptionJob that reported their result");
    Family partitions =
        gauge(
            "keyops_reencryption_job_partitions",
            "Partitions the completed shards of a Pending or Running ReencryptionJob processed,"
                + " by outcome (scanned counts every partition they looked at)");
    Family stalled =
        gauge(
            "keyops_reencryption_job_stalled",
            "1 while no worker of a Running ReencryptionJob runs (its Stalled condition), else 0");
    for (ReencryptionJob j : active) {
      String[] labels = {
        NAMESPACE,
        j.getMetadata().getNamespace(),
        KEY_RING,
        j.getSpec().getKeyRing(),
        JOB,
        j.getMetadata().getName()
      };
      JobProgress p = progress.progress(j.getMetadata().getUid());
      int shardCount = j.getSpec().getShards() == null ? 1 : j.getSpec().getShards();
      shards.add(p == null ? shardCount : p.shards(), labels);
      completed.add(p == null ? 0 : p.shardsCompleted(), labels);
      PartitionTotals t = j.getStatus() == null ? null : j.getStatus().getPartitions();
      partitions.add(t == null ? 0 : n(t.getTotal()), with(labels, "outcome", "scanned"));
      partitions.add(
          t == null ? 0 : n(t.getAlreadyOnTarget()), with(labels, "outcome", "already_on_target"));
      partitions.add(t == null ? 0 : n(t.getRebuilt()), with(labels, "outcome", "rebuilt"));
      partitions.add(t == null ? 0 : n(t.getFailed()), with(labels, "outcome", "failed"));
      partitions.add(
          t == null ? 0 : n(t.getUnrecoverable()), with(labels, "outcome", "unrecoverable"));
      partitions.add(t == null ? 0 : n(t.getUnencrypted()), with(labels, "outcome", "unencrypted"));
      stalled.add(sources.stalled().test(j) ? 1 : 0, labels);
    }
    return List.of(shards, completed, partitions, stalled);
  }

  /**
   * Unencrypted partitions a completed job left: a dry run or a failed run leaves what it found; a
   * successful rebuild encrypted every partition it found.
   */
  private static long unencryptedLeft(ReencryptionJob job) {
    PartitionTotals t = job.getStatus().getPartitions();
    long found = t == null ? 0 : n(t.getUnencrypted());
    boolean dryRun = Boolean.TRUE.equals(job.getSpec().getDryRun());
    return dryRun || job.getStatus().getPhase() != JobPhase.Succeeded ? found : 0;
  }

  /**
   * Providers whose data key a key manager wraps: the KMS access and DataAtRisk gauges count them.
   */
  static final java.util.Set<ProviderKind> KEY_MANAGERS =
      java.util.EnumSet.of(ProviderKind.gcpKms, ProviderKind.awsKms, ProviderKind.transit);

  /** One key ring's figures, gathered in the one pass over keys and jobs. */
  private static final class Ring {
    final long[] keys = new long[KeyState.values().length];
    final long[] partitions = new long[KeyState.values().length];
    final long[] jobs = new long[JobPhase.values().length];
    Instant primarySince;
    int kmsKeys;
    int withoutAccess;
    boolean inUseWithoutAccess;
    int atRisk;
    Instant earliestDestroy;
    int dropBlocked;
    Instant blockedSince;
    RingRotation rotation;
    ReencryptionJob last;
    Instant lastAt;
    Instant lastSucceeded;
    Instant lastFailed;

    void add(EncryptionKey k) {
      EncryptionKeyStatus s = k.getStatus();
      KeyState state = s == null || s.getState() == null ? KeyState.Staged : s.getState();
      keys[state.ordinal()]++;
      if (s == null) {
        return;
      }
      List<Condition> conditions = s.getConditions() == null ? List.of() : s.getConditions();
      if (s.getPartitions() != null) {
        partitions[state.ordinal()] += n(s.getPartitions().getCount());
      }
      if (state == KeyState.Primary) {
        primarySince = earliest(primarySince, instant(s.getActivatedAt()));
      }
      if (k.getSpec().getProvider() != null
          && KEY_MANAGERS.contains(k.getSpec().getProvider().kind())) {
        kmsKeys++;
        boolean noAccess =
            Conditions.find(conditions, Conditions.KMS_ACCESS_VERIFIED)
                .map(c -> Conditions.FALSE.equals(c.getStatus()))
                .orElse(false);
        if (noAccess) {
          withoutAccess++;
          inUseWithoutAccess |= state == KeyState.Primary || state == KeyState.Retired;
        }
        if (Conditions.isTrue(conditions, Conditions.DATA_AT_RISK)) {
          atRisk++;
          if (s.getKms() != null) {
            earliestDestroy =
                earliest(earliestDestroy, instant(s.getKms().getKeyVersionDestroyTime()));
          }
        }
      }
      Conditions.find(conditions, Conditions.DROP_BLOCKED)
          .filter(c -> Conditions.TRUE.equals(c.getStatus()))
          .ifPresent(
              c -> {
                dropBlocked++;
                blockedSince = earliest(blockedSince, instant(c.getLastTransitionTime()));
              });
    }

    /** Counts a job; returns whether it is active (Pending or Running). */
    boolean add(ReencryptionJob j) {
      JobPhase phase =
          j.getStatus() == null || j.getStatus().getPhase() == null
              ? JobPhase.Pending
              : j.getStatus().getPhase();
      jobs[phase.ordinal()]++;
      if (phase == JobPhase.Pending || phase == JobPhase.Running) {
        return true;
      }
      Instant at = instant(j.getStatus().getCompletedAt());
      if (at == null) {
        return false;
      }
      if (phase == JobPhase.Succeeded) {
        lastSucceeded = latest(lastSucceeded, at);
      } else {
        lastFailed = latest(lastFailed, at);
      }
      if (last == null || at.isAfter(lastAt) || (at.equals(lastAt) && LATER.compare(j, last) > 0)) {
        last = j;
        lastAt = at;
      }
      return false;
    }

    /** Of two jobs completed at the same time, the later created one, then the greater name. */
    static final Comparator<ReencryptionJob> LATER =
        Comparator.comparing(
                (ReencryptionJob j) -> instant(j.getMetadata().getCreationTimestamp()),
                Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(j -> j.getMetadata().getName());
  }

  private static Instant instant(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null || (b != null && b.isBefore(a)) ? b : a;
  }

  private static Instant latest(Instant a, Instant b) {
    return a == null || (b != null && b.isAfter(a)) ? b : a;
  }

  private static double seconds(Instant since, Instant now) {
    return Math.max(0, now.toEpochMilli() - since.toEpochMilli()) / 1000.0;
  }

  private static long n(Long value) {
    return value == null ? 0 : value;
  }

  private static String[] with(String[] labels, String name, String value) {
    String[] out = Arrays.copyOf(labels, labels.length + 2);
    out[labels.length] = name;
    out[labels.length + 1] = value;
    return out;
  }

  private static Family gauge(String name, String help) {
    return new Family(name, help, false);
  }

  private static Family counter(String name, String help) {
    return new Family(name, help, true);
  }

  /** One metric family's data points, written only when it has any. */
  private static final class Family {
    final boolean counter;
    final GaugeSnapshot.Builder gauge;
    final CounterSnapshot.Builder counterBuilder;
    int points;

    Family(String name, String help, boolean counter) {
      this.counter = counter;
      this.gauge = counter ? null : GaugeSnapshot.builder().name(name).help(help);
      this.counterBuilder = counter ? CounterSnapshot.builder().name(name).help(help) : null;
    }

    void add(double value, String... labels) {
      points++;
      if (counter) {
        counterBuilder.dataPoint(
            CounterDataPointSnapshot.builder().labels(Labels.of(labels)).value(value).build());
      } else {
        gauge.dataPoint(
            GaugeDataPointSnapshot.builder().labels(Labels.of(labels)).value(value).build());
      }
    }

    void addTo(List<MetricSnapshot> out) {
      if (points > 0) {
        out.add(counter ? counterBuilder.build() : gauge.build());
      }
    }
  }
}
