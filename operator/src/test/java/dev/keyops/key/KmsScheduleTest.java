package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KmsScheduleTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void transientFailuresBackOff15sDoublingCappedAtTheInterval() {
    KmsSchedule s = new KmsSchedule(Duration.ofMinutes(2), () -> 0.5);
    assertTrue(s.due("k", false, T0), "a key never checked is due at once");
    Instant now = T0;
    long[] expected = {15, 30, 60, 120, 120, 120};
    for (long seconds : expected) {
      s.failed("k", true, now);
      assertFalse(
          s.due("k", false, now.plusSeconds(seconds).minusMillis(1)), "early at " + seconds);
      now = now.plusSeconds(seconds);
      assertTrue(s.due("k", false, now), "due after " + seconds + " s");
    }
    assertEquals(6, s.failures("k"));
    s.succeeded("k", now);
    assertEquals(0, s.failures("k"));
  }

  /**
   * The bound the issue asks for: however often the key is woken (here every second for five
   * minutes of outage), it calls Cloud KMS at most once per backoff step.
   */
  @Test
  void aKeyWokenEverySecondCallsAtMostOncePerStep() {
    Duration interval = Duration.ofMinutes(10);
    KmsSchedule s = new KmsSchedule(interval, () -> 0.0);
    int calls = 0;
    for (int t = 0; t <= 300; t++) {
      Instant now = T0.plusSeconds(t);
      if (s.due("k", true, now)) {
        calls++;
        s.failed("k", true, now);
      }
    }
    // Steps start at 0 (jitter 0 makes a verified key due at once), 15, 45, 105, 225 s.
    assertTrue(calls <= 5, "at most one call per step, got " + calls);
    assertEquals(5, calls, "and it keeps trying: one call per step");
  }

  @Test
  void aRestartSpreadsVerifiedKeysOverOneInterval() {
    Duration interval = Duration.ofMinutes(10);
    double[] r = {0.25};
    KmsSchedule s = new KmsSchedule(interval, () -> r[0]);
    assertFalse(s.due("verified", true, T0));
    assertTrue(s.due("verified", true, T0.plus(interval.dividedBy(4))));
    assertTrue(s.due("new", false, T0), "a key not yet verified is checked at once");
  }

  @Test
  void successIsFollowedByTheJitteredInterval() {
    Duration interval = Duration.ofMinutes(10);
    KmsSchedule low = new KmsSchedule(interval, () -> 0.0);
    KmsSchedule high = new KmsSchedule(interval, () -> 0.999);
    assertEquals(Duration.ofMinutes(9), low.succeeded("k", T0));
    assertTrue(high.succeeded("k", T0).compareTo(Duration.ofMinutes(11)) <= 0);
  }

  @Test
  void permanentFailuresRecheckFromThirtySeconds() {
    KmsSchedule s = new KmsSchedule(Duration.ofMinutes(10), () -> 0.5);
    s.failed("k", false, T0);
    assertFalse(s.due("k", false, T0.plusSeconds(29)));
    assertTrue(s.due("k", false, T0.plusSeconds(30)));
  }

  @Test
  void anOnDemandRequestMakesTheKeyDueNow() {
    KmsSchedule s = new KmsSchedule(Duration.ofMinutes(10), () -> 0.5);
    s.succeeded("k", T0);
    assertFalse(s.due("k", true, T0.plusSeconds(1)));
    s.requestNow("k", T0.plusSeconds(1));
    assertTrue(s.due("k", true, T0.plusSeconds(1)));
  }
}
