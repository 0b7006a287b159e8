package dev.keyops.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingSpec;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.KeyTemplate;
import dev.keyops.api.v1alpha1.ManagedProvider;
import dev.keyops.api.v1alpha1.PvcStorage;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionPolicy;
import dev.keyops.api.v1alpha1.RekeyMode;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.api.v1alpha1.Storage;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** KeyRing policy end to end, with an injected clock: the real operator on the mock API server. */
class KeyRingControllerTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  MutableClock clock;
  OperatorHarness h;
  final AtomicInteger pokes = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(T0);
    h = new OperatorHarness(Duration.ofMinutes(10), clock);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  static KeyRing ring(String name, RotationPolicy rotation, ReencryptionPolicy reencryption) {
    KeyRing r = new KeyRing();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
    KeyRingSpec spec = new KeyRingSpec();
    spec.setRotation(rotation);
    spec.setReencryption(reencryption);
    r.setSpec(spec);
    return r;
  }

  static RotationPolicy managedEvery(String period) {
    RotationPolicy p = new RotationPolicy();
    p.setPeriod(period);
    KeyTemplate t = new KeyTemplate();
    t.setManaged(new ManagedProvider());
    p.setKeyTemplate(t);
    return p;
  }

  static ReencryptionPolicy rewrapOn(String claim) {
    ReencryptionPolicy p = new ReencryptionPolicy();
    PvcStorage pvc = new PvcStorage();
    pvc.setClaimName(claim);
    Storage s = new Storage();
    s.setPersistentVolumeClaim(pvc);
    p.setStorage(s);
    return p;
  }

  KeyRing getRing(String name) {
    return h.client().resources(KeyRing.class).inNamespace("default").withName(name).get();
  }

  KeyRing awaitRing(String name, java.util.function.Predicate<KeyRing> until, String what) {
    return OperatorHarness.await(
        () -> getRing(name), r -> r != null && r.getStatus() != null && until.test(r), what);
  }

  /** Wakes the KeyRing after the clock moved (a real operator would wake at the due time). */
  void poke(String ring) {
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

  void primaryKey(String name, String ring) {
    h.client().resource(Fixtures.managedKey(name, ring)).create();
    Patches.activate(h.client(), "default", name);
    h.awaitKey(name, k -> k.getStatus().getState() == KeyState.Primary, "to be Primary");
  }

  @Test
  void periodElapsesNewKeyStagedThenPromotedThenReencryptionJobCreated() {
    primaryKey("orders-first", "orders");
    Instant activated = Instant.parse(h.key("orders-first").getStatus().getActivatedAt());
    ReencryptionPolicy policy = rewrapOn("orders-data");
    policy.setBytesPerSecond(52428800L);
    dev.keyops.api.v1alpha1.ParquetOptions parquet = new dev.keyops.api.v1alpha1.ParquetOptions();
    parquet.setEncryptPlaintext(new dev.keyops.api.v1alpha1.ParquetEncryption());
    parquet.getEncryptPlaintext().setColumns(List.of("ssn"));
    policy.setParquet(parquet);
    // A Deny window that is not open during the test (29 February), so the job still runs.
    dev.keyops.api.v1alpha1.RebuildWindow leapDay = new dev.keyops.api.v1alpha1.RebuildWindow();
    leapDay.setKind(dev.keyops.api.v1alpha1.RebuildWindow.Kind.Deny);
    leapDay.setSchedule("30 12 29 2 *");
    leapDay.setDuration("1m");
    policy.setWindows(List.of(leapDay));
    h.client().resource(ring("orders", managedEvery("24h"), policy)).create();

    KeyRing r =
        awaitRing(
            "orders",
            x -> "orders-first".equals(x.getStatus().getPrimary()),
            "the ring to report its Primary");
    assertEquals(
        activated.plus(Duration.ofHours(24)).toString(), r.getStatus().getNextRotationTime());
    assertTrue(Conditions.isTrue(r.getStatus().getConditions(), Conditions.READY));
    assertFalse(Conditions.isTrue(r.getStatus().getConditions(), "RotationDue"));

    // The period elapses: a new key, owned by the ring, Staged.
    clock.advance(Duration.ofHours(25));
    poke("orders");
    String next = "orders-20260102-010000";
    EncryptionKey staged =
        h.awaitKey(
            next,
            k ->
                k.getStatus().getState() == KeyState.Staged
                    && Conditions.isTrue(k.getStatus().getConditions(), Conditions.READY),
            "to be created Staged and Ready");
    assertEquals("KeyRing", staged.getMetadata().getOwnerReferences().get(0).getKind());
    assertEquals("orders", staged.getMetadata().getOwnerReferences().get(0).getName());
    assertFalse(staged.getSpec().activationRequested());
    r = awaitRing("orders", x -> next.equals(x.getStatus().getPendingKey()), "pending key");
    assertEquals(clock.instant().toString(), r.getStatus().getLastRotationTime());
    assertTrue(Conditions.isTrue(r.getStatus().getConditions(), "RotationDue"));
    // kstatus: rotating is work in progress, not the steady state.
    assertTrue(Conditions.isTrue(r.getStatus().getConditions(), "Reconciling"));
    assertFalse(Conditions.isTrue(r.getStatus().getConditions(), Conditions.READY));

    // Not before stagedFor (10m).
    clock.advance(Duration.ofMinutes(5));
    poke("orders");
    awaitRing(
        "orders", x -> pokes.get() == 2 && x.getStatus().getPendingKey() != null, "still pending");
    assertFalse(h.key(next).getSpec().activationRequested());
    assertEquals(KeyState.Primary, h.key("orders-first").getStatus().getState());

    // After stagedFor: activated, promoted; the old Primary retires; a Rewrap job follows.
    clock.advance(Duration.ofMinutes(6));
    poke("orders");
    h.awaitKey(next, k -> k.getStatus().getState() == KeyState.Primary, "to be promoted");
    h.awaitKey("orders-first", k -> k.getStatus().getState() == KeyState.Retired, "to retire");
    ReencryptionJob job =
        OperatorHarness.await(
            () ->
                h.client()
                    .resources(ReencryptionJob.class)
                    .inNamespace("default")
                    .withName(next + "-rebuild")
                    .get(),
            j -> j != null,
            "the ReencryptionJob after the promotion");
    assertEquals(RekeyMode.Rewrap, job.getSpec().getMode());
    assertEquals(next, job.getSpec().getTargetKey());
    assertEquals(
        "orders-data", job.getSpec().getStorage().getPersistentVolumeClaim().getClaimName());
    assertEquals("orders", job.getMetadata().getOwnerReferences().get(0).getName());
    assertEquals(52428800L, job.getSpec().getBytesPerSecond(), "the ring's throttle passes on");
    assertEquals(1, job.getSpec().getWindows().size(), "and so do its windows");
    assertEquals("30 12 29 2 *", job.getSpec().getWindows().get(0).getSchedule());
    assertEquals(
        List.of("ssn"),
        job.getSpec().getParquet().getEncryptPlaintext().getColumns(),
        "and its Parquet options");
    r =
        awaitRing(
            "orders",
            x ->
                next.equals(x.getStatus().getPrimary())
                    && x.getStatus().getPendingKey() == null
                    && Conditions.isTrue(x.getStatus().getConditions(), "ReencryptionPending"),
            "the new Primary recorded, the old key pending a rebuild");
    assertEquals(next + "-rebuild", r.getStatus().getLastReencryptionJob());
    assertTrue(Conditions.isTrue(r.getStatus().getConditions(), Conditions.READY));
    assertFalse(Conditions.find(r.getStatus().getConditions(), "Reconciling").isPresent());
    assertTrue(Conditions.isTrue(r.getStatus().getConditions(), "ReencryptionPending"));
    assertEquals(
        Instant.parse(r.getStatus().getLastRotationTime()).plus(Duration.ofHours(24)).toString(),
        r.getStatus().getNextRotationTime());
    assertEquals(2, r.getStatus().getKeys().size());
  }

  @Test
  void rotateNowByAnnotationOnce() {
    primaryKey("billing-first", "billing");
    h.client().resource(ring("billing", managedEvery("2160h"), null)).create();
    awaitRing("billing", x -> x.getStatus().getPrimary() != null, "primary");
    h.client()
        .resources(KeyRing.class)
        .inNamespace("default")
        .withName("billing")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"keyops.dev/rotate-requested\":\"1\"}}}");
    KeyRing r = awaitRing("billing", x -> x.getStatus().getPendingKey() != null, "a rotation");
    assertNotNull(h.key(r.getStatus().getPendingKey()));
    assertEquals("|1", r.getStatus().getRotationRequestHandled());
    clock.advance(Duration.ofMinutes(2)); // another minute: a second key would get another name
    poke("billing");
    awaitRing("billing", x -> pokes.get() == 1, "poked");
    assertEquals(
        2,
        h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems().size());
  }

  /** Sets the on-demand annotation to {@code value}, as kubectl annotate --overwrite does. */
  void requestRotation(String ring, String value) {
    h.client()
        .resources(KeyRing.class)
        .inNamespace("default")
        .withName(ring)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"keyops.dev/rotate-requested\":\"" + value + "\"}}}");
  }

  /** The on-demand request {@code value} was recorded as handled; returns the ring then. */
  KeyRing awaitHandled(String ring, String value) {
    return awaitRing(
        ring, x -> ("|" + value).equals(x.getStatus().getRotationRequestHandled()), value);
  }

  static RotationPolicy managedEvery(String period, String stagedFor) {
    RotationPolicy p = managedEvery(period);
    p.setStagedFor(stagedFor);
    return p;
  }

  /**
   * Request {@code value} makes a key of its own, not one of {@code seen}, that becomes Primary
   * once the clock has moved {@code stagedFor} on.
   */
  String rotateOnRequest(String ring, String value, Duration stagedFor, List<String> seen) {
    // The new key becomes eligible strictly after the current Primary did (same-instant ties go
    // to the later creation, then the greater name: "r2-first" would win over "r2-2026...").
    clock.advance(Duration.ofMillis(100));
    requestRotation(ring, value);
    KeyRing r = awaitHandled(ring, value);
    // The key this request made, found by the request it carries (with stagedFor 0 it may be
    // Primary already, and the ring's pendingKey cleared, by the time the status is read).
    List<String> made =
        h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems().stream()
            .filter(
                k ->
                    k.getMetadata().getAnnotations() != null
                        && ("|" + value)
                            .equals(
                                k.getMetadata()
                                    .getAnnotations()
                                    .get(KeyRing.ROTATION_REQUEST_ANNOTATION)))
            .filter(k -> k.getSpec().getKeyRing().equals(ring))
            .map(k -> k.getMetadata().getName())
            .toList();
    assertEquals(1, made.size(), "request " + value + " made " + made + ": " + r.getStatus());
    String key = made.get(0);
    assertFalse(seen.contains(key), key + " was made by an earlier request");
    var request = Conditions.find(r.getStatus().getConditions(), "RotationRequest").orElseThrow();
    assertEquals("True", request.getStatus(), request::getMessage);
    EncryptionKey k = h.key(key);
    assertEquals(ring, k.getMetadata().getOwnerReferences().get(0).getName());
    assertEquals(
        "|" + value, k.getMetadata().getAnnotations().get(KeyRing.ROTATION_REQUEST_ANNOTATION));
    clock.advance(stagedFor);
    poke(ring);
    h.awaitKey(key, x -> x.getStatus().getState() == KeyState.Primary, "to be promoted");
    awaitRing(
        ring,
        x -> key.equals(x.getStatus().getPrimary()) && x.getStatus().getPendingKey() == null,
        "the ring to record " + key + " as its Primary");
    seen.add(key);
    return key;
  }

  @Test
  void twoRequestsInOneMinuteEachMakeTheirOwnKeyAndEachBecomesPrimary() {
    primaryKey("r1-first", "r1");
    h.client().resource(ring("r1", managedEvery("1h", "5s"), null)).create();
    awaitRing("r1", x -> "r1-first".equals(x.getStatus().getPrimary()), "primary");
    List<String> seen = new java.util.ArrayList<>(List.of("r1-first"));
    Duration staged = Duration.ofSeconds(6);

    String first = rotateOnRequest("r1", "a", staged, seen);
    clock.advance(Duration.ofSeconds(24)); // 30 s after the first request: the same UTC minute
    String second = rotateOnRequest("r1", "b", staged, seen);

    assertEquals("r1-20260101-000000", first);
    assertEquals("r1-20260101-000030", second);
    assertTrue(clock.instant().isBefore(T0.plus(Duration.ofMinutes(1))), "one minute");
    assertEquals(KeyState.Retired, h.key(first).getStatus().getState());
    assertEquals(2L, getRing("r1").getStatus().getRotations());
    assertEquals(
        3,
        h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems().size());
  }

  @Test
  void threeRequestsInOneSecondEachMakeTheirOwnKeyAndEachBecomesPrimary() {
    primaryKey("r2-first", "r2");
    h.client().resource(ring("r2", managedEvery("1h", "0s"), null)).create();
    awaitRing("r2", x -> "r2-first".equals(x.getStatus().getPrimary()), "primary");
    List<String> seen = new java.util.ArrayList<>(List.of("r2-first"));

    // The clock moves a tenth of a second per promotion (so that the keys become eligible in
    // order): every generated name is asked for in the same second.
    for (String value : List.of("a", "b", "c")) {
      rotateOnRequest("r2", value, Duration.ofMillis(100), seen);
    }
    assertTrue(clock.instant().isBefore(T0.plusSeconds(1)), "one second");

    assertEquals(
        List.of("r2-first", "r2-20260101-000000", "r2-20260101-000000-2", "r2-20260101-000000-3"),
        seen);
    for (String earlier : seen.subList(0, 3)) {
      assertEquals(KeyState.Retired, h.key(earlier).getStatus().getState(), earlier);
    }
    assertEquals(KeyState.Primary, h.key(seen.get(3)).getStatus().getState());
  }

  @Test
  void aRequestDuringARotationUnderWayIsRefusedWithTheReasonAndNothingIsLost() {
    primaryKey("r4-first", "r4");
    h.client().resource(ring("r4", managedEvery("1h", "10m"), null)).create();
    awaitRing("r4", x -> "r4-first".equals(x.getStatus().getPrimary()), "primary");
    requestRotation("r4", "a");
    String pending = awaitHandled("r4", "a").getStatus().getPendingKey();
    assertNotNull(pending);

    requestRotation("r4", "b");
    KeyRing r = awaitHandled("r4", "b");
    var refused = Conditions.find(r.getStatus().getConditions(), "RotationRequest").orElseThrow();
    assertEquals("False", refused.getStatus());
    assertEquals("RotationInProgress", refused.getReason());
    assertTrue(
        refused.getMessage().contains("already under way: key " + pending + " is Staged"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("request again once " + pending + " is Primary"));
    assertEquals(pending, r.getStatus().getPendingKey(), "the rotation under way goes on");
    var event =
        OperatorHarness.await(
            () -> h.events("r4"),
            es -> es.stream().anyMatch(e -> "RotationRequestRefused".equals(e.getReason())),
            "a Warning event");
    assertEquals(
        "Warning",
        event.stream()
            .filter(e -> "RotationRequestRefused".equals(e.getReason()))
            .findFirst()
            .orElseThrow()
            .getType());
    assertEquals(
        2,
        h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems().size(),
        "a refused request makes no key");

    // The rotation under way ends; asked again, keyops acts on it.
    clock.advance(Duration.ofMinutes(11));
    poke("r4");
    h.awaitKey(pending, k -> k.getStatus().getState() == KeyState.Primary, "to be promoted");
    awaitRing("r4", x -> x.getStatus().getPendingKey() == null, "the rotation to end");
    List<String> seen = new java.util.ArrayList<>(List.of("r4-first", pending));
    rotateOnRequest("r4", "c", Duration.ofMinutes(11), seen);
  }

  @Test
  void aKeyWithTheGeneratedNameThatIsNotThisRingsIsNeverAdopted() {
    primaryKey("r3-first", "r3");
    // Someone else's key has the name the next rotation would take first.
    h.client().resource(Fixtures.managedKey("r3-20260101-000000", "other")).create();
    h.client().resource(ring("r3", managedEvery("1h", "5s"), null)).create();
    awaitRing("r3", x -> "r3-first".equals(x.getStatus().getPrimary()), "primary");

    List<String> seen = new java.util.ArrayList<>(List.of("r3-first"));
    String key = rotateOnRequest("r3", "a", Duration.ofSeconds(6), seen);

    assertEquals("r3-20260101-000000-2", key);
    EncryptionKey foreign = h.key("r3-20260101-000000");
    assertEquals("other", foreign.getSpec().getKeyRing());
    assertTrue(foreign.getMetadata().getOwnerReferences().isEmpty(), "not adopted");
    assertFalse(foreign.getSpec().activationRequested(), "not activated");
  }

  @Test
  void ringOfSecretRefKeysCannotRotateByItselfAndSaysSo() {
    RotationPolicy p = new RotationPolicy();
    p.setPeriod("1h");
    h.client().resource(ring("legacy", p, null)).create();
    KeyRing r =
        awaitRing(
            "legacy",
            x -> Conditions.find(x.getStatus().getConditions(), Conditions.READY).isPresent(),
            "a Ready condition");
    var ready = Conditions.find(r.getStatus().getConditions(), Conditions.READY).get();
    assertEquals("False", ready.getStatus());
    assertEquals("NoKeyTemplate", ready.getReason());
    assertEquals(
        "NoKeyTemplate",
        Conditions.find(r.getStatus().getConditions(), "Stalled")
            .filter(c -> "True".equals(c.getStatus()))
            .orElseThrow()
            .getReason());
    clock.advance(Duration.ofHours(2));
    poke("legacy");
    r =
        awaitRing(
            "legacy",
            x -> Conditions.isTrue(x.getStatus().getConditions(), "RotationDue"),
            "a manual rotation due");
    assertEquals(
        "ManualRotationRequired",
        Conditions.find(r.getStatus().getConditions(), "RotationDue").get().getReason());
    assertTrue(
        h.client()
            .resources(EncryptionKey.class)
            .inNamespace("default")
            .list()
            .getItems()
            .isEmpty());
  }
}
