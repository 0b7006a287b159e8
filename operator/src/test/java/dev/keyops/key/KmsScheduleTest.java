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
      s.failed("k", true, true, now);
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
        s.failed("k", true, true, now);
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
    s.failed("k", false, true, T0);
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

  /**
   * A key never verified is waited for by someone and usable by no one: its backoff stops at 1
   * minute (transient) or 5 minutes (permanent) even with a 10-minute interval, so a key whose
   * first checks fail under load is Ready within a minute of Cloud KMS answering again.
   */
  @Test
  void keysNotYetVerifiedBackOffToAtMostOneMinuteOrFiveAfterPermanentFailures() {
    KmsSchedule s = new KmsSchedule(Duration.ofMinutes(10), () -> 0.5);
    Instant now = T0;
    long[] expected = {15, 30, 60, 60, 60};
    for (long seconds : expected) {
      s.failed("new", true, false, now);
      assertFalse(s.due("new", false, now.plusSeconds(seconds).minusMillis(1)));
      now = now.plusSeconds(seconds);
      assertTrue(s.due("new", false, now), "due after at most " + seconds + " s");
    }
    Instant t = T0;
    long[] permanent = {30, 60, 120, 240, 300, 300};
    for (long seconds : permanent) {
      s.failed("denied", false, false, t);
      assertFalse(s.due("denied", false, t.plusSeconds(seconds).minusMillis(1)));
      t = t.plusSeconds(seconds);
      assertTrue(s.due("denied", false, t), "due after at most " + seconds + " s");
    }
    Instant v = T0;
    Duration last = Duration.ZERO;
    for (int i = 0; i < 8; i++) {
      s.failed("verified", true, true, v);
      last = s.untilNext("verified", v);
      v = v.plus(last);
    }
    assertEquals(Duration.ofMinutes(10), last, "a verified key still backs off to the interval");
  }

  /**
   * A success whose status write was lost (a conflict, or a check made during another key's
   * reconcile) left the key unverified in its status; it used to wait a whole interval (a 200-key
   * benchmark took 11 minutes to get every key Ready). It is checked again at once instead.
   */
  @Test
  void aSuccessTheStatusDoesNotShowIsCheckedAgain() {
    KmsSchedule s = new KmsSchedule(Duration.ofMinutes(10), () -> 0.5);
    assertTrue(s.due("k", false, T0));
    s.succeeded("k", T0);
    assertTrue(s.due("k", false, T0.plusSeconds(1)), "unverified in status: check again");
    assertFalse(s.due("k", true, T0.plusSeconds(1)), "verified in status: wait the interval");
    assertTrue(s.due("k", true, T0.plus(Duration.ofMinutes(11))));
    s.failed("k", true, false, T0);
    assertFalse(s.due("k", false, T0.plusSeconds(1)), "a failure still backs off");
  }
}
