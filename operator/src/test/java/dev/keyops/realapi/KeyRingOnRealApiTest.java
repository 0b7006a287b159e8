package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A KeyRing's rotation, and scheduled destruction, on a real kube-apiserver with the operator under
 * exactly the chart's RBAC and server-side apply (production defaults), with an injected clock.
 */
@Tag("realapi")
class KeyRingOnRealApiTest {

  static final String SYSTEM_NS = "keyops-system";

  @Test
  void rotationUnderTheChartsRbacThenDeletingTheRingKeepsItsKeys() throws Exception {
    RealApi.kubeconfig();
    String rbac = System.getProperty("keyops.chartRbac");
    assumeTrue(rbac != null && !rbac.isBlank(), "no rendered chart RBAC: run dev/test");
    MutableClock clock = new MutableClock(Instant.parse("2026-05-01T08:00:00Z"));
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      RealApi.installChartRbac(admin, SYSTEM_NS);
      String ns = RealApi.namespace(admin, "keyring");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false)
              .withDestroyAfter(Duration.ofDays(7));
      try (KubernetesClient asOperator = RealApi.as(SYSTEM_NS, "keyops");
          KeyopsOperator operator = KeyopsOperator.start(asOperator, config, clock)) {
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        var rings = admin.resources(KeyRing.class).inNamespace(ns);
        EncryptionKey first = Fixtures.managedKey("orders-first", "orders");
        first.getMetadata().setNamespace(ns);
        first.getSpec().setActivate(true);
        admin.resource(first).create();
        await(keys, "orders-first", k -> state(k) == KeyState.Primary);

        String yaml =
            """
            apiVersion: keyops.dev/v1alpha1
            kind: KeyRing
            metadata: {name: orders}
            spec:
              rotation: {period: 24h, stagedFor: 5m, keyTemplate: {managed: {}}}
              reencryption: {storage: {persistentVolumeClaim: {claimName: orders-data}}}
            """;
        for (HasMetadata o :
            admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
          admin.resource(o).inNamespace(ns).create();
        }
        OperatorHarness.await(
            () -> rings.withName("orders").get(),
            r -> r.getStatus() != null && "orders-first".equals(r.getStatus().getPrimary()),
            "the ring's status");

        clock.advance(Duration.ofHours(25));
        poke(rings, "1");
        String next = "orders-20260502-090000";
        EncryptionKey staged = await(keys, next, k -> state(k) == KeyState.Staged);
        assertEquals("orders", staged.getMetadata().getOwnerReferences().get(0).getName());
        clock.advance(Duration.ofMinutes(6));
        poke(rings, "2");
        await(keys, next, k -> state(k) == KeyState.Primary);
        ReencryptionJob job =
            OperatorHarness.await(
                () ->
                    admin
                        .resources(ReencryptionJob.class)
                        .inNamespace(ns)
                        .withName(next + "-rebuild")
                        .get(),
                j -> j != null,
                "the ReencryptionJob");
        assertEquals(next, job.getSpec().getTargetKey());

        // Scheduled destruction (operator default 7 days) of the old key, once an inventory
        // after its retirement found nothing.
        await(keys, "orders-first", k -> state(k) == KeyState.Retired);
        // A merge patch of the one field the test owns, with no resourceVersion: keyops may still
        // be writing the key's status (a PUT or a JSON Patch from a read copy would meet 409).
        PartitionCount empty =
            dev.keyops.testing.Fixtures.inventory(
                0L, clock.instant().plusSeconds(1).toString(), "t");
        keys.withName("orders-first")
            .subresource("status")
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                Serialization.asJson(Map.of("status", Map.of("partitions", empty))));
        keys.withName("orders-first").delete();
        EncryptionKey scheduled =
            await(keys, "orders-first", k -> state(k) == KeyState.DestroyScheduled);
        assertEquals(
            clock.instant().plus(Duration.ofDays(7)).toString(),
            scheduled.getStatus().getDestroyTime());
        assertNotNull(admin.secrets().inNamespace(ns).withName("keyops-key-orders-first").get());

        // Deleting the KeyRing orphans its keys: they stay.
        rings.withName("orders").delete();
        OperatorHarness.await(() -> rings.withName("orders").get(), r -> r == null, "ring gone");
        EncryptionKey kept = keys.withName(next).get();
        assertNotNull(kept);
        assertTrue(kept.getMetadata().getOwnerReferences().isEmpty());
        assertEquals(KeyState.Primary, state(kept));
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }

  static void poke(
      io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
              KeyRing,
              io.fabric8.kubernetes.api.model.KubernetesResourceList<KeyRing>,
              io.fabric8.kubernetes.client.dsl.Resource<KeyRing>>
          rings,
      String value) {
    rings
        .withName("orders")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"test.keyops.dev/poke\":\"" + value + "\"}}}");
  }

  static KeyState state(EncryptionKey k) {
    return k == null || k.getStatus() == null ? null : k.getStatus().getState();
  }

  static EncryptionKey await(
      io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
              EncryptionKey,
              io.fabric8.kubernetes.api.model.KubernetesResourceList<EncryptionKey>,
              io.fabric8.kubernetes.client.dsl.Resource<EncryptionKey>>
          keys,
      String name,
      java.util.function.Predicate<EncryptionKey> until) {
    return OperatorHarness.await(
        () -> keys.withName(name).get(), k -> k != null && until.test(k), "key " + name);
  }
}
