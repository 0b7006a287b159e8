package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingSpec;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.KeyTemplate;
import dev.keyops.api.v1alpha1.ManagedProvider;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.status.Conditions;
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
        KeyBundle ring1 = keyring(admin, ns, k1.getStatus().getKeyId());
        for (int i = 0; i < 4; i++) {
          originals.put(write(pvc.resolve("p" + i), 3000 + i, ring1), null);
        }
        Files.write(pvc.resolve("plain"), new byte[] {1, 2, 3});
        originals.replaceAll((p, v) -> decrypt(p, ring1));
        originals.put(pvc.resolve("plain"), new byte[] {1, 2, 3});

        EncryptionKey k2 = create(admin, ns, "events-2");
        k2 = await(keys, "events-2", k -> k.getStatus().getState() == KeyState.Primary);
        await(keys, "events-1", k -> k.getStatus().getState() == KeyState.Retired);
        KeyBundle ring2 = keyring(admin, ns, k2.getStatus().getKeyId());

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
        RealApi.dispose(admin, ns);
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
        RealApi.dispose(admin, ns);
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
        RealApi.dispose(admin, ns);
      }
    }
  }

  /**
   * Rotation requests in quick succession on the real API server (the issue 26 report: a second
   * request in the same minute made no key and said nothing): each request makes its own key, each
   * key becomes Primary in turn, and a request while a rotation is under way is refused with a
   * reason, never dropped.
   */
  @Test
  void rotationRequestsInOneMinuteEachMakeTheirOwnKey() throws Exception {
    RealApi.kubeconfig();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "requests");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withHttpPort(0)
              .withLeaderElection(false)
              .withStagedFor(Duration.ZERO);
      try (KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC())) {
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        var rings = admin.resources(KeyRing.class).inNamespace(ns);
        create(admin, ns, "events-1");
        await(keys, "events-1", k -> k.getStatus().getState() == KeyState.Primary);
        KeyRing ring = new KeyRing();
        ring.setMetadata(
            new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName("events")
                .withNamespace(ns)
                .build());
        RotationPolicy rotation = new RotationPolicy();
        rotation.setPeriod("1h");
        rotation.setStagedFor("1s");
        KeyTemplate template = new KeyTemplate();
        template.setManaged(new ManagedProvider());
        rotation.setKeyTemplate(template);
        ring.setSpec(new KeyRingSpec());
        ring.getSpec().setRotation(rotation);
        admin.resource(ring).create();
        OperatorHarness.await(
            () -> rings.withName("events").get(),
            r -> r.getStatus() != null && "events-1".equals(r.getStatus().getPrimary()),
            "the KeyRing to see its Primary");

        java.util.List<String> made = new java.util.ArrayList<>();
        for (String value : java.util.List.of("a", "b", "c")) {
          // A merge patch, as `kubectl annotate --overwrite` does.
          rings
              .withName("events")
              .patch(
                  io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                      io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                  "{\"metadata\":{\"annotations\":{\""
                      + KeyRing.ROTATE_ANNOTATION
                      + "\":\""
                      + value
                      + "\"}}}");
          KeyRing handled =
              OperatorHarness.await(
                  () -> rings.withName("events").get(),
                  r ->
                      r.getStatus() != null
                          && ("|" + value).equals(r.getStatus().getRotationRequestHandled()),
                  "request " + value + " handled");
          var outcome =
              Conditions.find(handled.getStatus().getConditions(), "RotationRequest").orElseThrow();
          assertEquals("True", outcome.getStatus(), outcome::getMessage);
          // The key this request made, by the request it carries (it may be Primary already, and
          // the ring's pendingKey cleared, by the time the status is read).
          java.util.List<String> byRequest =
              keys.list().getItems().stream()
                  .filter(
                      k ->
                          k.getMetadata().getAnnotations() != null
                              && ("|" + value)
                                  .equals(
                                      k.getMetadata()
                                          .getAnnotations()
                                          .get(KeyRing.ROTATION_REQUEST_ANNOTATION)))
                  .map(k -> k.getMetadata().getName())
                  .toList();
          assertEquals(1, byRequest.size(), "request " + value + " made " + byRequest);
          String key = byRequest.get(0);
          assertNotNull(key, "request " + value + " made no key");
          assertFalse(made.contains(key), key + " was made by an earlier request");
          if (value.equals("c")) {
            // While c's key is Staged, another request is refused with the reason.
            rings
                .withName("events")
                .patch(
                    io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                    "{\"metadata\":{\"annotations\":{\""
                        + KeyRing.ROTATE_ANNOTATION
                        + "\":\"d\"}}}");
            KeyRing refused =
                OperatorHarness.await(
                    () -> rings.withName("events").get(),
                    r -> "|d".equals(r.getStatus().getRotationRequestHandled()),
                    "request d handled");
            var why =
                Conditions.find(refused.getStatus().getConditions(), "RotationRequest")
                    .orElseThrow();
            // Refused while c's key was Staged, or acted on if it was Primary already: never
            // handled without a key or a reason.
            if ("False".equals(why.getStatus())) {
              assertEquals("RotationInProgress", why.getReason(), why::getMessage);
            } else {
              assertNotNull(refused.getStatus().getPendingKey(), why::getMessage);
            }
          }
          // Became Primary (c's key may be Retired already if request d was acted on).
          await(keys, key, k -> k.getStatus().getActivatedAt() != null);
          made.add(key);
        }
        for (String key : made.subList(0, 2)) {
          // Settled, not at once: the operator writes the new Primary's status before it retires
          // the old one (a crash in between must never leave the ring without a Primary), so a
          // read right after c's key became Primary may still find b's key Primary.
          await(keys, key, k -> k.getStatus().getState() == KeyState.Retired);
          assertEquals(
              "events",
              keys.withName(key).get().getMetadata().getOwnerReferences().get(0).getName());
        }
        assertEquals(3, new java.util.HashSet<>(made).size(), made::toString);
      } finally {
        RealApi.dispose(admin, ns);
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

  static KeyBundle keyring(KubernetesClient admin, String ns, String primary) {
    return OperatorHarness.await(
        () -> {
          Secret s = admin.secrets().inNamespace(ns).withName("events-keyring").get();
          return s == null
              ? null
              : KeyBundle.parse(
                  Base64.getDecoder().decode(s.getData().get("keyring.json")),
                  DataKeyUnwrapper.NONE);
        },
        r -> r != null && primary.equals(r.document().primaryKeyId()),
        "keyring with primary " + primary);
  }

  static Path write(Path p, int size, KeyBundle ring) throws Exception {
    byte[] plain = new byte[size];
    new Random(size).nextBytes(plain);
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(plain), ch, ring);
    }
    return p;
  }

  static byte[] decrypt(Path p, KeyBundle ring) {
    try (InputStream in = new PartitionCodec().decrypt(p, ring)) {
      return in.readAllBytes();
    } catch (Exception e) {
      throw new AssertionError(p + ": " + e.getMessage(), e);
    }
  }
}
