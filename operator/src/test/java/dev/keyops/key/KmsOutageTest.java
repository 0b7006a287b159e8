package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Cloud KMS outage with an injected clock: the key is woken far more often than its backoff
 * allows (an annotation change every 5 simulated seconds, each a reconcile), and the bounds hold:
 * at most one Cloud KMS call per backoff step, at most three status writes over five minutes, and a
 * verified key flips only after repeated failures.
 */
class KmsOutageTest {

  static final String KMS_KEY =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/payments";

  @Test
  void aFiveMinuteOutageIsBoundedInKmsCallsAndStatusWrites() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (OperatorHarness h = new OperatorHarness(Duration.ofMinutes(10), clock)) {
      h.kms.create(KMS_KEY);
      h.client().resource(Fixtures.gcpKey("flaky-1", "flaky", KMS_KEY)).create();
      h.awaitKey("flaky-1", KmsOutageTest::verified, "verified");
      h.await(
          () -> h.client().secrets().inNamespace("default").withName("flaky-keyring").get(),
          s -> s != null,
          "keyring Secret");
      quiesce(h);

      clock.advance(Duration.ofMinutes(12)); // the key's revalidation is due
      h.kms.setUnavailable(true);
      int kmsBefore = h.kms.totalCalls();
      h.api.drainRequests();
      int failuresSeenVerified = 0;
      for (int t = 0; t <= 300; t += 5) {
        if (t > 0) {
          clock.advance(Duration.ofSeconds(5));
        }
        poke(h, "outage-" + t);
        if (verified(h.key("flaky-1")) && h.kms.totalCalls() > kmsBefore) {
          failuresSeenVerified++;
        }
      }
      List<String> requests = h.api.drainRequests();
      int kmsCalls = h.kms.totalCalls() - kmsBefore;
      long statusWrites =
          requests.stream().filter(r -> r.endsWith("/encryptionkeys/flaky-1/status")).count();
      System.out.printf(
          "KMS outage, 300 simulated s, %d reconciles: %d Cloud KMS calls, %d status writes%n",
          61, kmsCalls, statusWrites);
      // Backoff steps in 300 s: 0, 15, 45, 105, 225 (15 s doubling, cap 10 min).
      assertTrue(kmsCalls <= 5, "at most one Cloud KMS call per backoff step, got " + kmsCalls);
      assertTrue(kmsCalls >= 4, "but it keeps checking, one call per step: " + kmsCalls);
      assertTrue(statusWrites <= 3, "at most 3 status writes in 5 minutes, got " + statusWrites);
      assertTrue(failuresSeenVerified > 0, "the first transient failures keep the key verified");
      EncryptionKey during = h.key("flaky-1");
      assertEquals(
          "KmsUnavailable",
          Conditions.find(during.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED)
              .orElseThrow()
              .getReason(),
          "a persisting outage is reported");
      assertEquals(
          EncryptionKeyReconciler.FAILURES_BEFORE_UNVERIFIED,
          during.getStatus().getKms().getConsecutiveFailures(),
          "the count is recorded once, when the condition changes");

      h.kms.setUnavailable(false);
      clock.advance(Duration.ofMinutes(11));
      poke(h, "recovered");
      h.awaitKey("flaky-1", KmsOutageTest::verified, "verified again");
    }
  }

  /**
   * A key created during an outage has never been verified: nobody can use it yet, so its checks
   * back off only to 1 minute (not the 10-minute interval), bounded in calls, and it is Ready
   * within a minute of Cloud KMS answering again.
   */
  @Test
  void aKeyCreatedDuringAnOutageIsReadyWithinAMinuteOfRecovery() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (OperatorHarness h = new OperatorHarness(Duration.ofMinutes(10), clock)) {
      h.kms.create(KMS_KEY);
      h.kms.setUnavailable(true);
      int kmsBefore = h.kms.totalCalls();
      h.client().resource(Fixtures.gcpKey("flaky-1", "flaky", KMS_KEY)).create();
      h.awaitKey(
          "flaky-1",
          k ->
              k.getStatus() != null
                  && Conditions.find(k.getStatus().getConditions(), Conditions.READY)
                      .filter(c -> "KmsUnavailable".equals(c.getReason()))
                      .isPresent(),
          "Ready=False KmsUnavailable");
      quiesce(h);
      for (int t = 5; t <= 600; t += 5) {
        clock.advance(Duration.ofSeconds(5));
        poke(h, "outage-" + t);
      }
      int kmsCalls = h.kms.totalCalls() - kmsBefore;
      // Checks at 0, 15, 45, 105, then every 60 s up to 585: 13 in 10 minutes.
      assertTrue(kmsCalls <= 13, "at most one Cloud KMS call per step, got " + kmsCalls);
      assertTrue(kmsCalls >= 11, "and a check at least every minute: " + kmsCalls);
      h.kms.setUnavailable(false);
      for (int t = 5; t <= 60 && !verified(h.key("flaky-1")); t += 5) {
        clock.advance(Duration.ofSeconds(5));
        poke(h, "recovered-" + t);
      }
      assertTrue(verified(h.key("flaky-1")), "verified within a minute of recovery");
    }
  }

  static boolean verified(EncryptionKey k) {
    return k.getStatus() != null
        && Conditions.isTrue(k.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED);
  }

  /** Changes an annotation (a reconcile) and waits until the controller has finished it. */
  static void poke(OperatorHarness h, String value) {
    double before = h.keyReconciles();
    Patches.annotate(h.client(), "default", "flaky-1", "test.keyops.dev/poke", value);
    OperatorHarness.await(h::keyReconciles, r -> r > before, "a reconcile after " + value);
  }

  /** Waits until reconciles stop (the key's creation causes several). */
  static void quiesce(OperatorHarness h) throws InterruptedException {
    double last = -1;
    while (h.keyReconciles() != last) {
      last = h.keyReconciles();
      Thread.sleep(300);
    }
  }
}
