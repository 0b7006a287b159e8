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
import dev.keyops.testing.RequestCounter;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the operator (replicas: 2 in the chart) on a real API server, each under the
 * chart's RBAC (impersonating its ServiceAccount) with a client of its own: only the leader of the
 * Lease reconciles, the standby writes nothing; when the leader stops, the standby takes the Lease
 * once it expires and reconciles a key applied after, within a bound that follows from the lease
 * timings.
 */
@Tag("realapi")
class LeaderElectionOnRealApiTest {

  static final String SYSTEM_NS = RotationOnRealApiTest.SYSTEM_NS;
  static final String LEASE = "keyops-leader";
  static final Duration LEASE_DURATION = Duration.ofSeconds(6);
  static final Duration RENEW_DEADLINE = Duration.ofSeconds(4);
  static final Duration RETRY_PERIOD = Duration.ofSeconds(1);

  /**
   * A standby takes an expired Lease at its next try: at most the lease duration after the last
   * renewal, plus one retry period with the elector's jitter (1.2), plus room for a loaded machine.
   */
  static final Duration FAILOVER_BOUND =
      LEASE_DURATION.plus(RETRY_PERIOD.multipliedBy(22).dividedBy(10)).plusSeconds(5);

  /** From taking the Lease to a new key being Primary: start event processing, one reconcile. */
  static final Duration RECONCILE_BOUND = Duration.ofSeconds(20);

  @Test
  void onlyTheLeaderReconcilesAndTheStandbyTakesOverWhenItStops() throws Exception {
    RealApi.kubeconfig();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      RealApi.installChartRbac(admin, SYSTEM_NS);
      // A Lease left by an earlier test's operator would only delay the first election.
      admin.leases().inNamespace(SYSTEM_NS).withName(LEASE).delete();
      String ns = RealApi.namespace(admin, "leader");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(true)
              .withLeaseNamespace(SYSTEM_NS)
              .withWatchNamespaces(List.of(ns))
              .withLeaseTimings(LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD);
      RequestCounter leaderRequests = new RequestCounter();
      RequestCounter standbyRequests = new RequestCounter();
      var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
      try (KubernetesClient leaderClient =
              leaderRequests.client(RealApi.asConfig(SYSTEM_NS, "keyops"));
          KubernetesClient standbyClient =
              standbyRequests.client(RealApi.asConfig(SYSTEM_NS, "keyops"))) {
        KeyopsOperator leader =
            KeyopsOperator.start(
                leaderClient, config.withLeaseIdentity("keyops-a"), Clock.systemUTC());
        try {
          awaitHolder(admin, "keyops-a", Duration.ofSeconds(30));
          try (KeyopsOperator standby =
              KeyopsOperator.start(
                  standbyClient, config.withLeaseIdentity("keyops-b"), Clock.systemUTC())) {
            // The standby's informers are running: it sees the key, and must leave it alone.
            Thread.sleep(RETRY_PERIOD.multipliedBy(3).toMillis());
            keys.resource(key(ns, "payments-1")).create();
            awaitKey(admin, ns, "payments-1", k -> k.getStatus().getState() == KeyState.Primary);
            quiesce(leaderRequests);
            Map<String, Integer> standbyBefore = standbyRequests.counts();
            System.out.println("leader: " + leaderRequests.counts());
            System.out.println("standby while following: " + standbyBefore);
            assertTrue(
                leaderRequests.counts().getOrDefault("PUT encryptionkeys/status", 0) > 0,
                "the leader reconciled: " + leaderRequests.counts());
            standbyBefore.forEach(
                (request, n) ->
                    assertTrue(
                        isRead(request) || request.equals("POST selfsubjectrulesreviews"),
                        "the standby wrote while following: " + standbyBefore));
            assertTrue(
                standbyBefore.getOrDefault("GET leases", 0) > 0,
                "the standby tries the Lease: " + standbyBefore);
            assertEquals("keyops-a", holder(admin));

            // The leader stops (its pod is deleted): the standby takes over.
            Instant stopped = Instant.now();
            leader.close();
            leader = null;
            awaitHolder(admin, "keyops-b", FAILOVER_BOUND);
            Duration failover = Duration.between(stopped, Instant.now());
            keys.resource(key(ns, "payments-2")).create();
            Instant applied = Instant.now();
            awaitKey(admin, ns, "payments-2", k -> k.getStatus().getState() == KeyState.Primary);
            Duration reconciled = Duration.between(applied, Instant.now());
            awaitKey(admin, ns, "payments-1", k -> k.getStatus().getState() == KeyState.Retired);
            System.out.println(
                "failover: standby led "
                    + failover.toMillis()
                    + " ms after the leader stopped (bound "
                    + FAILOVER_BOUND.toMillis()
                    + " ms); a key applied then was Primary after "
                    + reconciled.toMillis()
                    + " ms");
            assertTrue(
                standbyRequests.counts().getOrDefault("PUT encryptionkeys/status", 0) > 0,
                "the new leader reconciled: " + standbyRequests.counts());
          }
        } finally {
          if (leader != null) {
            leader.close();
          }
          RealApi.dispose(admin, ns);
        }
      }
    }
  }

  private static EncryptionKey key(String ns, String name) {
    EncryptionKey k = Fixtures.managedKey(name, "payments");
    k.getMetadata().setNamespace(ns);
    k.getSpec().setActivate(true);
    return k;
  }

  private static void awaitKey(
      KubernetesClient admin, String ns, String name, Predicate<EncryptionKey> until) {
    OperatorHarness.await(
        () -> admin.resources(EncryptionKey.class).inNamespace(ns).withName(name).get(),
        k ->
            k != null
                && k.getStatus() != null
                && Conditions.isTrue(k.getStatus().getConditions(), Conditions.READY)
                && until.test(k),
        name,
        RECONCILE_BOUND);
  }

  /** Waits until the operator has sent nothing but Lease renewals for 2 s. */
  private static void quiesce(RequestCounter counter) throws InterruptedException {
    long last = -1;
    long now = busy(counter);
    while (now != last) {
      Thread.sleep(2_000);
      last = now;
      now = busy(counter);
    }
  }

  private static long busy(RequestCounter counter) {
    return counter.counts().entrySet().stream()
        .filter(e -> !e.getKey().endsWith(" leases"))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  private static String holder(KubernetesClient admin) {
    Lease l = admin.leases().inNamespace(SYSTEM_NS).withName(LEASE).get();
    return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
  }

  private static void awaitHolder(KubernetesClient admin, String identity, Duration bound) {
    OperatorHarness.await(
        () -> holder(admin), identity::equals, "Lease " + LEASE + " held by " + identity, bound);
  }

  private static boolean isRead(String request) {
    return request.startsWith("GET ")
        || request.startsWith("LIST ")
        || request.startsWith("WATCH ");
  }
}
