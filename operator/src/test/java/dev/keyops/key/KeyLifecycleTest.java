package dev.keyops.key;

import static dev.keyops.api.v1alpha1.KeyState.Primary;
import static dev.keyops.api.v1alpha1.KeyState.Retired;
import static dev.keyops.api.v1alpha1.KeyState.Staged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.key.KeyLifecycle.KeyView;
import dev.keyops.key.KeyLifecycle.Planned;
import dev.keyops.key.KeyLifecycle.Transition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyLifecycleTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

  static KeyView key(
      String name,
      int createdDay,
      KeyState state,
      boolean activate,
      boolean ready,
      Integer eligibleDay) {
    return new KeyView(
        name,
        T0.plusSeconds(86400L * createdDay),
        state,
        activate,
        ready,
        eligibleDay == null ? null : T0.plusSeconds(86400L * eligibleDay),
        state == Primary || state == Retired
            ? T0.plusSeconds(86400L * (eligibleDay == null ? createdDay : eligibleDay))
            : null,
        state == Retired ? T0.plusSeconds(86400L * 100) : null,
        false,
        T0);
  }

  static Map<String, Planned> plan(KeyView... keys) {
    return KeyLifecycle.plan(List.of(keys), NOW);
  }

  @Test
  void aNewKeyStartsStaged() {
    Planned p = plan(key("a", 1, null, false, true, null)).get("a");
    assertEquals(Staged, p.state());
    assertEquals(Transition.NONE, p.transition());
    assertNull(p.eligibleAt());
  }

  @Test
  void anActivatedReadyKeyBecomesPrimaryAndRecordsWhen() {
    Planned p = plan(key("a", 1, Staged, true, true, null)).get("a");
    assertEquals(Primary, p.state());
    assertEquals(Transition.PROMOTED, p.transition());
    assertEquals(NOW, p.eligibleAt());
    assertEquals(NOW, p.activatedAt());
  }

  @Test
  void activationOfAKeyThatIsNotReadyIsRefused() {
    Planned p = plan(key("a", 1, Staged, true, false, null)).get("a");
    assertEquals(Staged, p.state());
    assertTrue(p.activationRefused());
    assertNull(p.eligibleAt());
  }

  @Test
  void aStagedKeyWithoutActivateStaysStaged() {
    var out = plan(key("p", 1, Primary, true, true, 1), key("s", 2, Staged, false, true, null));
    assertEquals(Staged, out.get("s").state());
    assertEquals(Primary, out.get("p").state());
  }

  @Test
  void promotingANewKeyRetiresTheCurrentPrimary() {
    var out = plan(key("old", 1, Primary, true, true, 1), key("new", 2, Staged, true, true, null));
    assertEquals(Primary, out.get("new").state());
    assertEquals(Retired, out.get("old").state());
    assertEquals(Transition.RETIRED, out.get("old").transition());
    assertEquals(NOW, out.get("old").retiredAt());
  }

  @Test
  void aRetiredKeyNeverReturnsEvenIfItIsTheOnlyActivatedKey() {
    var out = plan(key("r", 5, Retired, true, true, 5), key("s", 1, Staged, false, true, null));
    assertEquals(Retired, out.get("r").state());
    assertEquals(Staged, out.get("s").state());
  }

  @Test
  void aPrimaryThatLosesReadyStaysPrimary() {
    Planned p = plan(key("p", 1, Primary, true, false, 1)).get("p");
    assertEquals(Primary, p.state());
    assertEquals(Transition.NONE, p.transition());
    assertFalse(p.activationRefused());
  }

  @Test
  void keysActivatedTogetherPromoteTheNewestByCreationThenName() {
    var out =
        plan(
            key("b", 3, Staged, true, true, null),
            key("a", 3, Staged, true, true, null),
            key("c", 2, Staged, true, true, null));
    assertEquals(Primary, out.get("b").state(), "same creation time: the greater name wins");
    assertEquals(Retired, out.get("a").state());
    assertEquals(Retired, out.get("c").state());
    assertEquals(1, out.values().stream().filter(p -> p.state() == Primary).count());
  }

  @Test
  void promotionFollowsTheOrderInWhichKeysBecameEligible() {
    // "late" was created later but became eligible earlier than "early-created".
    var out =
        plan(
            key("late", 9, Primary, true, true, 5),
            key("early-created", 1, Staged, true, true, null));
    assertEquals(Primary, out.get("early-created").state(), "eligible now, after late's promotion");
    assertEquals(Retired, out.get("late").state());
  }

  @Test
  void twoPrimariesAfterARestartBetweenWritesAreResolvedToTheNewest() {
    var out = plan(key("old", 1, Primary, true, true, 1), key("new", 2, Primary, true, true, 50));
    assertEquals(Primary, out.get("new").state());
    assertEquals(Retired, out.get("old").state());
  }

  @Test
  void aLoserWhoseRetirementWasNotWrittenIsRetiredOnRestart() {
    // "b" was stamped eligible but lost to "a"; the operator stopped before writing b's Retired.
    var out = plan(key("a", 2, Primary, true, true, 10), key("b", 1, Staged, true, true, 10));
    assertEquals(Primary, out.get("a").state());
    assertEquals(Retired, out.get("b").state());
  }

  @Test
  void aPrimaryDeletedOutOfBandLeavesNoPrimaryAndRetiredKeysStayRetired() {
    var out = plan(key("r1", 1, Retired, true, true, 1), key("s", 3, Staged, false, true, null));
    assertEquals(0, out.values().stream().filter(p -> p.state() == Primary).count());
    // Activating the staged key then restores a Primary.
    out = plan(key("r1", 1, Retired, true, true, 1), key("s", 3, Staged, true, true, null));
    assertEquals(Primary, out.get("s").state());
  }

  @Test
  void aKeyBeingDroppedIsNeverPromoted() {
    KeyView deleting = new KeyView("d", T0, Staged, true, true, null, null, null, true, T0);
    assertEquals(Staged, KeyLifecycle.plan(List.of(deleting), NOW).get("d").state());
  }

  @Test
  void manyConcurrentActivationsAlwaysYieldExactlyOnePrimary() {
    java.util.Random r = new java.util.Random(3);
    for (int round = 0; round < 500; round++) {
      List<KeyView> keys = new ArrayList<>();
      int n = 1 + r.nextInt(6);
      for (int i = 0; i < n; i++) {
        KeyState s =
            switch (r.nextInt(4)) {
              case 0 -> Primary;
              case 1 -> Retired;
              default -> Staged;
            };
        keys.add(
            key(
                "k" + i,
                r.nextInt(5),
                s,
                r.nextBoolean() || s != Staged,
                r.nextInt(5) > 0,
                s == Staged ? null : r.nextInt(60)));
      }
      var out = KeyLifecycle.plan(keys, NOW);
      long primaries = out.values().stream().filter(p -> p.state() == Primary).count();
      boolean anyCandidate =
          keys.stream()
              .anyMatch(
                  k -> k.state() == Primary || (k.state() == Staged && k.activate() && k.ready()));
      assertEquals(anyCandidate ? 1 : 0, primaries, "round " + round + ": " + keys);
      for (KeyView k : keys) {
        if (k.state() == Retired) {
          assertEquals(Retired, out.get(k.name()).state(), "a Retired key came back");
        }
      }
      // The plan is a fixed point: applying it again changes nothing.
      List<KeyView> applied = new ArrayList<>();
      for (KeyView k : keys) {
        Planned p = out.get(k.name());
        applied.add(
            new KeyView(
                k.name(),
                k.createdAt(),
                p.state(),
                k.activate(),
                k.ready(),
                p.eligibleAt(),
                p.activatedAt(),
                p.retiredAt(),
                false,
                k.promotableAt()));
      }
      KeyLifecycle.plan(applied, NOW.plusSeconds(60))
          .values()
          .forEach(p -> assertEquals(Transition.NONE, p.transition(), "not stable: " + p));
    }
  }

  static KeyView activated(String name, Instant promotableAt) {
    return new KeyView(name, T0, Staged, true, true, null, null, null, false, promotableAt);
  }

  @Test
  void anActivatedKeyWaitsUntilItHasBeenInTheKeyringForItsStagedFor() {
    Instant at = NOW.plusSeconds(120);
    Planned waiting = KeyLifecycle.plan(List.of(activated("n", at)), NOW).get("n");
    assertEquals(Staged, waiting.state());
    assertEquals(at, waiting.stagedUntil());
    assertTrue(waiting.waitingForReaders());
    assertNull(waiting.eligibleAt(), "not eligible while readers may not know it");

    Planned oneSecondShort =
        KeyLifecycle.plan(List.of(activated("n", at)), at.minusSeconds(1)).get("n");
    assertEquals(Staged, oneSecondShort.state());

    Planned promoted = KeyLifecycle.plan(List.of(activated("n", at)), at).get("n");
    assertEquals(Primary, promoted.state());
    assertEquals(at, promoted.activatedAt());
    assertFalse(promoted.waitingForReaders());
  }

  @Test
  void aKeyNotYetInTheKeyringIsNeverPromoted() {
    Planned p = KeyLifecycle.plan(List.of(activated("n", null)), NOW).get("n");
    assertEquals(Staged, p.state());
    assertTrue(p.waitingForKeyring());
    assertNull(p.stagedUntil());
  }

  @Test
  void aWaitingKeyDoesNotRetireThePrimary() {
    var out =
        KeyLifecycle.plan(
            List.of(key("p", 1, Primary, true, true, 1), activated("n", NOW.plusSeconds(60))), NOW);
    assertEquals(Primary, out.get("p").state());
    assertEquals(Staged, out.get("n").state());
    var later =
        KeyLifecycle.plan(
            List.of(key("p", 1, Primary, true, true, 1), activated("n", NOW.plusSeconds(60))),
            NOW.plusSeconds(60));
    assertEquals(Retired, later.get("p").state());
    assertEquals(Primary, later.get("n").state());
  }
}
