package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import dev.keyops.testing.RequestCounter;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the operator asks of a real API server, counted on its own client: nothing while idle,
 * nothing for a reconcile that finds nothing to do, and only writes (no LIST or GET) for a key
 * added to an existing ring.
 */
@Tag("realapi")
class QuietOperatorOnRealApiTest {

  @Test
  void idleAndSingleKeyReconcilesAreBoundedInRequests() throws Exception {
    RealApi.kubeconfig();
    RequestCounter counter = new RequestCounter();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "quiet");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false)
              .withWatchNamespaces(java.util.List.of(ns));
      try (KubernetesClient operatorClient = counter.client(RealApi.config());
          KeyopsOperator operator =
              KeyopsOperator.start(operatorClient, config, Clock.systemUTC())) {
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        for (int ring = 0; ring < 4; ring++) {
          for (int i = 0; i < 5; i++) {
            EncryptionKey k = Fixtures.managedKey("r" + ring + "-k" + i, "ring-" + ring);
            k.getMetadata().setNamespace(ns);
            k.getSpec().setActivate(i == 0);
            keys.resource(k).create();
          }
        }
        for (int ring = 0; ring < 4; ring++) {
          String name = "r" + ring + "-k0";
          OperatorHarness.await(
              () -> keys.withName(name).get(),
              k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary,
              name + " Primary");
        }
        OperatorHarness.await(
            () -> keys.list().getItems(),
            l ->
                l.stream()
                    .allMatch(
                        k ->
                            k.getStatus() != null
                                && Conditions.isTrue(k.getStatus().getConditions(), "Ready")),
            "every key Ready",
            Duration.ofSeconds(60));
        quiesce(counter);

        // Idle: no request at all for 10 s (no LIST, no GET, no status write).
        counter.reset();
        Thread.sleep(10_000);
        Map<String, Integer> idle = counter.counts();
        System.out.println("idle 10 s: " + idle);
        assertTrue(counter.total() <= 1, "idle operator made requests: " + idle);

        // A reconcile that changes nothing (an annotation) makes no call.
        counter.reset();
        Patches.annotate(admin, ns, "r1-k2", "example.com/owner", "team-a");
        Thread.sleep(2_000);
        System.out.println("no-op reconcile: " + counter.counts());
        assertEquals(Map.of(), counter.counts(), "a reconcile with nothing to do made requests");

        // A key added to a ring: writes only (material, statuses, keyring, events); no reads.
        counter.reset();
        EncryptionKey added = Fixtures.managedKey("r2-k5", "ring-2");
        added.getMetadata().setNamespace(ns);
        keys.resource(added).create();
        OperatorHarness.await(
            () -> keys.withName("r2-k5").get(),
            k -> k.getStatus() != null && Conditions.isTrue(k.getStatus().getConditions(), "Ready"),
            "r2-k5 Ready");
        quiesce(counter);
        Map<String, Integer> one = counter.counts();
        System.out.println("one key added: " + one);
        one.forEach(
            (request, n) ->
                assertTrue(
                    !request.startsWith("LIST") && !request.startsWith("GET"),
                    "a reconcile read from the API server: " + one));
        assertTrue(
            counter.total() <= 8, "one new key cost " + counter.total() + " requests: " + one);
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }

  /** Waits until the operator has sent nothing for 2 s. */
  static void quiesce(RequestCounter counter) throws InterruptedException {
    int last = -1;
    while (counter.total() != last) {
      last = counter.total();
      Thread.sleep(2_000);
    }
  }
}
