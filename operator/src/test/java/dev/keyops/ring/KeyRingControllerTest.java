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
import dev.keyops.observability.Conditions;
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
    String next = "orders-20260102-0100";
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
