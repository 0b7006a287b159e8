package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.ClaimSelector;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingSpec;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.LocationCount;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.RingKey;
import dev.keyops.api.v1alpha1.RingStorage;
import dev.keyops.api.v1alpha1.StorageClaim;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Claims;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.ScriptedKubelet;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Inventories are recorded per scanned location, with the scan's start, and the drop guard needs a
 * fresh scan of every location the ring has data on (issue 22, holes 1 to 3). Worker results are
 * scripted; the operator runs with a 2-minute propagation margin on a clock the test moves.
 */
class InventoryLocationsTest {

  static final Duration MARGIN = Duration.ofMinutes(2);

  MutableClock clock;
  OperatorHarness h;
  ScriptedKubelet kubelet;
  String oldId;
  String newId;
  int runs;

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(Instant.parse("2026-08-01T00:00:00Z"));
    h = new OperatorHarness(Duration.ofMinutes(10), clock, Duration.ZERO, MARGIN);
    kubelet = new ScriptedKubelet(h.client());
    Claims.bound(h.client(), "default", "data-0");
    Claims.bound(h.client(), "default", "data-1");
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  EncryptionKey primary(String name) {
    EncryptionKey k = Fixtures.managedKey(name, "events");
    k.getSpec().setActivate(true);
    h.client().resource(k).create();
    return h.awaitKey(name, x -> x.getStatus().getState() == KeyState.Primary, "Primary");
  }

  /** Runs a dry-run ReencryptionJob over one claim whose one shard reports {@code result}. */
  ReencryptionJob scan(String claim, String result) {
    String name = "scan-" + (++runs);
    ReencryptionJob r = Fixtures.reencryptionJob("default", name, "events", claim, null);
    r.getSpec().setDryRun(true);
    h.client().resource(r).create();
    var jobs = h.client().resources(ReencryptionJob.class).inNamespace("default");
    ReencryptionJob started =
        h.await(
            () -> jobs.withName(name).get(),
            j -> j.getStatus() != null && j.getStatus().getJobName() != null,
            name + " to launch its Job");
    h.await(
        () ->
            h.client()
                .batch()
                .v1()
                .jobs()
                .inNamespace("default")
                .withName(started.getStatus().getJobName())
                .get(),
        j -> j != null,
        "the Job");
    kubelet.complete(started.getStatus().getJobName(), List.of(result));
    return h.await(
        () -> jobs.withName(name).get(),
        j -> Conditions.isTrue(j.getStatus().getConditions(), RunObserver.INVENTORY_RECORDED),
        name + " to record its inventory");
  }

  /** A worker result for one claim: partitions on the old key, unreadable files. */
  String result(String claim, Instant startedAt, long onOld, long unreadable) {
    String samples =
        unreadable == 0
            ? "[]"
            : "[{\"path\":\"" + claim + "/p9\",\"error\":\"Permission denied\"}]";
    String byKey = onOld == 0 ? "{}" : "{\"" + oldId + "\":" + onOld + "}";
    return """
        {"format":1,"shard":"0/1","mode":"reencrypt","dryRun":true,"targetKeyId":"%s",\
        "total":%d,"pending":%d,"byKeyBefore":%s,"byKeyAfter":%s,"startedAt":"%s",\
        "unreadable":%d,"unreadableSamples":%s,"locations":[{"name":"%s","total":%d,\
        "byKeyBefore":%s,"byKeyAfter":%s,"unreadable":%d,"foreign":0,"unencrypted":0}]}"""
        .formatted(
            newId,
            onOld,
            onOld,
            byKey,
            byKey,
            startedAt,
            unreadable,
            samples,
            claim,
            onOld,
            byKey,
            byKey,
            unreadable);
  }

