package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.observability.Reason;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DisablingTest {

  static final Instant RETIRED = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant AFTER = RETIRED.plusSeconds(60);

  @Test
  void retiredKeyIsDisabledOnlyWhenAnInventoryAfterRetirementFoundNoPartition() {
    var o = Disabling.decide(KeyState.Retired, true, "r", RETIRED, 0L, AFTER);
    assertEquals(KeyState.Disabled, o.state());
    o = Disabling.decide(KeyState.Retired, true, "r", RETIRED, 4L, AFTER);
    assertEquals(KeyState.Retired, o.state());
    assertEquals(Reason.DisableRefusedPartitions, o.reason());
    o = Disabling.decide(KeyState.Retired, true, "r", RETIRED, 0L, RETIRED.minusSeconds(1));
    assertEquals(Reason.DisableRefusedNoInventory, o.reason());
    o = Disabling.decide(KeyState.Retired, true, "r", RETIRED, null, null);
    assertEquals(Reason.DisableRefusedNoInventory, o.reason());
  }

  @Test
  void primaryAndStagedAreNeverDisabled() {
    for (KeyState s : new KeyState[] {KeyState.Primary, KeyState.Staged}) {
      var o = Disabling.decide(s, true, "r", null, 0L, AFTER);
      assertEquals(s, o.state());
      assertEquals(Reason.DisableRefusedPrimaryOrStaged, o.reason());
    }
  }

  @Test
  void falseReturnsADisabledKeyToRetiredAndOtherwiseChangesNothing() {
    assertEquals(
        KeyState.Retired,
        Disabling.decide(KeyState.Disabled, false, "r", RETIRED, 0L, AFTER).state());
    var o = Disabling.decide(KeyState.Retired, false, "r", RETIRED, 3L, AFTER);
    assertEquals(KeyState.Retired, o.state());
    assertNull(o.conditionStatus());
    assertEquals(
        KeyState.Disabled,
        Disabling.decide(KeyState.Disabled, true, "r", RETIRED, 0L, AFTER).state());
    assertEquals(
        KeyState.DestroyScheduled,
        Disabling.decide(KeyState.DestroyScheduled, false, "r", RETIRED, 0L, AFTER).state());
  }
}
