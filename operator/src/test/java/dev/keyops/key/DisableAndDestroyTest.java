package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingSpec;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.RetentionPolicy;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Disabled keys, scheduled destruction (with cancellation) and automatic disabling, with an
 * injected clock: the real operator against the mock API server.
 */
class DisableAndDestroyTest {

  MutableClock clock;
  OperatorHarness h;
  final AtomicInteger pokes = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    h = new OperatorHarness(Duration.ofMinutes(10), clock);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  /** k1 Retired by k2 (Primary), both managed, in ring {@code ring}. */
  void retiredAndPrimary(String ring) {
    h.client().resource(Fixtures.managedKey(ring + "-1", ring)).create();
    Patches.activate(h.client(), "default", ring + "-1");
    h.awaitKey(ring + "-1", k -> k.getStatus().getState() == KeyState.Primary, "Primary");
    clock.advance(Duration.ofMinutes(1));
    h.client().resource(Fixtures.managedKey(ring + "-2", ring)).create();
    Patches.activate(h.client(), "default", ring + "-2");
    // Settled: the retired key's own reconcile recorded why (before the test writes its status).
    h.awaitKey(
        ring + "-1",
        k ->
            k.getStatus().getState() == KeyState.Retired && "Retired".equals(reason(k, "Promoted")),
        "Retired");
  }