  String blocked(String key) {
    return h
        .awaitKey(
            key,
            k -> Conditions.isTrue(k.getStatus().getConditions(), Conditions.DROP_BLOCKED),
            "the drop to be refused")
        .getStatus()
        .getConditions()
        .stream()
        .filter(c -> c.getType().equals(Conditions.DROP_BLOCKED))
        .findFirst()
        .map(c -> c.getReason() + ": " + c.getMessage())
        .orElseThrow();
  }

  String blockedWith(String key, String reasonAndText) {
    return h.await(
        () -> blocked(key), m -> m.contains(reasonAndText), "DropBlocked with " + reasonAndText);
  }

  /** Launches a dry-run ReencryptionJob over one claim; returns its Job's name. */
  String launch(String claim) {
    String name = "scan-" + (++runs);
    ReencryptionJob r = Fixtures.reencryptionJob("default", name, "events", claim, null);
    r.getSpec().setDryRun(true);
    h.client().resource(r).create();
    return h.await(
            () ->
                h.client()
                    .resources(ReencryptionJob.class)
                    .inNamespace("default")
                    .withName(name)
                    .get(),
            j -> j.getStatus() != null && j.getStatus().getJobName() != null,
            name + " to launch its Job")
        .getStatus()
        .getJobName();
  }

  @Test
  void aJobWhoseEndArrivesBeforeItsPodsResultsWaitsForThemAndThenForAtMostTheGrace() {
    oldId = primary("events-1").getStatus().getKeyId();
    newId = primary("events-2").getStatus().getKeyId();
    var jobs = h.client().resources(ReencryptionJob.class).inNamespace("default");

    // The Job controller's Complete reaches the operator before the pods do (two watches).
    String first = launch("data-0");
    kubelet.markComplete(first);
    kubelet.finishPods(first, List.of(result("data-0", clock.instant(), 0, 0)));
    ReencryptionJob ok =
        h.await(
            () -> jobs.withName("scan-1").get(),
            j -> j.getStatus().getPhase() == JobPhase.Succeeded,
            "scan-1 Succeeded once its pod's result arrived");
    assertTrue(Conditions.isTrue(ok.getStatus().getConditions(), RunObserver.INVENTORY_RECORDED));

    // A Job that ended and whose result never comes: failed after the grace, saying why.
    String second = launch("data-1");
    kubelet.markComplete(second);
    // The grace counts from when the operator first saw the end, on its clock: move it on while
    // waiting, whenever that was.
    ReencryptionJob failed =
        h.await(
            () -> {
              clock.advance(Duration.ofSeconds(10));
              return jobs.withName("scan-2").get();
            },
            j -> j.getStatus().getPhase() == JobPhase.Failed,
            "scan-2 Failed after the grace");
    String why =
        Conditions.find(failed.getStatus().getConditions(), Conditions.FAILED)
            .orElseThrow()
            .getMessage();
    assertTrue(why.contains("1 of 1 shard(s) left no result"), why);
  }

  @Test
  void aDryRunOverOneClaimDoesNotLetGoAKeyUsedOnTheOther() {
    oldId = primary("events-1").getStatus().getKeyId();
    newId = primary("events-2").getStatus().getKeyId();
    EncryptionKey retired =
        h.awaitKey("events-1", k -> k.getStatus().getState() == KeyState.Retired, "Retired");
    Instant retiredAt = Instant.parse(retired.getStatus().getRetiredAt());

    clock.advance(MARGIN.plusMinutes(1));
    Instant fresh = clock.instant();
    scan("data-1", result("data-1", fresh, 4, 0));
    scan("data-0", result("data-0", fresh, 0, 0)); // today's code wrote 0 on every key here

    EncryptionKey k = h.key("events-1");
    assertEquals(4L, location(k, "data-1").getCount());
    assertEquals(0L, location(k, "data-0").getCount());
    assertEquals(fresh.toString(), location(k, "data-0").getScanStartedAt());

    h.client().resource(h.key("events-1")).delete();
    String why = blockedWith("events-1", "DropRefusedPartitions");
    assertTrue(why.contains("data-1: 4"), why);

    // Rebuilt, but the scan started inside the margin after the retirement: not enough.
    scan("data-1", result("data-1", retiredAt.plus(MARGIN).minusSeconds(1), 0, 0));
    why = blockedWith("events-1", "DropRefusedNoInventory");
    assertTrue(why.contains("data-1"), why);

    // A fresh scan finds a file it cannot read: that blocks too, and names it.
    clock.advance(Duration.ofMinutes(1));
    scan("data-1", result("data-1", clock.instant(), 0, 1));
    why = blockedWith("events-1", "DropRefusedUnreadable");
    assertTrue(why.contains("data-1/p9 (Permission denied)"), why);
    LocationCount l = location(h.key("events-1"), "data-1");
    assertEquals(1L, l.getUnreadable());
    assertEquals("data-1/p9", l.getUnreadableSamples().get(0).getPath());

    scan("data-1", result("data-1", clock.instant(), 0, 0));
    h.awaitGone("events-1");
  }

