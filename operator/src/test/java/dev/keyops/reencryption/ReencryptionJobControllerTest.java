package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.status.Conditions;
import dev.keyops.testing.FakeKubelet;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ReencryptionJob controller end to end: the real operator on the mock API server, with a
 * stand-in kubelet that runs each pod's worker on real files.
 */
class ReencryptionJobControllerTest {

  @TempDir Path tmp;
  OperatorHarness h;
  FakeKubelet kubelet;
  Path data;
  final Map<Path, byte[]> originals = new LinkedHashMap<>();

  @BeforeEach
  void start() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(2));
    data = Files.createDirectories(tmp.resolve("pvc/partitions"));
    kubelet = new FakeKubelet(h.client(), Files.createDirectories(tmp.resolve("pods")));
    kubelet.claim("events-data", tmp.resolve("pvc"));
  }

  @AfterEach
  void stop() throws Exception {
    kubelet.close();
    h.close();
    assertNull(kubelet.failure(), () -> "fake kubelet failed: " + kubelet.failure());
  }

  EncryptionKey key(String name, boolean activate) {
    EncryptionKey k = Fixtures.managedKey(name, "events");
    k.getSpec().setActivate(activate);
    h.client().resource(k).create();
    return h.awaitKey(
        name,
        x ->
            Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY)
                && (!activate || x.getStatus().getState() == KeyState.Primary),
        activate ? "Primary" : "Ready");
  }

  KeyBundle ring(String primaryKeyId) {
    return h.await(
        () -> {
          Secret s = h.client().secrets().inNamespace("default").withName("events-keyring").get();
          return s == null
              ? null
              : KeyBundle.parse(
                  Base64.getDecoder().decode(s.getData().get("keyring.json")),
                  DataKeyUnwrapper.NONE);
        },
        r -> r != null && primaryKeyId.equals(r.document().primaryKeyId()),
        "keyring with primary " + primaryKeyId);
  }

  void write(String name, int size, KeyBundle ring) throws IOException {
    byte[] plain = new byte[size];
    new Random(name.hashCode()).nextBytes(plain);
    Path p = data.resolve(name);
    if (ring == null) {
      Files.write(p, plain);
    } else {
      try (FileChannel ch =
          FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        new PartitionCodec().encrypt(new ByteArrayInputStream(plain), ch, ring);
      }
    }
    originals.put(p, plain);
  }

  ReencryptionJob rej(String name, String target, int shards, boolean dryRun) {
    ReencryptionJob r =
        Fixtures.reencryptionJob("default", name, "events", "events-data", "partitions");
    r.getSpec().setTargetKey(target);
    r.getSpec().setShards(shards);
    r.getSpec().setParallelism(shards);
    r.getSpec().setDryRun(dryRun);
    return h.client().resource(r).create();
  }

  ReencryptionJob awaitPhase(String name, JobPhase phase) {
    return h.await(
        () ->
            h.client().resources(ReencryptionJob.class).inNamespace("default").withName(name).get(),
        r -> r != null && r.getStatus() != null && r.getStatus().getPhase() == phase,
        "ReencryptionJob " + name + " " + phase);
  }

  ReencryptionJob awaitInventory(String name) {
    return h.await(
        () ->
            h.client().resources(ReencryptionJob.class).inNamespace("default").withName(name).get(),
        r ->
            r.getStatus() != null
                && Conditions.isTrue(r.getStatus().getConditions(), "InventoryRecorded"),
        name + " inventory recorded");
  }

  byte[] decrypt(Path p, KeyBundle ring) throws IOException {
    try (InputStream in = new PartitionCodec().decrypt(p, ring)) {
      return in.readAllBytes();
    }
  }

  @Test
  void aStatusWriteRefusedAsStaleIsRetriedFromFreshStateAndNothingIsLost() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    for (int i = 0; i < 3; i++) {
      write("k1-" + i, 1000 + i, ring(k1.getStatus().getKeyId()));
    }
    // The first two status writes of this job meet 409 Conflict, as writes from a stale copy do
    // on a real API server: the reconcile must be retried, not its write dropped or forced.
    h.api.conflictOnNext(
        r ->
            r.getMethod().equals("PUT")
                && r.getPath().contains("/reencryptionjobs/inventory/status"),
        2);
    rej("inventory", null, 1, true);
    ReencryptionJob done = awaitPhase("inventory", JobPhase.Succeeded);
    assertEquals(2, h.api.conflictsAnswered());
    assertEquals(3, done.getStatus().getPartitions().getTotal());
    assertEquals(Map.of(k1.getStatus().getKeyId(), 3L), done.getStatus().getByKey());
    awaitInventory("inventory");
    assertTrue(
        h.events("inventory").stream().noneMatch(e -> "Conflict".equals(e.getReason())),
        "a conflict is ordinary optimistic concurrency: no Warning event");
  }

  @Test
  void aFullRotationRebuildsEverythingAndReleasesTheOldKeys() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    for (int i = 0; i < 3; i++) {
      write("k1-" + i, 1000 + i, ring(k1.getStatus().getKeyId()));
    }
    EncryptionKey k2 = key("events-2", true);
    for (int i = 0; i < 3; i++) {
      write("k2-" + i, 2000 + i, ring(k2.getStatus().getKeyId()));
    }
    write("plain-0", 300, null);
    write("plain-1", 301, null);
    EncryptionKey k3 = key("events-3", true);
    ring(k3.getStatus().getKeyId());

    rej("rotate", "events-3", 2, false);
    ReencryptionJob done = awaitPhase("rotate", JobPhase.Succeeded);
    assertEquals(8, done.getStatus().getPartitions().getTotal());
    assertEquals(8, done.getStatus().getPartitions().getRebuilt());
    assertEquals(2, done.getStatus().getPartitions().getUnencrypted());
    assertEquals(
        Map.of(k1.getStatus().getKeyId(), 3L, k2.getStatus().getKeyId(), 3L, "none", 2L),
        done.getStatus().getByKey());
    assertEquals(k3.getStatus().getKeyId(), done.getStatus().getTargetKeyId());
    assertTrue(Conditions.isTrue(done.getStatus().getConditions(), Conditions.COMPLETE));
    awaitInventory("rotate");
    KeyBundle onlyNew = ring(k3.getStatus().getKeyId());
    for (var e : originals.entrySet()) {
      assertEquals(k3.getStatus().getKeyId(), PartitionCodec.inspect(e.getKey()).keyId().hex());
      assertArrayEquals(e.getValue(), decrypt(e.getKey(), onlyNew));
    }
    EncryptionKey old =
        h.awaitKey("events-1", k -> k.getStatus().getPartitions() != null, "partition count");
    assertEquals(0L, old.getStatus().getPartitions().getCount());
    assertEquals("rotate", old.getStatus().getPartitions().getCountedBy());
    assertEquals(8L, h.key("events-3").getStatus().getPartitions().getCount());
    assertEquals(1, h.client().batch().v1().jobs().inNamespace("default").list().getItems().size());
    assertTrue(
        h.operator()
            .registry()
            .scrape()
            .contains("keyops_partitions_total{outcome=\"rebuilt\"} 8.0"));

    // The loop is closed: the old keys can now be dropped.
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("events-1").delete();
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("events-2").delete();
    h.awaitGone("events-1");
    h.awaitGone("events-2");
  }

  @Test
  void partitionsOnADroppedKeyAreReportedUnrecoverableAndLeftUntouched() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    write("lost-0", 500, ring(k1.getStatus().getKeyId()));
    byte[] lostBytes = Files.readAllBytes(data.resolve("lost-0"));
    EncryptionKey k2 = key("events-2", true);
    write("ok-0", 600, ring(k2.getStatus().getKeyId()));
    dev.keyops.testing.Patches.annotate(
        h.client(), "default", "events-1", EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION, "true");
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("events-1").delete();
    h.awaitGone("events-1");

    rej("after-loss", null, 1, false);
    ReencryptionJob failed = awaitPhase("after-loss", JobPhase.Failed);
    assertEquals(1L, failed.getStatus().getPartitions().getUnrecoverable());
    assertEquals(1L, failed.getStatus().getPartitions().getAlreadyOnTarget());
    assertEquals("lost-0", failed.getStatus().getFailures().get(0).getPartition());
    assertEquals(k1.getStatus().getKeyId(), failed.getStatus().getFailures().get(0).getKeyId());
    String msg =
        Conditions.find(failed.getStatus().getConditions(), Conditions.FAILED).get().getMessage();
    assertTrue(msg.contains("unrecoverable"), msg);
    assertArrayEquals(lostBytes, Files.readAllBytes(data.resolve("lost-0")));
    assertTrue(h.events("after-loss").stream().anyMatch(e -> "JobFailed".equals(e.getReason())));
  }

  ReencryptionJob get(String name) {
    return h.client().resources(ReencryptionJob.class).inNamespace("default").withName(name).get();
  }

  ReencryptionJob awaitWaiting(String name, String reason) {
    return h.await(
        () -> get(name),
        r ->
            r != null
                && r.getStatus() != null
                && Conditions.find(r.getStatus().getConditions(), Conditions.WAITING)
                    .map(c -> reason.equals(c.getReason()))
                    .orElse(false),
        name + " waiting with reason " + reason);
  }

  /**
   * A started job holds its ring: the next one is Queued. A job that waits for its target key holds
   * no one up: later jobs that can run, run.
   */
  @Test
  void startedJobsQueueAndAJobWaitingForItsTargetKeyHoldsNoOneUp() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    write("a", 100, ring(k1.getStatus().getKeyId()));
    key("events-2", false);
    kubelet.pause(true);
    rej("first", "events-2", 1, false);
    awaitWaiting("first", "WaitingForTargetKey");
    assertEquals(JobPhase.Pending, get("first").getStatus().getPhase());

    rej("second", null, 1, true);
    awaitPhase("second", JobPhase.Running);
    rej("third", null, 1, true);
    ReencryptionJob queued = awaitWaiting("third", "Queued");
    assertTrue(
        Conditions.find(queued.getStatus().getConditions(), Conditions.WAITING)
            .get()
            .getMessage()
            .contains("second"));
    assertNull(queued.getStatus().getJobName());

    kubelet.pause(false);
    awaitPhase("second", JobPhase.Succeeded);
    awaitPhase("third", JobPhase.Succeeded);
    assertNull(get("first").getStatus().getJobName());

    dev.keyops.testing.Patches.activate(h.client(), "default", "events-2");
    ReencryptionJob done = awaitPhase("first", JobPhase.Succeeded);
    assertEquals(1L, done.getStatus().getPartitions().getRebuilt());
  }

  /** Issue 10 item 4: a running job is followed from the informers' caches, not by polling. */
  @Test
  void aRunningJobWithNothingChangingMakesNoApiCall() throws Exception {
    key("events-1", true);
    kubelet.pause(true);
    rej("idle", null, 1, false);
    awaitPhase("idle", JobPhase.Running);
    // The start causes a few status writes (Running, then the first totals); under load the last
    // may come seconds later. Wait until the job has been quiet for 3 s, then watch a window that
    // spans its rechecks: a write that repeats would show there.
    long quietSince = System.nanoTime();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() - quietSince < 3_000_000_000L && System.nanoTime() < deadline) {
      Thread.sleep(250);
      if (h.api.drainRequests().stream().anyMatch(r -> r.contains("reencryptionjobs"))) {
        quietSince = System.nanoTime();
      }
    }
    Thread.sleep(ReencryptionJobReconciler.PENDING_RECHECK.toMillis() + 13_000); // past a recheck
    List<String> calls =
        h.api.drainRequests().stream()
            .filter(
                r ->
                    r.contains("reencryptionjobs")
                        || r.contains("/jobs")
                        || r.contains("/pods")
                        || r.contains("persistentvolumeclaims")
                        || r.contains("/namespaces/default/events"))
            .toList();
    assertEquals(List.of(), calls);
  }

  @Test
  void anOperatorRestartMidRunNeitherDuplicatesTheJobNorLosesResults() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    write("a", 100, ring(k1.getStatus().getKeyId()));
    write("b", 200, ring(k1.getStatus().getKeyId()));
    key("events-2", true);
    kubelet.pause(true);
    rej("restart", null, 2, false);
    awaitPhase("restart", JobPhase.Running);
    h.stop();
    h.start();
    kubelet.pause(false);
    ReencryptionJob done = awaitPhase("restart", JobPhase.Succeeded);
    assertEquals(2L, done.getStatus().getPartitions().getRebuilt());
    assertEquals(1, h.client().batch().v1().jobs().inNamespace("default").list().getItems().size());
  }

  @Test
  void deletingAReencryptionJobStopsItsJobAndPods() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    write("a", 100, ring(k1.getStatus().getKeyId()));
    kubelet.pause(true);
    rej("cancel", null, 1, false);
    ReencryptionJob running = awaitPhase("cancel", JobPhase.Running);
    Job job =
        h.client()
            .batch()
            .v1()
            .jobs()
            .inNamespace("default")
            .withName(running.getStatus().getJobName())
            .get();
    assertEquals("Indexed", job.getSpec().getCompletionMode());
    assertEquals(
        "events-keyring",
        job.getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getSecret() != null)
            .findFirst()
            .get()
            .getSecret()
            .getSecretName());
    var sc = job.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext();
    assertEquals(false, sc.getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
    assertEquals(
        "FallbackToLogsOnError",
        job.getSpec().getTemplate().getSpec().getContainers().get(0).getTerminationMessagePolicy());
    h.client().resources(ReencryptionJob.class).inNamespace("default").withName("cancel").delete();
    h.await(
        () ->
            h.client()
                .batch()
                .v1()
                .jobs()
                .inNamespace("default")
                .withName(job.getMetadata().getName())
                .get(),
        j -> j == null,
        "Job deleted");
    h.await(
        () ->
            h.client()
                .resources(ReencryptionJob.class)
                .inNamespace("default")
                .withName("cancel")
                .get(),
        r -> r == null,
        "ReencryptionJob gone");
  }

  /** The worker runs with the job's limit (its log says so) and the launch event names it. */
  @Test
  void aThrottledJobsWorkersRunWithItsLimit() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    write("a", 5000, ring(k1.getStatus().getKeyId()));
    EncryptionKey k2 = key("events-2", true);
    ring(k2.getStatus().getKeyId());
    ReencryptionJob r =
        Fixtures.reencryptionJob("default", "slow", "events", "events-data", "partitions");
    r.getSpec().setBytesPerSecond(2L << 20);
    h.client().resource(r).create();

    assertEquals(
        1, awaitPhase("slow", JobPhase.Succeeded).getStatus().getPartitions().getRebuilt());
    assertTrue(
        h.events("slow").stream()
            .anyMatch(e -> e.getMessage().contains("each worker throttled to 2.0 MiB/s")),
        () -> h.events("slow").toString());
    String log;
    try (var logs = Files.walk(tmp.resolve("pods"))) {
      Path file = logs.filter(f -> f.getFileName().toString().equals("log")).findFirst().get();
      log = Files.readString(file);
    }
    assertTrue(log.contains("re-encryption throttled to at most 2.0 MiB/s"), log);
    assertTrue(log.contains("(limit 2.0 MiB/s)"), log);
  }

  @Test
  void aDryRunRecordsTheInventoryAndChangesNoData() throws Exception {
    EncryptionKey k1 = key("events-1", true);
    write("a", 100, ring(k1.getStatus().getKeyId()));
    write("b", 100, ring(k1.getStatus().getKeyId()));
    EncryptionKey k2 = key("events-2", true);
    ring(k2.getStatus().getKeyId());
    Map<Path, byte[]> before = new LinkedHashMap<>();
    for (Path p : originals.keySet()) {
      before.put(p, Files.readAllBytes(p));
    }
    rej("count", null, 1, true);
    awaitPhase("count", JobPhase.Succeeded);
    awaitInventory("count");
    assertEquals(2L, h.key("events-1").getStatus().getPartitions().getCount());
    assertEquals(0L, h.key("events-2").getStatus().getPartitions().getCount());
    for (var e : before.entrySet()) {
      assertArrayEquals(e.getValue(), Files.readAllBytes(e.getKey()));
    }
    // The guard keeps the old key: the inventory still counts its partitions.
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("events-1").delete();
    h.awaitKey(
        "events-1",
        k ->
            "DropRefusedPartitions"
                .equals(
                    Conditions.find(k.getStatus().getConditions(), Conditions.DROP_BLOCKED)
                        .map(c -> c.getReason())
                        .orElse(null)),
        "drop refused");
  }
}
