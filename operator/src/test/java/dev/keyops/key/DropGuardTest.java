package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.LocationCount;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.UnreadableFile;
import dev.keyops.reencryption.Locations;
import dev.keyops.status.Reason;
import dev.keyops.testing.Fixtures;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class DropGuardTest {

  static final Instant RETIRED = Instant.parse("2026-03-01T00:00:00Z");
  static final Duration MARGIN = Duration.ofMinutes(2);

  /** The first instant a scan may start and count. */
  static final Instant FRESH = RETIRED.plus(MARGIN);

  static DropGuard.Scan scan(String location, long partitions, Instant started) {
    return new DropGuard.Scan(location, partitions, 0, null, started, started.plusSeconds(30));
  }

  static DropGuard.Decision retired(Set<String> known, DropGuard.Scan... scans) {
    Map<String, DropGuard.Scan> m = new LinkedHashMap<>();
    for (DropGuard.Scan s : scans) {
      m.put(s.location(), s);
    }
    return DropGuard.decide(
        new DropGuard.Input(
            KeyState.Retired, "orders", RETIRED, new TreeSet<>(known), m, MARGIN, false));
  }

  @Test
  void aStagedKeyCanAlwaysBeDropped() {
    var in = new DropGuard.Input(KeyState.Staged, "r", null, Set.of("c"), Map.of(), MARGIN, false);
    assertTrue(DropGuard.decide(in).allowed());
  }

  @Test
  void aPrimaryKeyIsNeverDroppedEvenWithTheBreakGlassAnnotation() {
    var d =
        DropGuard.decide(
            new DropGuard.Input(
                KeyState.Primary,
                "orders",
                null,
                Set.of("c"),
                Map.of("c", scan("c", 0, FRESH)),
                MARGIN,
                true));
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedPrimary, d.reason());
    assertTrue(d.message().contains("activate a new key"));
  }

  @Test
  void aRetiredKeyOfARingNeverScannedIsKept() {
    var d = retired(Set.of());
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedNoInventory, d.reason());
    assertTrue(d.message().contains("ReencryptionJob"));
  }

  @Test
  void aScanThatStartedBeforeTheRetirementDoesNotCountEvenIfItCompletedAfter() {
    var d = retired(Set.of("data"), scan("data", 0, RETIRED.minusSeconds(10)));
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedNoInventory, d.reason());
    assertTrue(d.message().contains("data"), d.message());
  }

  @Test
  void aScanThatStartedInsideThePropagationMarginDoesNotCount() {
    var d = retired(Set.of("data"), scan("data", 0, FRESH.minusSeconds(1)));
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedNoInventory, d.reason());
    assertTrue(retired(Set.of("data"), scan("data", 0, FRESH)).allowed());
  }

  @Test
  void aScanOfOneClaimDoesNotClearAKeyUsedOnAnother() {
    // Data on two claims (one per StatefulSet replica); a fresh dry run covered only one.
    var d =
        retired(
            Set.of("data-0", "data-1"),
            scan("data-0", 0, FRESH.plusSeconds(5)),
            scan("data-1", 4, RETIRED.minusSeconds(3600)));
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedNoInventory, d.reason());
    assertTrue(d.message().contains("data-1"), d.message());
    assertFalse(d.message().contains("data-0 "), d.message());
    var fresh =
        retired(
            Set.of("data-0", "data-1"),
            scan("data-0", 0, FRESH.plusSeconds(5)),
            scan("data-1", 4, FRESH.plusSeconds(5)));
    assertEquals(Reason.DropRefusedPartitions, fresh.reason());
    assertTrue(fresh.message().startsWith("4 partition(s)"), fresh.message());
    assertTrue(fresh.message().contains("data-1: 4"), fresh.message());
    var clear =
        retired(
            Set.of("data-0", "data-1"),
            scan("data-0", 0, FRESH.plusSeconds(5)),
            scan("data-1", 0, FRESH.plusSeconds(9)));
    assertTrue(clear.allowed());
    assertEquals(FRESH.plusSeconds(39), clear.clearedAt(), "the last clearing scan's end");
  }

  @Test
  void anEmptySubPathDoesNotClearTheClaimsOtherData() {
    var d =
        retired(
            Set.of("data/events", "data/empty"),
            scan("data/empty", 0, FRESH.plusSeconds(5)),
            scan("data/events", 3, RETIRED.minusSeconds(60)));
    assertFalse(d.allowed());
    // A scan of the whole claim covers its subPaths.
    assertTrue(
        retired(
                Set.of("data/events", "data/empty"),
                scan("data/events", 3, RETIRED.minusSeconds(60)),
                scan("data", 0, FRESH.plusSeconds(5)))
            .allowed());
  }

  @Test
  void aScanOfSomeFilesDoesNotClearTheOthers() {
    String selection = new Locations.Entry("data", "events", List.of("*.bin"), null).name();
    assertEquals("data/events#include:*.bin;exclude:", selection);
    // A dry run that looked at *.bin only found nothing: the other files were not looked at.
    assertFalse(retired(Set.of("data/events"), scan(selection, 0, FRESH.plusSeconds(5))).allowed());
    // A scan of every file covers a declared selection of them; the same selection covers itself.
    assertTrue(retired(Set.of(selection), scan("data/events", 0, FRESH.plusSeconds(5))).allowed());
    assertTrue(retired(Set.of(selection), scan(selection, 0, FRESH.plusSeconds(5))).allowed());
  }

  @Test
  void anUnreadableFileBlocksTheDropAndIsNamed() {
    var withUnreadable =
        new DropGuard.Scan(
            "data", 0, 2, "p17 (Permission denied)", FRESH.plusSeconds(1), FRESH.plusSeconds(20));
    var d = retired(Set.of("data"), withUnreadable);
    assertFalse(d.allowed());
    assertEquals(Reason.DropRefusedUnreadable, d.reason());
    assertTrue(d.message().contains("data: 2 unreadable file(s)"), d.message());
    assertTrue(d.message().contains("p17 (Permission denied)"), d.message());
  }

  @Test
  void theBreakGlassAnnotationDropsARetiredKeyWithPartitions() {
    var d =
        DropGuard.decide(
            new DropGuard.Input(
                KeyState.Retired,
                "orders",
                RETIRED,
                Set.of("data"),
                Map.of("data", scan("data", 12, FRESH)),
                MARGIN,
                true));
    assertTrue(d.allowed());
    assertEquals(Reason.DropWithDataLoss, d.reason());
    assertNull(d.clearedAt());
  }

  static EncryptionKey retiredKey(String name, LocationCount... locations) {
    EncryptionKey k = Fixtures.managedKey(name, "orders");
    k.setStatus(new EncryptionKeyStatus());
    k.getStatus().setState(KeyState.Retired);
    k.getStatus().setRetiredAt(RETIRED.toString());
    if (locations.length > 0) {
      PartitionCount p = new PartitionCount(0, FRESH.toString(), "job");
      p.setLocations(List.of(locations));
      k.getStatus().setPartitions(p);
    }
    return k;
  }

  static LocationCount location(String name, long count, long unreadable, Instant started) {
    return new LocationCount(
        name,
        count,
        unreadable,
        unreadable == 0 ? null : List.of(new UnreadableFile("x/p1", "Permission denied")),
        started.toString(),
        started.plusSeconds(10).toString(),
        "job");
  }

  @Test
  void theRingsKnownLocationsComeFromEveryKeyAndTheKeyRingsDeclaration() {
    EncryptionKey old = retiredKey("orders-1", location("data-0", 0, 0, FRESH));
    EncryptionKey other = retiredKey("orders-2", location("data-1", 5, 0, FRESH));
    List<EncryptionKey> ring = List.of(old, other);
    var in = DropGuard.input(old, ring, Set.of(), MARGIN);
    assertEquals(Set.of("data-0", "data-1"), in.knownLocations());
    assertEquals(Reason.DropRefusedNoInventory, DropGuard.decide(in).reason());
    assertEquals(
        Set.of("data-0", "data-1", "data-2"),
        DropGuard.input(old, ring, Set.of("data-2"), MARGIN).knownLocations());
    // A legacy total without locations does not count any more.
    EncryptionKey legacy = retiredKey("orders-3");
    legacy.getStatus().setPartitions(new PartitionCount(0, FRESH.toString(), "old"));
    assertEquals(
        Reason.DropRefusedNoInventory,
        DropGuard.decide(DropGuard.input(legacy, List.of(legacy), Set.of(), MARGIN)).reason());
    legacy.getMetadata().setAnnotations(Map.of(EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION, "true"));
    assertEquals(
        Reason.DropWithDataLoss,
        DropGuard.decide(DropGuard.input(legacy, List.of(legacy), Set.of(), MARGIN)).reason());
  }
}
