package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.observability.Reason;
import dev.keyops.testing.Fixtures;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DropGuardTest {

  static final Instant RETIRED = Instant.parse("2026-03-01T00:00:00Z");

  @Test
  void aStagedKeyCanAlwaysBeDropped() {
    assertTrue(DropGuard.decide(KeyState.Staged, "r", null, null, null, false).allowed());
    assertTrue(DropGuard.decide(null, "r", null, 5L, RETIRED, false).allowed());
  }

  @Test
  void aPrimaryKeyIsNeverDroppedEvenWithTheBreakGlassAnnotation() {
    var d = DropGuard.decide(KeyState.Primary, "orders", null, 0L, RETIRED, true);
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedPrimary, d.reason());
    assertTrue(d.message().contains("activate a new key"));
  }

  @Test
  void aRetiredKeyWithoutInventoryIsKept() {
    var d = DropGuard.decide(KeyState.Retired, "orders", RETIRED, null, null, false);
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedNoInventory, d.reason());
    assertTrue(d.message().contains("ReencryptionJob"));
  }

  @Test
  void anInventoryOlderThanTheRetirementDoesNotCount() {
    var d =
        DropGuard.decide(KeyState.Retired, "orders", RETIRED, 0L, RETIRED.minusSeconds(1), false);
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedNoInventory, d.reason());
  }

  @Test
  void aRetiredKeyWithPartitionsIsKeptAndTheCountIsShown() {
    var d =
        DropGuard.decide(KeyState.Retired, "orders", RETIRED, 12L, RETIRED.plusSeconds(60), false);
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedPartitions, d.reason());
    assertTrue(d.message().startsWith("12 partition(s)"));
  }

  @Test
  void aRetiredKeyWithNoPartitionsAfterRetirementCanBeDropped() {
    var d =
        DropGuard.decide(KeyState.Retired, "orders", RETIRED, 0L, RETIRED.plusSeconds(60), false);
    assertTrue(d.allowed());
    assertEquals(Reason.DropAllowed, d.reason());
  }

  @Test
  void theBreakGlassAnnotationDropsARetiredKeyWithPartitions() {
    var d =
        DropGuard.decide(KeyState.Retired, "orders", RETIRED, 12L, RETIRED.plusSeconds(60), true);
    assertTrue(d.allowed());
    assertEquals(Reason.DropWithDataLoss, d.reason());
  }

  @Test
  void aKeyIsJudgedFromItsStatusAndTheBreakGlassAnnotation() {
    EncryptionKey k = Fixtures.managedKey("orders-1", "orders");
    k.setStatus(new EncryptionKeyStatus());
    k.getStatus().setState(KeyState.Retired);
    k.getStatus().setRetiredAt(RETIRED.toString());
    assertEquals(Reason.DropRefusedNoInventory, DropGuard.decide(k).reason());
    k.getStatus().setPartitions(new PartitionCount(2, RETIRED.plusSeconds(1).toString(), "count"));
    assertEquals(Reason.DropRefusedPartitions, DropGuard.decide(k).reason());
    k.getStatus().setPartitions(new PartitionCount(0, RETIRED.minusSeconds(1).toString(), "old"));
    assertEquals(Reason.DropRefusedNoInventory, DropGuard.decide(k).reason());
    k.getStatus().setPartitions(new PartitionCount(0, RETIRED.plusSeconds(1).toString(), "count"));
    assertEquals(Reason.DropAllowed, DropGuard.decide(k).reason());
    k.getStatus().setPartitions(new PartitionCount(2, RETIRED.plusSeconds(1).toString(), "count"));
    k.getMetadata().setAnnotations(Map.of(EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION, "true"));
    assertEquals(Reason.DropWithDataLoss, DropGuard.decide(k).reason());
    // A key the operator has not reconciled yet is Staged: it never encrypted anything.
    k.setStatus(null);
    assertTrue(DropGuard.decide(k).allowed());
  }
}
