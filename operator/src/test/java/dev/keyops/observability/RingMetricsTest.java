package dev.keyops.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.AwsKmsProvider;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.KmsStatus;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.PartitionTotals;
import dev.keyops.api.v1alpha1.Provider;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.api.v1alpha1.TransitProvider;
import dev.keyops.observability.RingMetrics.RingRotation;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The per-ring gauges from given caches: values, labels, series that end, and the cost. */
class RingMetricsTest {

  static final Instant NOW = Instant.parse("2026-05-01T12:00:00Z");
  static final String ORDERS = "key_ring=\"orders\",namespace=\"shop\"";

  final MutableClock clock = new MutableClock(NOW);
  final List<EncryptionKey> keys = new ArrayList<>();
  final List<ReencryptionJob> jobs = new ArrayList<>();
  final List<RingRotation> rings = new ArrayList<>();
  final AtomicInteger keysRead = new AtomicInteger();
  final AtomicInteger keyScans = new AtomicInteger();
  Predicate<ReencryptionJob> stalled = j -> false;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final KeyopsMetrics metrics = new KeyopsMetrics(registry);

  {
    registry
        .getPrometheusRegistry()
        .register(
            new RingMetrics(
                new RingMetrics.Sources(
                    () -> {
                      keyScans.incrementAndGet();
                      return keys.stream().peek(k -> keysRead.incrementAndGet());
                    },
                    jobs::stream,
                    rings::stream,
                    j -> stalled.test(j)),
                metrics,
                clock));
  }

  static EncryptionKey key(String ns, String ring, String name, KeyState state) {
    EncryptionKey k = Fixtures.managedKey(name, ring);
    k.getMetadata().setNamespace(ns);
    k.getMetadata().setUid("uid-" + ns + "-" + name);
    k.setStatus(new EncryptionKeyStatus());
    k.getStatus().setState(state);
    return k;
  }

  static EncryptionKey gcp(String ns, String ring, String name, KeyState state) {
    EncryptionKey k = Fixtures.gcpKey(name, ring, "projects/p/locations/l/keyRings/r/cryptoKeys/k");
    k.getMetadata().setNamespace(ns);
    k.setStatus(new EncryptionKeyStatus());
    k.getStatus().setState(state);
    return k;
  }

  static EncryptionKey withProvider(
      String ns, String ring, String name, KeyState state, Provider p) {
    EncryptionKey k = Fixtures.key(name, ring, p);
    k.getMetadata().setNamespace(ns);
    k.setStatus(new EncryptionKeyStatus());
    k.getStatus().setState(state);
    return k;
  }

  static void condition(EncryptionKey k, String type, String status, Instant since) {
    Conditions.set(k.getStatus().getConditions(), type, status, "R", "m", 1L, since);
  }

  static ReencryptionJob job(String ring, String name, JobPhase phase, Instant completed) {
    ReencryptionJob j = Fixtures.reencryptionJob("shop", name, ring, "data", null);
    j.getMetadata().setUid("uid-" + name);
    j.getMetadata().setCreationTimestamp(NOW.minusSeconds(3600).toString());
    j.setStatus(new ReencryptionJobStatus());
    j.getStatus().setPhase(phase);
    j.getStatus().setCompletedAt(completed == null ? null : completed.toString());
    return j;
  }

  static PartitionTotals totals(long scanned, long unencrypted) {
    PartitionTotals t = new PartitionTotals();
    t.setTotal(scanned);
    t.setUnencrypted(unencrypted);
    return t;
  }

  String scrape() {
    return registry.scrape();
  }

  static void has(String scrape, String... lines) {
    for (String l : lines) {
      assertTrue(scrape.lines().anyMatch(l::equals), () -> "missing " + l + " in\n" + scrape);
    }
  }

