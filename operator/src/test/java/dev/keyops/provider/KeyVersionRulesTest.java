package dev.keyops.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.gcp.KmsGateway.VersionState;
import dev.keyops.provider.KeyVersionRules.Action;
import dev.keyops.provider.KeyVersionRules.Facts;
import dev.keyops.provider.KeyVersionRules.Plan;
import dev.keyops.provider.KeyVersionRules.Risk;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KeyVersionRulesTest {

  static final String KEY =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/orders";
  static final String V1 = KEY + "/cryptoKeyVersions/1";
  static final String V2 = KEY + "/cryptoKeyVersions/2";
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

  static Plan plan(
      String stored, String primary, VersionState primaryState, VersionState storedState) {
    return plan(stored, primary, primaryState, storedState, null);
  }

  static Plan plan(
      String stored,
      String primary,
      VersionState primaryState,
      VersionState storedState,
      Instant destroy) {
    return KeyVersionRules.plan(
        new Facts(stored, primary, primaryState, storedState, destroy), NOW);
  }

  @Test
  void wrappedByThePrimaryNeedsNothing() {
    Plan p = plan(V1, V1, VersionState.ENABLED, null);
    assertEquals(Action.KEEP, p.action());
    assertEquals(Risk.NONE, p.risk());
    assertFalse(KeyVersionRules.needsStoredState(V1, V1));
  }

  @Test
  void aRotatedPrimaryIsFollowedWhileTheOldVersionStillUnwraps() {
    assertTrue(KeyVersionRules.needsStoredState(V1, V2));
    Plan p = plan(V1, V2, VersionState.ENABLED, VersionState.ENABLED);
    assertEquals(Action.REWRAP, p.action());
    assertEquals(Risk.NONE, p.risk());
  }

  @Test
  void noRewrapOntoAPrimaryThatIsNotEnabled() {
    Plan p = plan(V1, V2, VersionState.DISABLED, VersionState.ENABLED);
    assertEquals(Action.KEEP, p.action());
    assertEquals(Risk.NONE, p.risk(), "the data key still unwraps with its own version");
  }

  @Test
  void aDisabledWrappingVersionPutsDataAtRiskAndSaysHowToRecover() {
    Plan p = plan(V1, V2, VersionState.ENABLED, VersionState.DISABLED);
    assertEquals(Action.KEEP, p.action(), "a disabled version cannot unwrap: nothing to re-wrap");
    assertEquals(Risk.AT_RISK, p.risk());
    assertTrue(p.message().contains(V1), p.message());
    assertTrue(p.message().contains("DISABLED"), p.message());
    assertTrue(
        p.message()
            .contains(
                "gcloud kms keys versions enable 1 --key orders --keyring keyops --location europe-west1"
                    + " --project demo-project"),
        p.message());
    assertTrue(p.message().contains("keyops deletes and changes nothing"), p.message());
  }

  @Test
  void aScheduledDestructionTellsTheTimeLeft() {
    Instant destroy = NOW.plus(Duration.ofHours(23).plusMinutes(59));
    Plan p = plan(V1, V2, VersionState.ENABLED, VersionState.DESTROY_SCHEDULED, destroy);
    assertEquals(Risk.AT_RISK, p.risk());
    assertTrue(p.message().contains("at " + destroy + ", in 23h 59m"), p.message());
    assertTrue(p.message().contains("gcloud kms keys versions restore 1"), p.message());
    Plan overdue =
        plan(V1, V2, VersionState.ENABLED, VersionState.DESTROY_SCHEDULED, NOW.minusSeconds(5));
    assertTrue(overdue.message().contains("overdue"), overdue.message());
  }

  @Test
  void theOnlyVersionScheduledForDestructionIsAtRiskToo() {
    Plan p = plan(V1, V1, VersionState.DESTROY_SCHEDULED, null, NOW.plus(Duration.ofDays(2)));
    assertEquals(Risk.AT_RISK, p.risk());
    assertTrue(p.message().contains("in 2d 0h"), p.message());
  }

  @Test
  void aDestroyedVersionCannotBeRestored() {
    Plan p = plan(V1, V2, VersionState.ENABLED, VersionState.DESTROYED);
    assertEquals(Risk.AT_RISK, p.risk());
    assertEquals(Action.KEEP, p.action());
    assertTrue(p.message().contains("cannot restore a destroyed version"), p.message());
  }

  @Test
  void anUnreadableVersionStateIsUnknownAndARewrapIsTried() {
    Plan p = plan(V1, V2, VersionState.ENABLED, null);
    assertEquals(Risk.UNKNOWN, p.risk());
    assertEquals(Action.REWRAP, p.action());
    assertTrue(p.message().contains("roles/cloudkms.viewer"), p.message());
  }

  @Test
  void anUnrecordedVersionIsRecordedByARewrap() {
    assertFalse(KeyVersionRules.needsStoredState(null, V2));
    assertEquals(Action.REWRAP, plan(null, V2, VersionState.ENABLED, null).action());
    assertEquals(Action.REWRAP, plan("", V2, VersionState.ENABLED, null).action());
    assertEquals(Action.KEEP, plan("", V2, VersionState.DISABLED, null).action());
  }

  @Test
  void durationsReadAsPeopleSayThem() {
    assertEquals("30s", KeyVersionRules.human(Duration.ofSeconds(30)));
    assertEquals("42m", KeyVersionRules.human(Duration.ofMinutes(42)));
    assertEquals("5h 10m", KeyVersionRules.human(Duration.ofMinutes(310)));
    assertEquals("3d 4h", KeyVersionRules.human(Duration.ofHours(76)));
  }
}