  @Test
  void aScanThatStartedBeforeTheRetirementDoesNotCount() {
    oldId = primary("events-1").getStatus().getKeyId();
    Instant before = clock.instant();
    clock.advance(Duration.ofSeconds(10));
    newId = primary("events-2").getStatus().getKeyId();
    h.awaitKey("events-1", k -> k.getStatus().getState() == KeyState.Retired, "Retired");
    clock.advance(MARGIN.plusMinutes(5));
    // The run completes long after the retirement, but its worker listed the files before it.
    ReencryptionJob done = scan("data-0", result("data-0", before, 0, 0));
    assertNotNull(done.getStatus().getCompletedAt());
    h.client().resource(h.key("events-1")).delete();
    String why = blockedWith("events-1", "DropRefusedNoInventory");
    assertTrue(why.contains("data-0"), why);
  }

  /** A KeyRing that declares where the ring's data is, and nothing else. */
  void keyRing(RingStorage storage) {
    KeyRing ring = new KeyRing();
    ring.setMetadata(new ObjectMetaBuilder().withName("events").withNamespace("default").build());
    KeyRingSpec spec = new KeyRingSpec();
    spec.setStorage(storage);
    ring.setSpec(spec);
    h.client().resource(ring).create();
  }

  KeyRing awaitRing(java.util.function.Predicate<KeyRing> until, String what) {
    return h.await(
        () -> h.client().resources(KeyRing.class).inNamespace("default").withName("events").get(),
        r -> r != null && r.getStatus() != null && until.test(r),
        "KeyRing events " + what);
  }

  static RingKey ringKey(KeyRing r, String name) {
    return r.getStatus().getKeys().stream()
        .filter(k -> k.getName().equals(name))
        .findFirst()
        .orElse(new RingKey());
  }