  @Test
  void keysPartitionsAgeAndRotationPerRing() {
    EncryptionKey primary = key("shop", "orders", "o-2", KeyState.Primary);
    primary.getStatus().setActivatedAt(NOW.minusSeconds(3600).toString());
    primary.getStatus().setPartitions(new PartitionCount(7, NOW.toString(), "inv"));
    EncryptionKey retired = key("shop", "orders", "o-1", KeyState.Retired);
    retired.getStatus().setPartitions(new PartitionCount(2, NOW.toString(), "inv"));
    EncryptionKey fresh = key("shop", "orders", "o-3", KeyState.Staged);
    fresh.setStatus(null); // not reconciled yet: counts as Staged
    keys.addAll(List.of(primary, retired, fresh, key("other", "orders", "x", KeyState.Staged)));
    rings.add(new RingRotation("shop", "orders", Duration.ofDays(90), Duration.ofMinutes(10)));
    rings.add(new RingRotation("shop", "manual", null, null));

    String s = scrape();
    has(
        s,
        "keyops_keys{" + ORDERS + ",state=\"Primary\"} 1.0",
        "keyops_keys{" + ORDERS + ",state=\"Retired\"} 1.0",
        "keyops_keys{" + ORDERS + ",state=\"Staged\"} 1.0",
        "keyops_keys{" + ORDERS + ",state=\"Disabled\"} 0.0",
        "keyops_keys{key_ring=\"orders\",namespace=\"other\",state=\"Staged\"} 1.0",
        "keyops_keys{key_ring=\"manual\",namespace=\"shop\",state=\"Primary\"} 0.0",
        "keyops_key_partitions{" + ORDERS + ",state=\"Primary\"} 7.0",
        "keyops_key_partitions{" + ORDERS + ",state=\"Retired\"} 2.0",
        "keyops_primary_key_age_seconds{" + ORDERS + "} 3600.0",
        "keyops_key_ring_rotation_period_seconds{" + ORDERS + "} 7776000.0",
        "keyops_key_ring_rotation_staged_for_seconds{" + ORDERS + "} 600.0",
        "keyops_keys_drop_blocked{" + ORDERS + "} 0.0",
        "keyops_drop_blocked_seconds{" + ORDERS + "} 0.0",
        "keyops_reencryption_bytes_total{" + ORDERS + "} 0.0");
    assertFalse(s.contains("keyops_primary_key_age_seconds{key_ring=\"manual\""), "no Primary");
    assertFalse(s.contains("rotation_period_seconds{key_ring=\"manual\""), "no rotation");
    assertFalse(s.contains("keyops_kms_access{"), "no gcpKms key anywhere");
    clock.advance(Duration.ofMinutes(1));
    has(scrape(), "keyops_primary_key_age_seconds{" + ORDERS + "} 3660.0");
  }

  @Test
  void cloudKmsAccessDataAtRiskAndRefusedDrops() {
    EncryptionKey primary = gcp("shop", "orders", "o-2", KeyState.Primary);
    condition(primary, Conditions.KMS_ACCESS_VERIFIED, Conditions.TRUE, NOW);
    EncryptionKey staged = gcp("shop", "orders", "o-3", KeyState.Staged);
    condition(staged, Conditions.KMS_ACCESS_VERIFIED, Conditions.FALSE, NOW);
    EncryptionKey retired = gcp("shop", "orders", "o-1", KeyState.Retired);
    condition(retired, Conditions.KMS_ACCESS_VERIFIED, Conditions.TRUE, NOW);
    condition(retired, Conditions.DATA_AT_RISK, Conditions.TRUE, NOW);
    retired.getStatus().setKms(new KmsStatus());
    retired.getStatus().getKms().setKeyVersionDestroyTime(NOW.plusSeconds(86400).toString());
    condition(retired, Conditions.DROP_BLOCKED, Conditions.TRUE, NOW.minusSeconds(7200));
    EncryptionKey older = key("shop", "orders", "o-0", KeyState.Retired);
    condition(older, Conditions.DROP_BLOCKED, Conditions.TRUE, NOW.minusSeconds(600));
    keys.addAll(List.of(primary, staged, retired, older));

    // A Staged key without access does not make the ring lose access: nothing uses it yet.
    has(
        scrape(),
        "keyops_kms_access{" + ORDERS + "} 1.0",
        "keyops_kms_keys_without_access{" + ORDERS + "} 1.0",
        "keyops_keys_data_at_risk{" + ORDERS + "} 1.0",
        "keyops_kms_version_destroy_time_seconds{"
            + ORDERS
            + "} "
            + (double) (NOW.getEpochSecond() + 86400),
        "keyops_keys_drop_blocked{" + ORDERS + "} 2.0",
        "keyops_drop_blocked_seconds{" + ORDERS + "} 7200.0");

    condition(retired, Conditions.KMS_ACCESS_VERIFIED, Conditions.FALSE, NOW);
    has(
        scrape(),
        "keyops_kms_access{" + ORDERS + "} 0.0",
        "keyops_kms_keys_without_access{" + ORDERS + "} 2.0");
  }

