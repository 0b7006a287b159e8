package dev.keyops.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.ring.RotationRules.Action;
import dev.keyops.ring.RotationRules.Pending;
import dev.keyops.status.Reason;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RotationRulesTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration DAY = Duration.ofDays(1);
  static final Duration TEN_MIN = Duration.ofMinutes(10);

  static RotationRules.Decision at(
      Instant now, Instant last, Instant primary, Pending p, boolean req) {
    return RotationRules.decide(
        new RotationRules.Input(now, DAY, TEN_MIN, true, last, primary, null, true, req, p));
  }

  @Test
  void dueOnePeriodAfterTheLastRotationElseThePrimarysActivation() {
    var d = at(T0.plus(Duration.ofHours(23)), null, T0, null, false);
    assertEquals(Action.NONE, d.action());
    assertEquals(T0.plus(DAY), d.nextRotation());
    assertEquals(Duration.ofHours(1), d.wakeIn());
    assertEquals(Action.CREATE, at(T0.plus(DAY), null, T0, null, false).action());
    assertEquals(
        Action.NONE, at(T0.plus(DAY), T0.plus(Duration.ofHours(2)), T0, null, false).action());
  }

  @Test
  void onDemandRequestRotatesAtOnce() {
    assertEquals(Action.CREATE, at(T0.plus(Duration.ofMinutes(1)), null, T0, null, true).action());
  }

  @Test
  void aStagedKeyIsActivatedOnlyAfterStagedForAndWhenReady() {
    Instant created = T0.plus(DAY);
    var d =
        at(
            created.plus(Duration.ofMinutes(4)),
            created,
            T0,
            new Pending(created, false, true),
            true);
    assertEquals(Action.NONE, d.action());
    assertEquals(Duration.ofMinutes(6), d.wakeIn());
    assertTrue(d.due());
    d = at(created.plus(TEN_MIN), created, T0, new Pending(created, false, false), false);
    assertEquals(Action.NONE, d.action(), "not Ready: waits for the key");
    assertNull(d.wakeIn());
    assertEquals(
        Action.ACTIVATE,
        at(created.plus(TEN_MIN), created, T0, new Pending(created, false, true), false).action());
    assertEquals(
        Action.NONE,
        at(created.plus(DAY), created, T0, new Pending(created, true, true), false).action(),
        "already activated: the EncryptionKey controller promotes it");
  }

  @Test
  void aRequestIsActedOnOrRefusedWithTheReason() {
    assertNull(RotationRules.refusal(true, false, false), "acted on: a new key at once");
    assertEquals(Reason.RotationInProgress, RotationRules.refusal(true, true, false));
    assertEquals(Reason.RotationBlocked, RotationRules.refusal(true, true, true));
    assertEquals(Reason.NoKeyTemplate, RotationRules.refusal(false, false, false));
    assertEquals(Reason.NoKeyTemplate, RotationRules.refusal(false, true, true));
  }

  @Test
  void withoutTemplateADueRotationIsOnlyReportedAndAnEmptyRingIsDueAtOnce() {
    var d =
        RotationRules.decide(
            new RotationRules.Input(T0, DAY, TEN_MIN, false, null, null, null, false, false, null));
    assertTrue(d.due());
    assertEquals(Action.NONE, d.action());
    d =
        RotationRules.decide(
            new RotationRules.Input(T0, DAY, TEN_MIN, true, null, null, null, false, false, null));
    assertEquals(Action.CREATE, d.action());
    d =
        RotationRules.decide(
            new RotationRules.Input(
                T0, DAY, TEN_MIN, true, null, null, T0.plus(DAY), true, false, null));
    assertFalse(d.due(), "keys but no Primary: one period after the ring first saw it");
  }

  static dev.keyops.key.DropGuard.Decision inventory(Long partitions, Instant started) {
    var scans =
        partitions == null
            ? java.util.Map.<String, dev.keyops.key.DropGuard.Scan>of()
            : java.util.Map.of(
                "data",
                new dev.keyops.key.DropGuard.Scan("data", partitions, 0, null, started, started));
    return dev.keyops.key.DropGuard.decide(
        new dev.keyops.key.DropGuard.Input(
            KeyState.Retired, "r", T0, java.util.Set.of("data"), scans, Duration.ZERO, false));
  }

  @Test
  void retentionDisablesOnlyAfterAnInventoryAfterRetirementFoundNothing() {
    Duration h = Duration.ofHours(1);
    assertNull(
        RetentionRules.disableIn(
            new RetentionRules.Input(
                T0.plus(DAY), KeyState.Retired, false, inventory(2L, T0.plus(h)), h)));
    assertNull(
        RetentionRules.disableIn(
            new RetentionRules.Input(
                T0.plus(DAY), KeyState.Retired, false, inventory(0L, T0.minusSeconds(1)), h)));
    assertNull(
        RetentionRules.disableIn(
            new RetentionRules.Input(
                T0.plus(DAY), KeyState.Retired, false, inventory(null, null), h)));
    assertNull(
        RetentionRules.disableIn(
            new RetentionRules.Input(T0.plus(DAY), KeyState.Primary, false, inventory(0L, T0), h)));
    assertEquals(
        Duration.ofMinutes(30),
        RetentionRules.disableIn(
            new RetentionRules.Input(
                T0.plus(Duration.ofMinutes(30)), KeyState.Retired, false, inventory(0L, T0), h)));
    assertEquals(
        Duration.ZERO,
        RetentionRules.disableIn(
            new RetentionRules.Input(T0.plus(DAY), KeyState.Retired, false, inventory(0L, T0), h)));
  }
}
