package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every key stays Staged for its stagedFor after keyops first listed it in the keyring Secret, so
 * readers learn it before any writer encrypts with it (issue 22, hole 5). The operator runs with
 * its real default (2 minutes) on a clock the test moves.
 */
class StagedForTest {

  static final Duration DEFAULT = Duration.ofMinutes(2);

  MutableClock clock;
  OperatorHarness h;

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.parse("2026-07-01T00:00:00Z"));
    h = new OperatorHarness(Duration.ofMinutes(10), clock, DEFAULT);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void aKeyAppliedWithActivateIsPrimaryNoSoonerThanStagedForAfterItEnteredTheKeyring() {
    EncryptionKey k = Fixtures.managedKey("events-1", "events");
    k.getSpec().setActivate(true);
    h.client().resource(k).create();

    EncryptionKey waiting =
        h.awaitKey(
            "events-1",
            x ->
                x.getStatus().getInKeyringSince() != null
                    && promoted(x, "WaitingForReaders")
                    && Conditions.find(x.getStatus().getConditions(), "Promoted")
                        .orElseThrow()
                        .getMessage()
                        .contains("becomes the Primary at"),
            // inKeyringSince is written once the keyring Secret lists the key; the reconcile that
            // the Secret's change brings then says when the key is promoted.
            "listed in the keyring and waiting for its readers");
    Instant since = Instant.parse(waiting.getStatus().getInKeyringSince());
    assertEquals(KeyState.Staged, waiting.getStatus().getState());
    Condition c = Conditions.find(waiting.getStatus().getConditions(), "Promoted").orElseThrow();
    assertTrue(
        c.getMessage().contains(since.plus(DEFAULT).toString()),
        "the condition says when it is promoted: " + c.getMessage());
    assertTrue(
        Conditions.isTrue(waiting.getStatus().getConditions(), "Reconciling"),
        "kstatus: keyops is still working on the key");
    KeyBundleDocument ring = keyring("events");
    assertEquals(1, ring.keys().size(), "readers learn the key while it is Staged");
    assertEquals("Staged", ring.keys().get(0).state());
    assertNull(ring.primaryKeyId(), "no writer may use it yet");

    // One second short of stagedFor: a reconcile after the clock moved (woken by an annotation)
    // still keeps it Staged.
    clock.advance(DEFAULT.minusSeconds(1));
    double before = h.keyReconciles();
    poke("events-1", "1");
    h.await(h::keyReconciles, n -> n > before, "a reconcile after the poke");
    EncryptionKey early = h.key("events-1");
    assertEquals(KeyState.Staged, early.getStatus().getState());
    assertNull(early.getStatus().getActivatedAt());

    clock.advance(Duration.ofSeconds(1));
    poke("events-1", "2");
    EncryptionKey primary =
        h.awaitKey("events-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
    Instant activated = Instant.parse(primary.getStatus().getActivatedAt());
    assertFalse(
        activated.isBefore(since.plus(DEFAULT)),
        "activated at " + activated + ", in the keyring since " + since);
    h.await(() -> keyring("events").primaryKeyId(), id -> id != null, "keyring with a Primary");
  }

  @Test
  void aNewKeyLeavesThePrimaryInPlaceForItsOwnStagedFor() {
    EncryptionKey first = Fixtures.managedKey("orders-1", "orders");
    first.getSpec().setActivate(true);
    first.getSpec().setStagedFor("0s");
    h.client().resource(first).create();
    h.awaitKey("orders-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");

    EncryptionKey second = Fixtures.managedKey("orders-2", "orders");
    second.getSpec().setActivate(true);
    second.getSpec().setStagedFor("30s");
    h.client().resource(second).create();
    EncryptionKey waiting =
        h.awaitKey(
            "orders-2",
            x -> x.getStatus().getInKeyringSince() != null && promoted(x, "WaitingForReaders"),
            "waiting for its readers");
    Instant since = Instant.parse(waiting.getStatus().getInKeyringSince());
    assertEquals(KeyState.Primary, h.key("orders-1").getStatus().getState());
    assertEquals(2, keyring("orders").keys().size());

    clock.advance(Duration.ofSeconds(30));
    poke("orders-2", "1");
    EncryptionKey promoted =
        h.awaitKey("orders-2", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
    h.awaitKey("orders-1", x -> x.getStatus().getState() == KeyState.Retired, "Retired");
    Instant activated = Instant.parse(promoted.getStatus().getActivatedAt());
    assertFalse(activated.isBefore(since.plusSeconds(30)), "activated at " + activated);
  }

  static boolean promoted(EncryptionKey k, String reason) {
    return Conditions.find(k.getStatus().getConditions(), "Promoted")
        .map(c -> reason.equals(c.getReason()))
        .orElse(false);
  }

  void poke(String key, String value) {
    Patches.annotate(h.client(), "default", key, "test/poke", value);
  }

  KeyBundleDocument keyring(String ring) {
    Secret s =
        h.await(
            () -> h.client().secrets().inNamespace("default").withName(ring + "-keyring").get(),
            x -> x != null,
            "keyring Secret");
    return KeyBundle.parse(
            Base64.getDecoder().decode(s.getData().get("keyring.json")), DataKeyUnwrapper.NONE)
        .document();
  }
}