  void labelledClaim(String name) {
    h.client()
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("default")
                .addToLabels("app", "db")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withNewResources()
                .addToRequests("storage", new Quantity("1Gi"))
                .endResources()
                .endSpec()
                .build())
        .create();
    Claims.bound(h.client(), "default", name);
  }

  /** Retires events-1 and moves the clock past the margin; returns the fresh scan start. */
  Instant retireTheOldKey() {
    oldId = primary("events-1").getStatus().getKeyId();
    newId = primary("events-2").getStatus().getKeyId();
    h.awaitKey("events-1", k -> k.getStatus().getState() == KeyState.Retired, "Retired");
    clock.advance(MARGIN.plusMinutes(1));
    return clock.instant();
  }

  @Test
  void everyClaimTheKeyRingDeclaresNeedsAFreshScanBeforeARetiredKeyGoes() {
    RingStorage storage = new RingStorage();
    storage.setClaims(
        List.of(new StorageClaim("data-0", null), new StorageClaim("data-1", "parts")));
    keyRing(storage);
    Instant fresh = retireTheOldKey();
    awaitRing(
        r -> List.of("data-0", "data-1/parts").equals(r.getStatus().getDeclaredLocations()),
        "declaring both claims");

    // Only one claim scanned: no job ever looked at data-1/parts, yet the KeyRing declares it.
    scan("data-0", result("data-0", fresh, 0, 0));
    KeyRing ring =
        awaitRing(r -> Boolean.FALSE.equals(ringKey(r, "events-1").getMayDrop()), "blocking");
    assertTrue(
        ringKey(ring, "events-1").getDropBlocked().contains("data-1/parts"),
        ringKey(ring, "events-1").getDropBlocked());
    h.client().resource(h.key("events-1")).delete();
    String why = blockedWith("events-1", "DropRefusedNoInventory");
    assertTrue(why.contains("data-1/parts"), why);

    ReencryptionJob second =
        Fixtures.reencryptionJob("default", "scan-parts", "events", "data-1", "parts");
    second.getSpec().setDryRun(true);
    runScripted(second, result("data-1/parts", fresh, 0, 0));
    h.awaitGone("events-1");
  }

  @Test
  void aSelectorGuardsEveryMatchingClaimIncludingOneCreatedLater() {
    labelledClaim("db-data-0");
    labelledClaim("db-data-1");
    ClaimSelector selector = new ClaimSelector();
    selector.setMatchLabels(Map.of("app", "db"));
    RingStorage storage = new RingStorage();
    storage.setSelector(selector);
    keyRing(storage);
    Instant fresh = retireTheOldKey();
    scan("db-data-0", result("db-data-0", fresh, 0, 0));
    scan("db-data-1", result("db-data-1", fresh, 0, 0));
    awaitRing(
        r ->
            List.of("db-data-0", "db-data-1").equals(r.getStatus().getDeclaredLocations())
                && Boolean.TRUE.equals(ringKey(r, "events-1").getMayDrop()),
        "letting events-1 go after both replicas' scans");

    // The StatefulSet scales up: its new claim is a location as soon as it exists, and wakes
    // the ring, which no longer lets the key go.
    labelledClaim("db-data-2");
    KeyRing ring =
        awaitRing(
            r ->
                List.of("db-data-0", "db-data-1", "db-data-2")
                        .equals(r.getStatus().getDeclaredLocations())
                    && Boolean.FALSE.equals(ringKey(r, "events-1").getMayDrop()),
            "declaring the new replica's claim");
    assertTrue(ringKey(ring, "events-1").getDropBlocked().contains("db-data-2"));
    h.client().resource(h.key("events-1")).delete();
    String why = blockedWith("events-1", "DropRefusedNoInventory");
    assertTrue(why.contains("db-data-2"), why);
    assertFalse(why.contains("db-data-0"), why);

    scan("db-data-2", result("db-data-2", clock.instant(), 0, 0));
    h.awaitGone("events-1");
  }

  /** Runs a ReencryptionJob whose one shard reports {@code result}, until it recorded it. */
  void runScripted(ReencryptionJob r, String result) {
    String name = r.getMetadata().getName();
    h.client().resource(r).create();
    var jobs = h.client().resources(ReencryptionJob.class).inNamespace("default");
    ReencryptionJob started =
        h.await(
            () -> jobs.withName(name).get(),
            j -> j.getStatus() != null && j.getStatus().getJobName() != null,
            name + " to launch its Job");
    h.await(
        () ->
            h.client()
                .batch()
                .v1()
                .jobs()
                .inNamespace("default")
                .withName(started.getStatus().getJobName())
                .get(),
        j -> j != null,
        "the Job");
    kubelet.complete(started.getStatus().getJobName(), List.of(result));
    h.await(
        () -> jobs.withName(name).get(),
        j -> Conditions.isTrue(j.getStatus().getConditions(), RunObserver.INVENTORY_RECORDED),
        name + " to record its inventory");
  }

  static LocationCount location(EncryptionKey k, String name) {
    return k.getStatus().getPartitions().getLocations().stream()
        .filter(l -> l.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no location " + name + " on " + k.getStatus()));
  }
}