  void setDisabled(String key, boolean value) {
    h.client()
        .resources(EncryptionKey.class)
        .inNamespace("default")
        .withName(key)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"disabled\":" + value + "}}");
  }

  /** What a completed inventory records (as the ReencryptionJob controller does). */
  void inventory(String key, long count) {
    clock.advance(Duration.ofSeconds(1));
    String at = clock.instant().toString();
    OperatorHarness.await(
        () -> {
          EncryptionKey k = h.key(key);
          PartitionCount p = k.getStatus().getPartitions();
          if (p != null && at.equals(p.getCountedAt())) {
            return true;
          }
          k.getStatus().setPartitions(dev.keyops.testing.Fixtures.inventory(count, at, "inv"));
          try {
            h.client().resource(k).updateStatus();
          } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            // a concurrent status write by the operator: read again and retry
          }
          return false;
        },
        done -> done,
        "inventory of " + key + " recorded");
  }

  void poke(String key) {
    Patches.annotate(
        h.client(), "default", key, "test.keyops.dev/poke", "" + pokes.incrementAndGet());
  }

  List<String> keyringNames(String ring) {
    Secret s = h.client().secrets().inNamespace("default").withName(ring + "-keyring").get();
    return KeyBundle.parse(
            Base64.getDecoder().decode(s.getData().get("keyring.json")), DataKeyUnwrapper.NONE)
        .document()
        .keys()
        .stream()
        .map(e -> e.name())
        .toList();
  }

  Secret material(String key) {
    return h.client().secrets().inNamespace("default").withName("keyops-key-" + key).get();
  }

  static String reason(EncryptionKey k, String type) {
    return Conditions.find(k.getStatus().getConditions(), type)
        .map(c -> c.getReason())
        .orElse(null);
  }

  @Test
  void disabledOnlyWithoutDataThenBackToRetired() {
    retiredAndPrimary("ev");
    // No inventory since retirement: refused.
    setDisabled("ev-1", true);
    h.awaitKey("ev-1", k -> "DisableRefusedNoInventory".equals(reason(k, "Disabled")), "refused");
    assertEquals(KeyState.Retired, h.key("ev-1").getStatus().getState());
    assertTrue(
        h.events("ev-1").stream().anyMatch(e -> "DisableRefusedNoInventory".equals(e.getReason())));
    // Partitions remain: refused.
    inventory("ev-1", 3);
    h.awaitKey("ev-1", k -> "DisableRefusedPartitions".equals(reason(k, "Disabled")), "refused");
    assertTrue(keyringNames("ev").contains("ev-1"));
    // None remain: Disabled, out of the keyring, material kept.
    inventory("ev-1", 0);
    h.awaitKey("ev-1", k -> k.getStatus().getState() == KeyState.Disabled, "Disabled");
    OperatorHarness.await(
        () -> keyringNames("ev"), n -> !n.contains("ev-1"), "ev-1 out of the keyring");
    assertNotNull(material("ev-1"));
    // Back.
    setDisabled("ev-1", false);
    h.awaitKey("ev-1", k -> k.getStatus().getState() == KeyState.Retired, "Retired again");
    OperatorHarness.await(
        () -> keyringNames("ev"), n -> n.contains("ev-1"), "ev-1 back in the keyring");
    // The Primary cannot be disabled.
    setDisabled("ev-2", true);
    h.awaitKey(
        "ev-2", k -> "DisableRefusedPrimaryOrStaged".equals(reason(k, "Disabled")), "refused");
    assertEquals(KeyState.Primary, h.key("ev-2").getStatus().getState());
  }

  void keyRing(String name, RetentionPolicy retention) {
    KeyRing r = new KeyRing();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
    KeyRingSpec spec = new KeyRingSpec();
    spec.setRetention(retention);
    r.setSpec(spec);
    h.client().resource(r).create();
  }

  @Test
  void deletionSchedulesDestructionCancellableThenDestroysAtDestroyTime() {
    RetentionPolicy ret = new RetentionPolicy();
    ret.setDestroyAfter("24h");
    keyRing("pay", ret);
    retiredAndPrimary("pay");
    inventory("pay-1", 0);
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("pay-1").delete();
    EncryptionKey k =
        h.awaitKey(
            "pay-1", x -> x.getStatus().getState() == KeyState.DestroyScheduled, "scheduled");
    assertEquals(
        clock.instant().plus(Duration.ofHours(24)).toString(), k.getStatus().getDestroyTime());
    assertNotNull(material("pay-1"));
    OperatorHarness.await(
        () -> keyringNames("pay"), n -> !n.contains("pay-1"), "out of the keyring");

    // Cancelled: Retired again, back in the keyring, material kept.
    Patches.annotate(h.client(), "default", "pay-1", EncryptionKey.KEEP_ANNOTATION, "true");
    k = h.awaitKey("pay-1", x -> x.getStatus().getState() == KeyState.Retired, "cancelled");
    assertNull(k.getStatus().getDestroyTime());
    OperatorHarness.await(
        () -> keyringNames("pay"), n -> n.contains("pay-1"), "back in the keyring");
    clock.advance(Duration.ofHours(30));
    poke("pay-1");
    h.awaitKey(
        "pay-1", x -> pokes.get() == 1 && x.getStatus().getState() == KeyState.Retired, "kept");
    assertNotNull(material("pay-1"));

    // Scheduled again once the annotation goes; destroyed at destroyTime.
    Patches.annotate(h.client(), "default", "pay-1", EncryptionKey.KEEP_ANNOTATION, "false");
    k = h.awaitKey("pay-1", x -> x.getStatus().getState() == KeyState.DestroyScheduled, "again");
    clock.advance(Duration.ofHours(23));
    poke("pay-1");
    h.awaitKey(
        "pay-1",
        x -> "2".equals(x.getMetadata().getAnnotations().get("test.keyops.dev/poke")),
        "poked");
    assertNotNull(h.key("pay-1"));
    assertNotNull(material("pay-1"));
    clock.advance(Duration.ofHours(2));
    poke("pay-1");
    h.awaitGone("pay-1");
    OperatorHarness.await(() -> material("pay-1"), m -> m == null, "material destroyed");
    assertTrue(h.events("pay-1").stream().anyMatch(e -> "KeyDestroyed".equals(e.getReason())));
  }

  @Test
  void dataFoundWhileScheduledStopsTheDestruction() {
    RetentionPolicy ret = new RetentionPolicy();
    ret.setDestroyAfter("1h");
    keyRing("inv", ret);
    retiredAndPrimary("inv");
    inventory("inv-1", 0);
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("inv-1").delete();
    h.awaitKey("inv-1", x -> x.getStatus().getState() == KeyState.DestroyScheduled, "scheduled");
    inventory("inv-1", 2); // a later inventory finds data on it after all
    clock.advance(Duration.ofHours(2));
    poke("inv-1");
    EncryptionKey k =
        h.awaitKey(
            "inv-1",
            x -> "DropRefusedPartitions".equals(reason(x, Conditions.DROP_BLOCKED)),
            "destruction refused");
    assertEquals(KeyState.Retired, k.getStatus().getState());
    assertNotNull(material("inv-1"));
    OperatorHarness.await(
        () -> keyringNames("inv"), n -> n.contains("inv-1"), "back in the keyring");
  }

  @Test
  void withoutAWaitingPeriodDeletionIsImmediateAsBefore() {
    retiredAndPrimary("now");
    inventory("now-1", 0);
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("now-1").delete();
    h.awaitGone("now-1");
    assertNull(material("now-1"));
  }

  @Test
  void keyRingDisablesRetiredKeysWithoutDataAfterDisableAfter() {
    RetentionPolicy ret = new RetentionPolicy();
    ret.setDisableAfter("1h");
    keyRing("auto", ret);
    retiredAndPrimary("auto");
    inventory("auto-1", 0);
    clock.advance(Duration.ofMinutes(30));
    pokeRing("auto");
    OperatorHarness.await(
        () -> h.key("auto-1"), x -> x.getStatus().getState() == KeyState.Retired, "still Retired");
    assertFalse(h.key("auto-1").getSpec().disableRequested());
    clock.advance(Duration.ofMinutes(31));
    pokeRing("auto");
    h.awaitKey(
        "auto-1", x -> x.getStatus().getState() == KeyState.Disabled, "disabled automatically");
    assertEquals(KeyState.Primary, h.key("auto-2").getStatus().getState());
  }

  void pokeRing(String ring) {
    h.client()
        .resources(KeyRing.class)
        .inNamespace("default")
        .withName(ring)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"test.keyops.dev/poke\":\""
                + pokes.incrementAndGet()
                + "\"}}}");
  }
}
