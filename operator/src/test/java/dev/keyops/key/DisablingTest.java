package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DisablingTest {

  static final Instant RETIRED = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant AFTER = RETIRED.plusSeconds(60);

  /** The inventory rule for a key whose one location's last scan found {@code partitions}. */
  static DropGuard.Decision inv(Long partitions, Instant scanStarted) {
    Map<String, DropGuard.Scan> scans =
        partitions == null
            ? Map.of()
            : Map.of(
                "data", new DropGuard.Scan("data", partitions, 0, null, scanStarted, scanStarted));
    return DropGuard.decide(
        new DropGuard.Input(
            KeyState.Retired, "r", RETIRED, Set.of("data"), scans, Duration.ZERO, false));
  }

  @Test
  void retiredKeyIsDisabledOnlyWhenAnInventoryAfterRetirementFoundNoPartition() {
    var o = Disabling.decide(KeyState.Retired, true, "r", inv(0L, AFTER));
    assertEquals(KeyState.Disabled, o.state());
    o = Disabling.decide(KeyState.Retired, true, "r", inv(4L, AFTER));
    assertEquals(KeyState.Retired, o.state());
    assertEquals(Reason.DisableRefusedPartitions, o.reason());
    o = Disabling.decide(KeyState.Retired, true, "r", inv(0L, RETIRED.minusSeconds(1)));
    assertEquals(Reason.DisableRefusedNoInventory, o.reason());
    o = Disabling.decide(KeyState.Retired, true, "r", inv(null, null));
    assertEquals(Reason.DisableRefusedNoInventory, o.reason());
  }

  @Test
  void primaryAndStagedAreNeverDisabled() {
    for (KeyState s : new KeyState[] {KeyState.Primary, KeyState.Staged}) {
      var o = Disabling.decide(s, true, "r", inv(0L, AFTER));
      assertEquals(s, o.state());
      assertEquals(Reason.DisableRefusedPrimaryOrStaged, o.reason());
    }
  }

  @Test
  void falseReturnsADisabledKeyToRetiredAndOtherwiseChangesNothing() {
    assertEquals(
        KeyState.Retired, Disabling.decide(KeyState.Disabled, false, "r", inv(0L, AFTER)).state());
    var o = Disabling.decide(KeyState.Retired, false, "r", inv(3L, AFTER));
    assertEquals(KeyState.Retired, o.state());
    assertNull(o.disabled());
    assertEquals(
        KeyState.Disabled, Disabling.decide(KeyState.Disabled, true, "r", inv(0L, AFTER)).state());
    assertEquals(
        KeyState.DestroyScheduled,
        Disabling.decide(KeyState.DestroyScheduled, false, "r", inv(0L, AFTER)).state());
  }
}