  /** awsKms and transit keys count in the same per-ring gauges as gcpKms keys. */
  @Test
  void awsKmsAndTransitKeysAtRiskOrWithoutAccessAreCountedPerRing() {
    Provider aws = new Provider();
    AwsKmsProvider a = new AwsKmsProvider();
    a.setKeyId("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    aws.setAwsKms(a);
    Provider transit = new Provider();
    TransitProvider t = new TransitProvider();
    t.setAddress("https://openbao.example:8200");
    t.setKeyName("orders");
    transit.setTransit(t);
    // ring "orders": an awsKms Primary pending deletion, a transit Retired key below
    // min_decryption_version without access
    EncryptionKey pending = withProvider("shop", "orders", "o-2", KeyState.Primary, aws);
    condition(pending, Conditions.KMS_ACCESS_VERIFIED, Conditions.TRUE, NOW);
    condition(pending, Conditions.DATA_AT_RISK, Conditions.TRUE, NOW);
    pending.getStatus().setKms(new KmsStatus());
    pending.getStatus().getKms().setKeyVersionDestroyTime(NOW.plusSeconds(7 * 86400).toString());
    EncryptionKey below = withProvider("shop", "orders", "o-1", KeyState.Retired, transit);
    condition(below, Conditions.KMS_ACCESS_VERIFIED, Conditions.FALSE, NOW);
    condition(below, Conditions.DATA_AT_RISK, Conditions.TRUE, NOW);
    // ring "vault": one healthy transit key
    EncryptionKey fine = withProvider("shop", "vault", "v-1", KeyState.Primary, transit);
    condition(fine, Conditions.KMS_ACCESS_VERIFIED, Conditions.TRUE, NOW);
    condition(fine, Conditions.DATA_AT_RISK, Conditions.FALSE, NOW);
    keys.addAll(List.of(pending, below, fine));

    String vault = "key_ring=\"vault\",namespace=\"shop\"";
    has(
        scrape(),
        "keyops_keys_data_at_risk{" + ORDERS + "} 2.0",
        "keyops_kms_version_destroy_time_seconds{"
            + ORDERS
            + "} "
            + (double) (NOW.getEpochSecond() + 7 * 86400),
        "keyops_kms_access{" + ORDERS + "} 0.0",
        "keyops_kms_keys_without_access{" + ORDERS + "} 1.0",
        "keyops_keys_data_at_risk{" + vault + "} 0.0",
        "keyops_kms_access{" + vault + "} 1.0",
        "keyops_kms_version_destroy_time_seconds{" + vault + "} NaN");
  }

  @Test
  void theLastCompletedJobGivesTheResultAndWhatIsLeftUnencrypted() {
    keys.add(key("shop", "orders", "o-1", KeyState.Primary));
    ReencryptionJob old = job("orders", "a-old", JobPhase.Failed, NOW.minusSeconds(600));
    old.getStatus().setPartitions(totals(10, 4));
    ReencryptionJob rebuilt = job("orders", "b-rebuild", JobPhase.Succeeded, NOW.minusSeconds(60));
    rebuilt.getStatus().setPartitions(totals(10, 4));
    jobs.addAll(List.of(old, rebuilt));
    String s = scrape();
    has(
        s,
        "keyops_reencryption_last_result{"
            + ORDERS
            + ",reencryption_job=\"b-rebuild\",result=\"Succeeded\"} 1.0",
        "keyops_reencryption_last_result{"
            + ORDERS
            + ",reencryption_job=\"b-rebuild\",result=\"Failed\"} 0.0",
        // a successful rebuild encrypted what it found
        "keyops_unencrypted_partitions{" + ORDERS + "} 0.0",
        "keyops_reencryption_last_completion_timestamp_seconds{"
            + ORDERS
            + ",result=\"Failed\"} "
            + (double) NOW.minusSeconds(600).getEpochSecond(),
        "keyops_reencryption_jobs{" + ORDERS + ",phase=\"Succeeded\"} 1.0",
        "keyops_reencryption_jobs{" + ORDERS + ",phase=\"Failed\"} 1.0");
    assertFalse(s.contains("reencryption_job=\"a-old\""), "only the last job");

    // A dry run completed at the same second, created later: it is the last, and leaves 4.
    ReencryptionJob dry = job("orders", "a-dry", JobPhase.Succeeded, NOW.minusSeconds(60));
    dry.getMetadata().setCreationTimestamp(NOW.minusSeconds(100).toString());
    dry.getSpec().setDryRun(true);
    dry.getStatus().setPartitions(totals(10, 4));
    jobs.add(dry);
    has(
        scrape(),
        "keyops_unencrypted_partitions{" + ORDERS + "} 4.0",
        "keyops_reencryption_last_result{"
            + ORDERS
            + ",reencryption_job=\"a-dry\",result=\"Succeeded\"} 1.0");

    // A failed rebuild leaves what it found.
    ReencryptionJob failed = job("orders", "c-failed", JobPhase.Failed, NOW);
    failed.getStatus().setPartitions(totals(10, 3));
    jobs.add(failed);
    has(
        scrape(),
        "keyops_unencrypted_partitions{" + ORDERS + "} 3.0",
        "keyops_reencryption_last_result{"
            + ORDERS
            + ",reencryption_job=\"c-failed\",result=\"Failed\"} 1.0");
  }

  @Test
  void activeJobsHaveProgressSeriesUntilTheyEndAndBytesAreCountedOnce() {
    keys.add(key("shop", "orders", "o-1", KeyState.Primary));
    ReencryptionJob run = job("orders", "run", JobPhase.Running, null);
    run.getSpec().setShards(4);
    run.getStatus().setPartitions(totals(30, 0));
    ReencryptionJob queued = job("orders", "queued", null, null);
    queued.setStatus(null);
    jobs.addAll(List.of(run, queued));
    stalled = j -> j == run;
    String runLabels = ORDERS + ",reencryption_job=\"run\"";
    metrics.jobProgress(run, 1, 4, 1000, false);
    metrics.jobProgress(run, 2, 4, 2500, false);
    metrics.jobProgress(run, 2, 4, 2500, false); // a repeated look counts nothing twice
    String s = scrape();
    has(
        s,
        "keyops_reencryption_job_shards{" + runLabels + "} 4.0",
        "keyops_reencryption_job_shards_completed{" + runLabels + "} 2.0",
        "keyops_reencryption_job_partitions{"
            + ORDERS
            + ",outcome=\"scanned\",reencryption_job=\"run\"} 30.0",
        "keyops_reencryption_job_stalled{" + runLabels + "} 1.0",
        "keyops_reencryption_job_stalled{" + ORDERS + ",reencryption_job=\"queued\"} 0.0",
        "keyops_reencryption_job_shards{" + ORDERS + ",reencryption_job=\"queued\"} 1.0",
        "keyops_reencryption_jobs{" + ORDERS + ",phase=\"Pending\"} 1.0",
        "keyops_reencryption_jobs{" + ORDERS + ",phase=\"Running\"} 1.0",
        "keyops_reencryption_bytes_total{" + ORDERS + "} 2500.0");

    // A job another process followed before a restart: what its status already counted is not
    // counted again.
    ReencryptionJob adopted = job("orders", "adopted", JobPhase.Running, null);
    jobs.add(adopted);
    metrics.jobProgress(adopted, 3, 4, 9000, true);
    metrics.jobProgress(adopted, 4, 4, 9500, true);
    has(scrape(), "keyops_reencryption_bytes_total{" + ORDERS + "} 3000.0");

    // The job ends: its series end; the ring's counter stays.
    run.getStatus().setPhase(JobPhase.Succeeded);
    run.getStatus().setCompletedAt(NOW.toString());
    s = scrape();
    assertFalse(s.contains("reencryption_job=\"run\"} "), s);
    assertFalse(s.contains("keyops_reencryption_job_shards{" + runLabels), s);
    has(s, "keyops_reencryption_bytes_total{" + ORDERS + "} 3000.0");
    assertEquals(null, metrics.progress("uid-run"), "progress of an ended job is forgotten");
  }

  @Test
  void aRingWithNoKeyKeyRingOrJobLeavesNoSeries() {
    EncryptionKey k = key("shop", "orders", "o-1", KeyState.Primary);
    k.getStatus().setActivatedAt(NOW.toString());
    keys.add(k);
    ReencryptionJob j = job("orders", "run", JobPhase.Running, null);
    jobs.add(j);
    metrics.jobProgress(j, 1, 1, 100, false);
    assertTrue(scrape().contains("key_ring=\"orders\""));
    keys.clear();
    assertTrue(scrape().contains("keyops_keys{" + ORDERS + ",state=\"Primary\"} 0.0"), "a job");
    jobs.clear();
    String s = scrape();
    assertFalse(s.contains("key_ring=\"orders\""), s);
    assertEquals(null, metrics.bytes(new KeyopsMetrics.RingId("shop", "orders")));
    // Back again later: the counter starts from zero.
    keys.add(k);
    has(scrape(), "keyops_reencryption_bytes_total{" + ORDERS + "} 0.0");
  }

  @Test
  void oneScrapeReadsEachKeyOnceWhateverTheNumberOfRings() {
    for (int r = 0; r < 1000; r++) {
      for (int i = 0; i < 10; i++) {
        EncryptionKey k =
            key(
                "ns-" + (r % 20),
                "ring-" + r,
                "k-" + i,
                i == 9 ? KeyState.Primary : KeyState.Retired);
        k.getStatus().setActivatedAt(NOW.minusSeconds(r).toString());
        k.getStatus().setPartitions(new PartitionCount(i, NOW.toString(), "inv"));
        keys.add(k);
      }
      ReencryptionJob j = job("ring-" + r, "job-" + r, JobPhase.Succeeded, NOW);
      j.getMetadata().setNamespace("ns-" + (r % 20));
      jobs.add(j);
    }
    scrape(); // warm up
    keysRead.set(0);
    keyScans.set(0);
    long start = System.nanoTime();
    String s = scrape();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(1, keyScans.get(), "one pass over the key cache per scrape");
    assertEquals(10_000, keysRead.get(), "each key read once per scrape");
    long ringSeries = s.lines().filter(l -> l.startsWith("keyops_keys{")).count();
    assertEquals(1000 * KeyState.values().length, ringSeries);
    has(s, "keyops_primary_key_age_seconds{key_ring=\"ring-999\",namespace=\"ns-19\"} 999.0");
    System.out.println(
        "scrape of 10,000 keys in 1,000 rings: "
            + millis
            + " ms, "
            + s.length() / 1024
            + " KiB, "
            + s.lines().filter(l -> l.startsWith("keyops_")).count()
            + " keyops series");
  }
}
