package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.observability.Conditions;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.Keyring;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.LocalPodRunner;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole rotation on a real kube-apiserver and kube-controller-manager, with the operator running
 * under exactly the Helm chart's RBAC (impersonating its ServiceAccount) and the real Job and
 * garbage-collector controllers; pods run through {@link LocalPodRunner}.
 */
@Tag("realapi")
class RotationOnRealApiTest {

  static final String SYSTEM_NS = "keyops-system";

  @TempDir Path tmp;

  @Test
  void aWholeRotationUnderTheChartsRbac() throws Exception {
    RealApi.kubeconfig();
    String rbac = System.getProperty("keyops.chartRbac");
    assumeTrue(rbac != null && !rbac.isBlank(), "no rendered chart RBAC: run dev/test");
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      RealApi.installChartRbac(admin, SYSTEM_NS);
      String ns = RealApi.namespace(admin, "rotation");
      Path pvc = Files.createDirectories(tmp.resolve("pvc/partitions"));
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(true)
              .withLeaseNamespace(SYSTEM_NS);
      try (KubernetesClient asOperator = RealApi.as(SYSTEM_NS, "keyops");
          KeyopsOperator operator = KeyopsOperator.start(asOperator, config, Clock.systemUTC());
          LocalPodRunner runner =
              new LocalPodRunner(admin, Files.createDirectories(tmp.resolve("pods")))) {
        runner.claim(ns, "events-data", tmp.resolve("pvc"));
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);

        EncryptionKey k1 = create(admin, ns, "events-1");
        k1 = await(keys, "events-1", k -> k.getStatus().getState() == KeyState.Primary);
        Map<Path, byte[]> originals = new LinkedHashMap<>();
        Keyring ring1 = keyring(admin, ns, k1.getStatus().getKeyId());
        for (int i = 0; i < 4; i++) {
          originals.put(write(pvc.resolve("p" + i), 3000 + i, ring1), null);
        }
        Files.write(pvc.resolve("plain"), new byte[] {1, 2, 3});
        originals.replaceAll((p, v) -> decrypt(p, ring1));
        originals.put(pvc.resolve("plain"), new byte[] {1, 2, 3});

        EncryptionKey k2 = create(admin, ns, "events-2");
        k2 = await(keys, "events-2", k -> k.getStatus().getState() == KeyState.Primary);
        await(keys, "events-1", k -> k.getStatus().getState() == KeyState.Retired);
        Keyring ring2 = keyring(admin, ns, k2.getStatus().getKeyId());

        ReencryptionJob rej = job(ns, "rotate", null, false);
        ReencryptionJobSpec spec = rej.getSpec();
        spec.setShards(2);
        spec.setParallelism(2);
        admin.resource(rej).create();
        var rejs = admin.resources(ReencryptionJob.class).inNamespace(ns);
        ReencryptionJob done =
            OperatorHarness.await(
                () -> {
                  if (runner.failure() != null) {
                    throw new AssertionError("the local pod runner failed", runner.failure());
                  }
                  return rejs.withName("rotate").get();
                },
                r ->
                    r.getStatus() != null
                        && (r.getStatus().getPhase() == JobPhase.Succeeded
                            || r.getStatus().getPhase() == JobPhase.Failed),
                "the ReencryptionJob to finish",
                java.time.Duration.ofSeconds(90));
        assertNull(runner.failure());
        assertEquals(
            JobPhase.Succeeded,
            done.getStatus().getPhase(),
            () -> String.valueOf(done.getStatus().getConditions()));
        assertEquals(5L, done.getStatus().getPartitions().getRebuilt());
        for (var e : originals.entrySet()) {
          assertArrayEquals(e.getValue(), decrypt(e.getKey(), ring2));
        }
        await(
            keys,
            "events-1",
            k ->
                k.getStatus().getPartitions() != null
                    && k.getStatus().getPartitions().getCount() == 0);

        // Drop the old key: the guard releases it; its material Secret goes with it.
        keys.withName("events-1").delete();
        OperatorHarness.await(
            () -> keys.withName("events-1").get(), k -> k == null, "events-1 dropped");
        OperatorHarness.await(
            () -> admin.secrets().inNamespace(ns).withName("keyops-key-events-1").get(),
            s -> s == null,
            "material shredded");

        // Deleting the ReencryptionJob deletes its Job, and the garbage collector its pods.
        String job = done.getStatus().getJobName();
        rejs.withName("rotate").delete();
        OperatorHarness.await(
            () -> admin.batch().v1().jobs().inNamespace(ns).withName(job).get(),
            j -> j == null,
            "Job deleted");
        OperatorHarness.await(
            () ->
                admin
                    .pods()
                    .inNamespace(ns)
                    .withLabel("keyops.dev/reencryption-job", "rotate")
                    .list()
                    .getItems(),
            l -> l.isEmpty(),
            "pods garbage-collected");
        // Dropping the last key lets the garbage collector remove the keyring Secret's last owner.
        keys.withName("events-2").delete();
        OperatorHarness.await(
            () -> keys.withName("events-2").get(),
            k ->
                k != null
                    && Conditions.find(k.getStatus().getConditions(), Conditions.DROP_BLOCKED)
                        .isPresent(),
            "Primary drop refused");
      } finally {
        admin.namespaces().withName(ns).delete();
      }
    }
  }

  /**
   * The real Job controller applies the pod failure policy keyops sets: a shard with an
   * unrecoverable partition (exit code 1) fails its index only; the ReencryptionJob ends Failed
   * with the partition named, and the inventory is still recorded.
   */
  @Test
  void anUnrecoverablePartitionFailsItsIndexAndIsReported() throws Exception {
    RealApi.kubeconfig();
    String rbac = System.getProperty("keyops.chartRbac");
    assumeTrue(rbac != null && !rbac.isBlank(), "no rendered chart RBAC: run dev/test");
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "loss");
      Path pvc = Files.createDirectories(tmp.resolve("pvc/partitions"));
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false);
      try (KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC());
          LocalPodRunner runner =
              new LocalPodRunner(admin, Files.createDirectories(tmp.resolve("pods")))) {
        runner.claim(ns, "events-data", tmp.resolve("pvc"));
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        EncryptionKey k1 = create(admin, ns, "events-1");
        k1 = await(keys, "events-1", k -> k.getStatus().getState() == KeyState.Primary);
        write(pvc.resolve("lost"), 100, keyring(admin, ns, k1.getStatus().getKeyId()));
        byte[] lost = Files.readAllBytes(pvc.resolve("lost"));
        EncryptionKey k2 = create(admin, ns, "events-2");
        k2 = await(keys, "events-2", k -> k.getStatus().getState() == KeyState.Primary);
        write(pvc.resolve("fine"), 100, keyring(admin, ns, k2.getStatus().getKeyId()));
        // A merge patch, as `kubectl annotate` does: no conflict with the operator's writes.
        keys.withName("events-1")
            .patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\""
                    + EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION
                    + "\":\"true\"}}}");
        keys.withName("events-1").delete();
        OperatorHarness.await(
            () -> keys.withName("events-1").get(),
            k -> k == null,
            "events-1 dropped with data loss");

        ReencryptionJob rej = job(ns, "after-loss", null, false);
        ReencryptionJobSpec spec = rej.getSpec();
        admin.resource(rej).create();
        ReencryptionJob failed =
            OperatorHarness.await(
                () ->
                    admin
                        .resources(ReencryptionJob.class)
                        .inNamespace(ns)
                        .withName("after-loss")
                        .get(),
                r -> r.getStatus() != null && r.getStatus().getPhase() == JobPhase.Failed,
                "the ReencryptionJob to fail",
                java.time.Duration.ofSeconds(90));
        assertEquals(1L, failed.getStatus().getPartitions().getUnrecoverable());
        assertEquals("lost", failed.getStatus().getFailures().get(0).getPartition());
        assertArrayEquals(
            lost,
            Files.readAllBytes(pvc.resolve("lost")),
            "an unrecoverable partition was modified");
        var job =
            admin
                .batch()
                .v1()
                .jobs()
                .inNamespace(ns)
                .withName(failed.getStatus().getJobName())
                .get();
        assertEquals(
            "0", job.getStatus().getFailedIndexes(), "the real Job controller failed the index");
        OperatorHarness.await(
            () -> keys.withName("events-2").get(),
            k ->
                k.getStatus().getPartitions() != null
                    && k.getStatus().getPartitions().getCount() == 1,
            "inventory recorded");
      } finally {
        admin.namespaces().withName(ns).delete();
      }
    }
  }

  /**
   * On the real API server: a dry run counts without changing a byte, a job waits for its named
   * target key, and an operator restart in between neither loses nor duplicates anything.
   */
  @Test
  void aDryRunAQueuedTargetAndARestart() throws Exception {
    RealApi.kubeconfig();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "queue");
      Path pvc = Files.createDirectories(tmp.resolve("pvc/partitions"));
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false);
      KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC());
      try (LocalPodRunner runner =
          new LocalPodRunner(admin, Files.createDirectories(tmp.resolve("pods")))) {
        runner.claim(ns, "events-data", tmp.resolve("pvc"));
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        var rejs = admin.resources(ReencryptionJob.class).inNamespace(ns);
        EncryptionKey k1 = create(admin, ns, "events-1");
        k1 = await(keys, "events-1", k -> k.getStatus().getState() == KeyState.Primary);
        write(pvc.resolve("a"), 100, keyring(admin, ns, k1.getStatus().getKeyId()));
        byte[] before = Files.readAllBytes(pvc.resolve("a"));
        EncryptionKey staged = Fixtures.managedKey("events-2", "events");
        staged.getMetadata().setNamespace(ns);
        admin.resource(staged).create();

        admin.resource(job(ns, "count", null, true)).create();
        admin.resource(job(ns, "later", "events-2", false)).create();
        OperatorHarness.await(
            () -> rejs.withName("count").get(),
            r -> r.getStatus() != null && r.getStatus().getPhase() == JobPhase.Succeeded,
            "dry run",
            java.time.Duration.ofSeconds(60));
        assertArrayEquals(before, Files.readAllBytes(pvc.resolve("a")), "a dry run changed data");
        await(
            keys,
            "events-1",
            k ->
                k.getStatus().getPartitions() != null
                    && k.getStatus().getPartitions().getCount() == 1);
        ReencryptionJob waiting =
            OperatorHarness.await(
                () -> rejs.withName("later").get(),
                r ->
                    r.getStatus() != null
                        && Conditions.find(r.getStatus().getConditions(), Conditions.WAITING)
                            .map(c -> "WaitingForTargetKey".equals(c.getReason()))
                            .orElse(false),
                "waiting for events-2");
        assertNull(waiting.getStatus().getJobName());

        operator.close();
        operator = KeyopsOperator.start(admin, config, Clock.systemUTC());
        keys.withName("events-2")
            .patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"activate\":true}}");
        ReencryptionJob done =
            OperatorHarness.await(
                () -> rejs.withName("later").get(),
                r -> r.getStatus() != null && r.getStatus().getPhase() == JobPhase.Succeeded,
                "rebuild onto events-2",
                java.time.Duration.ofSeconds(60));
        assertEquals(1L, done.getStatus().getPartitions().getRebuilt());
        assertEquals(
            2,
            admin.batch().v1().jobs().inNamespace(ns).list().getItems().size(),
            "one Job per ReencryptionJob");
      } finally {
        operator.close();
        admin.namespaces().withName(ns).delete();
      }
    }
  }

  static ReencryptionJob job(String ns, String name, String target, boolean dryRun) {
    ReencryptionJob rej = Fixtures.reencryptionJob(ns, name, "events", "events-data", "partitions");
    rej.getSpec().setTargetKey(target);
    rej.getSpec().setDryRun(dryRun);
    return rej;
  }

  static EncryptionKey create(KubernetesClient admin, String ns, String name) {
    EncryptionKey k = Fixtures.managedKey(name, "events");
    k.getMetadata().setNamespace(ns);
    k.getSpec().setActivate(true);
    return admin.resource(k).create();
  }

  static EncryptionKey await(
      io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
              EncryptionKey, ?, io.fabric8.kubernetes.client.dsl.Resource<EncryptionKey>>
          keys,
      String name,
      java.util.function.Predicate<EncryptionKey> until) {
    return OperatorHarness.await(
        () -> keys.withName(name).get(),
        k -> k != null && k.getStatus() != null && until.test(k),
        name);
  }

  static Keyring keyring(KubernetesClient admin, String ns, String primary) {
    return OperatorHarness.await(
        () -> {
          Secret s = admin.secrets().inNamespace(ns).withName("events-keyring").get();
          return s == null
              ? null
              : Keyring.parse(
                  Base64.getDecoder().decode(s.getData().get("keyring.json")),
                  DataKeyUnwrapper.NONE);
        },
        r -> r != null && primary.equals(r.document().primaryKeyId()),
        "keyring with primary " + primary);
  }

  static Path write(Path p, int size, Keyring ring) throws Exception {
    byte[] plain = new byte[size];
    new Random(size).nextBytes(plain);
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(plain), ch, ring);
    }
    return p;
  }

  static byte[] decrypt(Path p, Keyring ring) {
    try (InputStream in = new PartitionCodec().decrypt(p, ring)) {
      return in.readAllBytes();
    } catch (Exception e) {
      throw new AssertionError(p + ": " + e.getMessage(), e);
    }
  }
}
