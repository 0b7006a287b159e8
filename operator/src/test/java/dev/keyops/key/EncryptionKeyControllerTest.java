package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.provider.Fingerprint;
import dev.keyops.provider.KmsAccessValidator;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The EncryptionKey controller end to end: the real operator against the mock API server. */
class EncryptionKeyControllerTest {

  static final String KMS_KEY =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/payments";

  OperatorHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(2));
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  static boolean ready(EncryptionKey k) {
    return k.getStatus() != null
        && Conditions.isTrue(k.getStatus().getConditions(), Conditions.READY);
  }

  static KeyState state(EncryptionKey k) {
    return k.getStatus() == null ? null : k.getStatus().getState();
  }

  static String reason(EncryptionKey k, String type) {
    if (k.getStatus() == null) {
      return null;
    }
    return Conditions.find(k.getStatus().getConditions(), type)
        .map(c -> c.getReason())
        .orElse(null);
  }

  KeyBundleDocument keyring(String ring) {
    Secret s =
        h.await(
            () -> h.client().secrets().inNamespace("default").withName(ring + "-keyring").get(),
            x -> x != null,
            "keyring Secret " + ring + "-keyring");
    assertEquals("keyops.dev/keyring", s.getType());
    return KeyBundle.parse(
            Base64.getDecoder().decode(s.getData().get("keyring.json")), DataKeyUnwrapper.NONE)
        .document();
  }

  void activate(String name) {
    dev.keyops.testing.Patches.activate(h.client(), "default", name);
  }

  @Test
  void managedKeysRotateWithExactlyOnePrimaryAndTheKeyringFollows() {
    EncryptionKey created = h.client().resource(Fixtures.managedKey("orders-1", "orders")).create();
    EncryptionKey k1 =
        h.awaitKey("orders-1", k -> ready(k) && k.getStatus().getKeyId() != null, "to be Ready");
    assertEquals(KeyState.Staged, state(k1));
    assertEquals(KeyId.fromUid(created.getMetadata().getUid()).hex(), k1.getStatus().getKeyId());
    Secret material =
        h.client().secrets().inNamespace("default").withName("keyops-key-orders-1").get();
    assertEquals(
        Fingerprint.of(Base64.getDecoder().decode(material.getData().get("key"))),
        k1.getStatus().getFingerprint());
    assertEquals("orders-1", material.getMetadata().getOwnerReferences().get(0).getName());
    KeyBundleDocument ring =
        h.await(() -> keyring("orders"), d -> d.keys().size() == 1, "keyring with the staged key");
    assertNull(ring.primaryKeyId(), "a Staged key must not encrypt");
    assertEquals("Staged", ring.keys().get(0).state());

    activate("orders-1");
    k1 = h.awaitKey("orders-1", k -> state(k) == KeyState.Primary, "to become Primary");
    assertNotNull(k1.getStatus().getActivatedAt());
    String k1Id = k1.getStatus().getKeyId();
    h.await(
        () -> keyring("orders"), d -> k1Id.equals(d.primaryKeyId()), "keyring primary = orders-1");

    EncryptionKey second = Fixtures.managedKey("orders-2", "orders");
    second.getSpec().setActivate(true);
    h.client().resource(second).create();
    EncryptionKey k2 =
        h.awaitKey("orders-2", k -> state(k) == KeyState.Primary, "to become Primary");
    k1 = h.awaitKey("orders-1", k -> state(k) == KeyState.Retired, "to be Retired");
    assertNotNull(k1.getStatus().getRetiredAt());
    String k2Id = k2.getStatus().getKeyId();
    KeyBundleDocument after =
        h.await(
            () -> keyring("orders"),
            d -> k2Id.equals(d.primaryKeyId()) && d.keys().size() == 2,
            "keyring rotated");
    assertEquals(
        List.of("Retired", "Primary"),
        after.keys().stream().map(KeyBundleDocument.Entry::state).toList());
    assertTrue(h.events("orders-2").stream().anyMatch(e -> "Promoted".equals(e.getReason())));
    assertTrue(h.events("orders-1").stream().anyMatch(e -> "Retired".equals(e.getReason())));
    assertEquals(
        1,
        h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems().stream()
            .filter(k -> state(k) == KeyState.Primary)
            .count());
    h.awaitScrape(
        "keyops_keys{key_ring=\"orders\",namespace=\"default\",state=\"Primary\"} 1.0",
        "keyops_keys{key_ring=\"orders\",namespace=\"default\",state=\"Retired\"} 1.0");
  }

  @Test
  void theDropGuardKeepsKeysThatDataStillNeeds() {
    EncryptionKey a = Fixtures.managedKey("events-1", "events");
    a.getSpec().setActivate(true);
    h.client().resource(a).create();
    h.awaitKey("events-1", k -> state(k) == KeyState.Primary, "Primary");

    h.client().resources(EncryptionKey.class).inNamespace("default").withName("events-1").delete();
    EncryptionKey blocked =
        h.awaitKey(
            "events-1",
            k -> "DropRefusedPrimary".equals(reason(k, Conditions.DROP_BLOCKED)),
            "drop refused");
    assertNotNull(blocked.getMetadata().getDeletionTimestamp());
    assertTrue(
        h.events("events-1").stream()
            .anyMatch(
                e -> "DropRefusedPrimary".equals(e.getReason()) && "Warning".equals(e.getType())));
    assertNotNull(
        h.client().secrets().inNamespace("default").withName("keyops-key-events-1").get());

    EncryptionKey b = Fixtures.managedKey("events-2", "events");
    b.getSpec().setActivate(true);
    h.client().resource(b).create();
    h.awaitKey("events-2", k -> state(k) == KeyState.Primary, "Primary");
    EncryptionKey retired =
        h.awaitKey(
            "events-1",
            k ->
                state(k) == KeyState.Retired
                    && "DropRefusedNoInventory".equals(reason(k, Conditions.DROP_BLOCKED)),
            "Retired, and its drop refused for lack of an inventory");

    // An inventory that still counts partitions keeps it.
    setPartitions("events-1", 3, Instant.parse(retired.getStatus().getRetiredAt()).plusSeconds(1));
    h.awaitKey(
        "events-1",
        k -> "DropRefusedPartitions".equals(reason(k, Conditions.DROP_BLOCKED)),
        "refused: partitions");
    // A completed inventory with no partition on it releases it.
    setPartitions("events-1", 0, Instant.now().plusSeconds(5));
    h.awaitGone("events-1");
    h.await(
        () -> h.client().secrets().inNamespace("default").withName("keyops-key-events-1").get(),
        s -> s == null,
        "material shredded");
    KeyBundleDocument ring = keyring("events");
    assertEquals(
        List.of("events-2"), ring.keys().stream().map(KeyBundleDocument.Entry::name).toList());
  }

  @Test
  void theBreakGlassAnnotationDropsARetiredKeyAndSaysSo() {
    EncryptionKey a = Fixtures.managedKey("logs-1", "logs");
    a.getSpec().setActivate(true);
    h.client().resource(a).create();
    h.awaitKey("logs-1", k -> state(k) == KeyState.Primary, "Primary");
    EncryptionKey b = Fixtures.managedKey("logs-2", "logs");
    b.getSpec().setActivate(true);
    h.client().resource(b).create();
    h.awaitKey("logs-1", k -> state(k) == KeyState.Retired, "Retired");
    dev.keyops.testing.Patches.annotate(
        h.client(), "default", "logs-1", EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION, "true");
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("logs-1").delete();
    h.awaitGone("logs-1");
    assertTrue(
        h.events("logs-1").stream()
            .anyMatch(
                e -> "DropWithDataLoss".equals(e.getReason()) && "Warning".equals(e.getType())));
  }

  @Test
  void secretRefKeysNameWhatIsWrongAndRecoverWhenFixed() {
    byte[] raw = new byte[32];
    for (int i = 0; i < 32; i++) {
      raw[i] = (byte) (0xf0 + i);
    }
    String good = Base64.getEncoder().encodeToString(raw);
    String urlSafe = Base64.getUrlEncoder().encodeToString(raw);
    h.client().resource(secret("customer-key", urlSafe)).create();
    EncryptionKey k = Fixtures.secretKey("invoices-1", "invoices", "customer-key", "key");
    k.getSpec().setActivate(true);
    h.client().resource(k).create();
    EncryptionKey bad =
        h.awaitKey(
            "invoices-1", x -> "InvalidKeyMaterial".equals(reason(x, Conditions.READY)), "invalid");
    String msg =
        Conditions.find(bad.getStatus().getConditions(), Conditions.READY).get().getMessage();
    assertTrue(msg.contains("URL-safe"), msg);
    assertEquals(KeyState.Staged, state(bad));
    assertEquals("ActivationRefused", reason(bad, "Promoted"));
    h.await(
        () -> h.events("invoices-1"),
        ev -> ev.stream().anyMatch(e -> "ActivationRefused".equals(e.getReason())),
        "ActivationRefused event");

    h.client().resource(secret("customer-key", good)).update();
    EncryptionKey fixed =
        h.awaitKey(
            "invoices-1", x -> state(x) == KeyState.Primary, "Primary once the Secret is fixed");
    assertEquals(Fingerprint.of(raw), fixed.getStatus().getFingerprint());
    KeyBundleDocument ring =
        h.await(() -> keyring("invoices"), d -> d.primaryKeyId() != null, "keyring with the key");
    assertEquals(good, ring.keys().get(0).material());
  }

  /**
   * No periodic recheck exists any more: the key recovers because the watch on the Secret it names
   * wakes it. Repeated failures with one reason aggregate into one Event.
   */
  @Test
  void aKeyWakesWhenTheSecretItNamesAppearsOrChanges() {
    EncryptionKey k = Fixtures.secretKey("late-1", "late", "late-key", "key");
    h.client().resource(k).create();
    h.awaitKey("late-1", x -> "SecretNotFound".equals(reason(x, Conditions.READY)), "not found");
    byte[] raw = new byte[32];
    raw[0] = 7;
    h.client().resource(secret("late-key", Base64.getEncoder().encodeToString(raw))).create();
    h.awaitKey("late-1", EncryptionKeyControllerTest::ready, "Ready once the Secret exists");

    for (int round = 0; round < 2; round++) {
      h.client().resource(secret("late-key", "not base64 at all")).update();
      h.awaitKey(
          "late-1", x -> "InvalidKeyMaterial".equals(reason(x, Conditions.READY)), "invalid");
      h.client().resource(secret("late-key", Base64.getEncoder().encodeToString(raw))).update();
      h.awaitKey("late-1", EncryptionKeyControllerTest::ready, "Ready again");
    }
    var invalid =
        h.events("late-1").stream()
            .filter(e -> "InvalidKeyMaterial".equals(e.getReason()))
            .toList();
    assertEquals(1, invalid.size(), "one aggregated Event per reason: " + invalid);
    assertEquals(2, invalid.get(0).getCount(), "its count says how often");
  }

  /** A spec error is not retried on a timer; the edit that fixes it is checked at once. */
  @Test
  void anInvalidKeyNameWaitsForAnEditAndTheFixIsCheckedAtOnce() throws Exception {
    h.kms.create(KMS_KEY);
    h.client().resource(Fixtures.gcpKey("typo-1", "typo", "projects/x/keyRings/k")).create();
    h.awaitKey("typo-1", x -> "InvalidKeyName".equals(reason(x, Conditions.READY)), "invalid");
    Thread.sleep(1_000); // let the reconciles its creation caused finish
    double before = h.keyReconciles();
    Thread.sleep(5_000); // 2.5 revalidation intervals of this harness
    assertEquals(before, h.keyReconciles(), "an invalid key name was rechecked on a timer");
    h.client()
        .resources(EncryptionKey.class)
        .inNamespace("default")
        .withName("typo-1")
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"provider\":{\"gcpKms\":{\"keyName\":\"" + KMS_KEY + "\"}}}}");
    h.awaitKey("typo-1", EncryptionKeyControllerTest::ready, "Ready once the name is fixed");
  }

  @Test
  void gcpKmsKeysVerifyAccessAndReportRevocationWithoutChangingState() {
    h.kms.create(KMS_KEY);
    EncryptionKey k = Fixtures.gcpKey("payments-1", "payments", KMS_KEY);
    k.getSpec().setActivate(true);
    h.client().resource(k).create();
    EncryptionKey ok =
        h.awaitKey(
            "payments-1",
            x ->
                state(x) == KeyState.Primary
                    && Conditions.isTrue(
                        x.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED),
            "Primary and verified");
    assertEquals(KMS_KEY + "/cryptoKeyVersions/1", ok.getStatus().getKms().getKeyVersion());
    KeyBundleDocument.Entry entry =
        h.await(
                () -> keyring("payments"),
                d -> d.primaryKeyId() != null,
                "keyring with the gcpKms Primary")
            .keys()
            .get(0);
    assertEquals(KMS_KEY, entry.kmsKeyName());
    assertNull(entry.material(), "a gcpKms key's plaintext data key must never be stored");
    assertEquals("keyops/v1/default/payments/payments-1", entry.associatedData());

    h.kms.revoke(KMS_KEY, KmsAccessValidator.USE_TO_DECRYPT);
    EncryptionKey revoked =
        h.awaitKey(
            "payments-1",
            x -> "PermissionDenied".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "access revoked");
    assertEquals(KeyState.Primary, state(revoked), "revoked access must not change the state");
    assertEquals(
        List.of(KmsAccessValidator.USE_TO_DECRYPT),
        revoked.getStatus().getKms().getMissingPermissions());
    String msg =
        Conditions.find(revoked.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED)
            .get()
            .getMessage();
    assertTrue(msg.contains("roles/cloudkms.cryptoKeyEncrypterDecrypter"), msg);
    assertTrue(
        h.events("payments-1").stream()
            .anyMatch(
                e -> "PermissionDenied".equals(e.getReason()) && "Warning".equals(e.getType())));
    assertTrue(h.operator().registry().scrape().contains("keyops_kms_access_lost_total 1.0"));
    assertEquals(
        KMS_KEY,
        keyring("payments").keys().get(0).kmsKeyName(),
        "the Primary stays in the keyring");

    h.kms.grantAll(KMS_KEY);
    h.awaitKey(
        "payments-1",
        x -> Conditions.isTrue(x.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED),
        "access restored");
  }

  @Test
  void aRestartWithSeveralActivatedKeysEndsWithOnePrimary() throws Exception {
    h.stop();
    for (String n : List.of("audit-1", "audit-2", "audit-3")) {
      EncryptionKey k = Fixtures.managedKey(n, "audit");
      k.getSpec().setActivate(true);
      h.client().resource(k).create();
    }
    h.start();
    h.awaitKey("audit-3", k -> state(k) == KeyState.Primary, "the newest key to be Primary");
    for (String n : List.of("audit-1", "audit-2")) {
      h.awaitKey(n, k -> state(k) == KeyState.Retired, "Retired");
    }
    // Simulate a stop between two status writes: two Primaries on record.
    h.stop();
    Patches.status(h.client(), "default", "audit-1", "state", KeyState.Primary);
    h.start();
    h.awaitKey("audit-1", k -> state(k) == KeyState.Retired, "Retired again");
    assertEquals(
        1,
        h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems().stream()
            .filter(k -> state(k) == KeyState.Primary)
            .count());
  }

  @Test
  void manyKeysOnOneCloudKmsKeyShareItsReadRequests() throws Exception {
    // A clock that does not move, so the read cache's TTL cannot lapse on a slow machine: the
    // count depends only on the sharing, not on timing.
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (OperatorHarness frozen = new OperatorHarness(Duration.ofMinutes(10), clock)) {
      frozen.kms.create(KMS_KEY);
      for (int i = 0; i < 8; i++) {
        frozen.client().resource(Fixtures.gcpKey("shared-" + i, "shared", KMS_KEY)).create();
      }
      for (int i = 0; i < 8; i++) {
        frozen.awaitKey("shared-" + i, EncryptionKeyControllerTest::ready, "Ready");
      }
      // Each key wraps and unwraps its own data key (crypto requests), but the read is shared.
      assertTrue(frozen.kms.calls("Encrypt") >= 8);
      assertEquals(
          1,
          frozen.kms.calls("GetCryptoKey"),
          "GetCryptoKey calls: " + frozen.kms.calls("GetCryptoKey"));
    }
  }

  void setPartitions(String name, long count, Instant countedAt) {
    Patches.status(
        h.client(),
        "default",
        name,
        "partitions",
        Fixtures.inventory(count, countedAt.toString(), "rotate-test"));
  }

  static Secret secret(String name, String value) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .withData(Map.of("key", Base64.getEncoder().encodeToString(value.getBytes())))
        .build();
  }
}
