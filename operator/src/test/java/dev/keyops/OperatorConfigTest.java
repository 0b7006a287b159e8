package dev.keyops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

  static Map<String, String> image(Map<String, String> env) {
    Map<String, String> m = new java.util.HashMap<>(env);
    m.put("KEYOPS_WORKER_IMAGE", "r/keyops:1");
    return m;
  }

  @Test
  void anUnsetWorkerImageStopsTheOperatorInsteadOfGuessingOne() {
    for (Map<String, String> env :
        List.<Map<String, String>>of(Map.of(), Map.of("KEYOPS_WORKER_IMAGE", " "))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> OperatorConfig.fromEnv(env));
      assertTrue(e.getMessage().startsWith("KEYOPS_WORKER_IMAGE is not set"), e.getMessage());
    }
  }

  @Test
  void defaultsAreSafeForProduction() {
    OperatorConfig c = OperatorConfig.fromEnv(Map.of("KEYOPS_WORKER_IMAGE", "r/keyops@sha256:1"));
    assertEquals("r/keyops@sha256:1", c.workerImage());
    assertEquals(Set.of(), c.watchNamespaces());
    assertEquals(8080, c.httpPort());
    assertTrue(c.leaderElection());
    assertTrue(c.serverSideApply());
    assertEquals(Duration.ofMinutes(10), c.kmsRevalidateInterval());
    assertEquals(Duration.ofSeconds(15), c.leaseDuration());
    assertEquals(Duration.ofSeconds(10), c.renewDeadline());
    assertEquals(Duration.ofSeconds(2), c.retryPeriod());
    assertEquals(null, c.leaseIdentity(), "HOSTNAME (the pod's name) is the elector's default");
    assertEquals(java.util.List.of(), c.workerImagePullSecrets());
    assertEquals(
        java.util.List.of("regcred", "mirror"),
        OperatorConfig.fromEnv(
                image(Map.of("KEYOPS_WORKER_IMAGE_PULL_SECRETS", " regcred, mirror,")))
            .workerImagePullSecrets());
  }

  @Test
  void readsEveryVariable() {
    OperatorConfig c =
        OperatorConfig.fromEnv(
            Map.of(
                "KEYOPS_WATCH_NAMESPACES", " team-a, team-b ,",
                "KEYOPS_HTTP_PORT", "9090",
                "KEYOPS_LOG_FORMAT", "JSON",
                "KEYOPS_LEADER_ELECTION", "false",
                "KEYOPS_LEASE_NAME", "l",
                "POD_NAMESPACE", "ops",
                "KEYOPS_KMS_REVALIDATE_INTERVAL", "1h30m",
                "KEYOPS_KMS_ENDPOINT", "localhost:1",
                "KEYOPS_WORKER_IMAGE", "r/keyops:1"));
    assertEquals(Set.of("team-a", "team-b"), c.watchNamespaces());
    assertEquals(9090, c.httpPort());
    assertEquals("json", c.logFormat());
    assertFalse(c.leaderElection());
    assertEquals("ops", c.leaseNamespace());
    assertEquals(Duration.ofMinutes(90), c.kmsRevalidateInterval());
    assertEquals("localhost:1", c.kmsEndpoint());
    assertEquals(7, c.withHttpPort(7).httpPort());
    assertEquals("ops", c.withHttpPort(7).leaseNamespace(), "copies keep the other fields");
  }

  @Test
  void leaseTimingsAreReadAndMustLetTheLeaderStopBeforeItsLeaseExpires() {
    OperatorConfig c =
        OperatorConfig.fromEnv(
            Map.of(
                "KEYOPS_LEASE_DURATION", "30s",
                "KEYOPS_LEASE_RENEW_DEADLINE", "20s",
                "KEYOPS_LEASE_RETRY_PERIOD", "5s",
                "KEYOPS_LEASE_IDENTITY", "keyops-0",
                "KEYOPS_WORKER_IMAGE", "r/keyops:1"));
    assertEquals(Duration.ofSeconds(30), c.leaseDuration());
    assertEquals(Duration.ofSeconds(20), c.renewDeadline());
    assertEquals(Duration.ofSeconds(5), c.retryPeriod());
    assertEquals("keyops-0", c.leaseIdentity());

    String tooLong =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    OperatorConfig.fromEnv(
                        Map.of(
                            "KEYOPS_LEASE_DURATION", "10s", "KEYOPS_LEASE_RENEW_DEADLINE", "10s")))
            .getMessage();
    assertTrue(tooLong.startsWith("KEYOPS_LEASE_RENEW_DEADLINE (PT10S) must be shorter"), tooLong);
    String tooFewTries =
        assertThrows(
                IllegalArgumentException.class,
                () -> OperatorConfig.fromEnv(Map.of("KEYOPS_LEASE_RETRY_PERIOD", "5s")))
            .getMessage();
    assertTrue(tooFewTries.startsWith("KEYOPS_LEASE_RETRY_PERIOD (PT5S)"), tooFewTries);
    OperatorConfig.fromEnv(image(Map.of("KEYOPS_LEASE_RETRY_PERIOD", "4s"))); // 10s > 2.2 x 4s
    assertThrows(
        IllegalArgumentException.class,
        () ->
            OperatorConfig.defaults()
                .withLeaseTimings(
                    Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofSeconds(2)));
  }

  @Test
  void badValuesNameTheVariable() {
    for (var bad :
        Map.of(
                "KEYOPS_HTTP_PORT",
                "http",
                "KEYOPS_LOG_FORMAT",
                "xml",
                "KEYOPS_LEADER_ELECTION",
                "yes",
                "KEYOPS_KMS_REVALIDATE_INTERVAL",
                "10 minutes",
                "KEYOPS_LEASE_DURATION",
                "15")
            .entrySet()) {
      String m =
          assertThrows(
                  IllegalArgumentException.class,
                  () -> OperatorConfig.fromEnv(Map.of(bad.getKey(), bad.getValue())))
              .getMessage();
      assertTrue(m.startsWith(bad.getKey()), m);
    }
  }
}
