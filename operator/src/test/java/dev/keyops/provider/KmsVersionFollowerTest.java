package dev.keyops.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.kms.gcp.KmsDataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.status.Conditions;
import dev.keyops.testing.FakeKms;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Following Cloud KMS key-version rotation, end to end: the real operator against the mock API
 * server and the real google-cloud-kms client against the fake Cloud KMS; partitions written and
 * read with the partition library and the keyring Secret, unwrapped the way workloads do.
 */
class KmsVersionFollowerTest {

  static final String KMS_KEY =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/orders";
  static final String V1 = FakeKms.versionName(KMS_KEY, 1);
  static final String V2 = FakeKms.versionName(KMS_KEY, 2);

  @TempDir Path dir;
  OperatorHarness h;
  final List<KmsDataKeyUnwrapper> unwrappers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    unwrappers.forEach(KmsDataKeyUnwrapper::close);
    if (h != null) {
      h.close();
    }
  }

  @Test
  void aRotatedPrimaryIsFollowedOnceAndEveryPartitionKeepsDecrypting() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(1));
    EncryptionKey before = createVerified("orders-1", true);
    assertEquals(V1, before.getStatus().getKms().getKeyVersion());
    KeyBundleDocument docV1 = keyringDoc("orders");
    byte[] a = data(70_000);
    writePartition("a", ring(docV1), a);
    int encrypts = h.kms.calls("Encrypt");

    h.kms.rotate(KMS_KEY);
    EncryptionKey after =
        h.awaitKey("orders-1", k -> V2.equals(k.getStatus().getKms().getKeyVersion()), "on v2");
    KeyBundleDocument docV2 =
        h.await(
            () -> keyringDoc("orders"),
            d -> FakeKms.versionOf(wrapped(d)) == 2,
            "the keyring to carry the v2 wrapping");
    Thread.sleep(3_000); // several revalidations
    assertEquals(encrypts + 1, h.kms.calls("Encrypt"), "exactly one Encrypt for the rotation");
    assertEquals(before.getStatus().getKeyId(), after.getStatus().getKeyId());
    assertEquals(before.getStatus().getFingerprint(), after.getStatus().getFingerprint());
    assertEquals(KeyState.Primary, after.getStatus().getState());
    assertEquals(docV1.primaryKeyId(), docV2.primaryKeyId());
    Secret material =
        h.client().secrets().inNamespace("default").withName("keyops-key-orders-1").get();
    assertNull(material.getImmutable(), "gcpKms material Secrets are mutable now");
    assertEquals(2, FakeKms.versionOf(KeyProviders.wrappedKeyOf(material)));
    assertNull(
        h.client().secrets().inNamespace("default").withName("keyops-rewrapped-orders-1").get(),
        "a mutable material Secret is updated in place");
    assertEquals(
        Conditions.FALSE, condition(h.key("orders-1"), Conditions.DATA_AT_RISK).getStatus());
    assertTrue(h.events("orders-1").stream().anyMatch(e -> "KeyRewrapped".equals(e.getReason())));
    assertTrue(
        h.operator()
            .registry()
            .scrape()
            .contains("keyops_kms_rewraps_total{outcome=\"Rewrapped\"} 1.0"));

    byte[] b = data(1_300_000);
    writePartition("b", ring(docV2), b);
    assertArrayEquals(a, readPartition("a", ring(docV2)), "written before, read after");
    assertArrayEquals(b, readPartition("b", ring(docV1)), "old wrapping works while v1 is enabled");

    h.kms.setVersionState(KMS_KEY, 1, CryptoKeyVersionState.DISABLED);
    // A revalidation (its Decrypt of the stored wrapping) after v1 was disabled; status is not
    // rewritten when nothing changed, so the fake KMS's count says when it happened.
    int decrypts = h.kms.calls("Decrypt");
    h.await(
        () -> h.kms.calls("Decrypt"), c -> c > decrypts, "a revalidation after v1 was disabled");
    EncryptionKey disabledOld = h.key("orders-1");
    assertTrue(Conditions.isTrue(disabledOld.getStatus().getConditions(), Conditions.READY));
    assertEquals(Conditions.FALSE, condition(disabledOld, Conditions.DATA_AT_RISK).getStatus());
    KeyBundle fromSecret = ring(keyringDoc("orders"));
    assertArrayEquals(a, readPartition("a", fromSecret));
    assertArrayEquals(b, readPartition("b", fromSecret));
    assertThrows(
        Exception.class,
        () -> readPartition("a", ring(docV1)),
        "the v1 wrapping is refused once v1 is disabled: that is why keyops re-wraps");
    assertEquals(encrypts + 1, h.kms.calls("Encrypt"));
  }

  @Test
  void theRevalidateAnnotationFollowsARotationNowAndOncePerValue() throws Exception {
    h = new OperatorHarness(Duration.ofHours(1));
    createVerified("orders-1", false);
    h.kms.rotate(KMS_KEY);
    Thread.sleep(1_000);
    assertEquals(V1, h.key("orders-1").getStatus().getKms().getKeyVersion(), "not due yet");

    Patches.annotate(
        h.client(), "default", "orders-1", KmsVersionFollower.REVALIDATE_ANNOTATION, "rotated-1");
    EncryptionKey k =
        h.awaitKey("orders-1", x -> V2.equals(x.getStatus().getKms().getKeyVersion()), "on v2");
    assertEquals("rotated-1", k.getStatus().getKms().getRevalidateRequested());
    // The keyring Secret is written after the key's status: wait for it, bounded.
    h.await(() -> FakeKms.versionOf(wrapped(keyringDoc("orders"))), v -> v == 2, "keyring on v2");

    int calls = h.kms.totalCalls();
    Patches.annotate(h.client(), "default", "orders-1", "example.com/unrelated", "x");
    Thread.sleep(1_500);
    assertEquals(calls, h.kms.totalCalls(), "the same request value does not trigger again");
  }

  @Test
  void aRotationDuringAnOutageBacksOffAndStillEncryptsOnlyOnce() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(20));
    createVerified("orders-1", true);
    int encrypts = h.kms.calls("Encrypt");

    // A full outage right after the rotation: a few calls (the client's own retries), then backoff.
    h.kms.setUnavailable(true);
    h.kms.rotate(KMS_KEY);
    int calls = h.kms.totalCalls();
    request("1");
    Thread.sleep(4_000);
    int during = h.kms.totalCalls() - calls;
    assertTrue(during >= 1 && during <= 4, "calls during the outage: " + during);
    assertEquals(encrypts, h.kms.calls("Encrypt"));
    assertEquals(V1, h.key("orders-1").getStatus().getKms().getKeyVersion());

    // Back, but Decrypt fails again right after the Encrypt: the new wrapping is kept, not redone.
    h.kms.setUnavailable(false);
    h.kms.setUnavailableAfterNextEncrypt("Decrypt");
    calls = h.kms.totalCalls();
    request("2");
    h.await(() -> h.kms.calls("Encrypt"), n -> n == encrypts + 1, "the re-wrap's Encrypt");
    Thread.sleep(4_000);
    during = h.kms.totalCalls() - calls;
    assertTrue(during <= 8, "calls while Decrypt is down: " + during);
    assertEquals(V1, h.key("orders-1").getStatus().getKms().getKeyVersion(), "not verified yet");
    assertEquals(1, FakeKms.versionOf(KeyProviders.wrappedKeyOf(materialSecret("orders-1"))));

    h.kms.setUnavailable("Decrypt", false);
    request("3");
    h.awaitKey("orders-1", x -> V2.equals(x.getStatus().getKms().getKeyVersion()), "on v2");
    assertEquals(encrypts + 1, h.kms.calls("Encrypt"), "one Encrypt for the rotation in all");
    h.await(
        () -> keyringDoc("orders"),
        d -> FakeKms.versionOf(wrapped(d)) == 2,
        "the keyring to carry the v2 wrapping");
  }

  @Test
  void theWrappingVersionScheduledForDestructionBeforeARewrapPutsDataAtRisk() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(20));
    createVerified("orders-1", true);
    String wrappedBefore = materialSecret("orders-1").getData().get("wrappedKey");
    KeyBundleDocument docBefore = keyringDoc("orders");
    int encrypts = h.kms.calls("Encrypt");

    // The primary moves on, but the operator lost useToEncrypt: no re-wrap is possible.
    h.kms.revoke(KMS_KEY, KmsAccessValidator.USE_TO_ENCRYPT);
    h.kms.rotate(KMS_KEY);
    request("1");
    EncryptionKey denied =
        h.awaitKey(
            "orders-1",
            k -> "PermissionDenied".equals(reason(k, Conditions.KMS_ACCESS_VERIFIED)),
            "encrypt denied");
    assertEquals(
        List.of(KmsAccessValidator.USE_TO_ENCRYPT),
        denied.getStatus().getKms().getMissingPermissions());
    String msg = condition(denied, Conditions.KMS_ACCESS_VERIFIED).getMessage();
    assertTrue(msg.contains("roles/cloudkms.cryptoKeyEncrypterDecrypter"), msg);
    assertEquals(encrypts + 1, h.kms.calls("Encrypt"));
    int iam = h.kms.calls("TestIamPermissions");
    request("2");
    h.await(() -> h.kms.calls("TestIamPermissions"), n -> n > iam, "a permission check");
    Thread.sleep(500);
    assertEquals(encrypts + 1, h.kms.calls("Encrypt"), "no new Encrypt while still denied");

    Instant destroy =
        Instant.now().plus(Duration.ofHours(24)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    h.kms.scheduleDestroy(KMS_KEY, 1, destroy);
    request("3");
    EncryptionKey risk =
        h.awaitKey(
            "orders-1",
            k -> "KeyVersionAtRisk".equals(reason(k, Conditions.DATA_AT_RISK)),
            "data at risk");
    Condition c = condition(risk, Conditions.DATA_AT_RISK);
    assertEquals(Conditions.TRUE, c.getStatus());
    assertTrue(c.getMessage().contains("data on this key is at risk"), c.getMessage());
    assertTrue(c.getMessage().contains(V1 + ", which is DESTROY_SCHEDULED"), c.getMessage());
    assertTrue(c.getMessage().contains("at " + destroy + ", in 23h"), c.getMessage());
    assertTrue(c.getMessage().contains("gcloud kms keys versions restore 1"), c.getMessage());
    assertEquals("DESTROY_SCHEDULED", risk.getStatus().getKms().getKeyVersionState());
    assertEquals(destroy.toString(), risk.getStatus().getKms().getKeyVersionDestroyTime());
    assertEquals(KeyState.Primary, risk.getStatus().getState(), "nothing changes state");
    assertTrue(
        h.events("orders-1").stream()
            .anyMatch(
                e -> "KeyVersionAtRisk".equals(e.getReason()) && "Warning".equals(e.getType())));
    String scrape =
        h.awaitScrape("keyops_keys_data_at_risk{key_ring=\"orders\",namespace=\"default\"} 1.0");
    assertEquals(
        destroy.getEpochSecond(),
        sample(
            scrape,
            "keyops_kms_version_destroy_time_seconds{key_ring=\"orders\",namespace=\"default\"}"));
    assertEquals(
        wrappedBefore,
        materialSecret("orders-1").getData().get("wrappedKey"),
        "keyops changes nothing");
    assertEquals(wrapped(docBefore).length, wrapped(keyringDoc("orders")).length);
    assertEquals(encrypts + 1, h.kms.calls("Encrypt"));

    // The user restores v1 and grants the role again: the re-wrap happens, the risk is gone.
    h.kms.setVersionState(KMS_KEY, 1, CryptoKeyVersionState.ENABLED);
    h.kms.grantAll(KMS_KEY);
    request("4");
    EncryptionKey healed =
        h.awaitKey("orders-1", k -> V2.equals(k.getStatus().getKms().getKeyVersion()), "on v2");
    assertEquals(Conditions.FALSE, condition(healed, Conditions.DATA_AT_RISK).getStatus());
    h.awaitScrape("keyops_keys_data_at_risk{key_ring=\"orders\",namespace=\"default\"} 0.0");
  }

  @Test
  void anImmutableMaterialSecretFromAnEarlierKeyopsGetsASuccessorNeverAGap() throws Exception {
    h = new OperatorHarness(Duration.ofSeconds(20));
    createVerified("orders-1", true);
    byte[] a = data(10_000);
    writePartition("a", ring(keyringDoc("orders")), a);
    // What keyops created before re-wrapping existed: an immutable material Secret.
    h.stop();
    Secret legacy =
        new SecretBuilder(materialSecret("orders-1"))
            .editMetadata()
            .withResourceVersion(null)
            .endMetadata()
            .withImmutable(true)
            .build();
    h.client().secrets().inNamespace("default").withName("keyops-key-orders-1").delete();
    h.await(() -> materialSecret("orders-1"), s -> s == null, "legacy Secret replaced");
    h.client().secrets().inNamespace("default").resource(legacy).create();
    h.start();

    h.kms.rotate(KMS_KEY);
    request("1");
    h.awaitKey("orders-1", k -> V2.equals(k.getStatus().getKms().getKeyVersion()), "on v2");
    Secret original = materialSecret("orders-1");
    assertEquals(Boolean.TRUE, original.getImmutable());
    assertEquals(
        legacy.getData().get("wrappedKey"),
        original.getData().get("wrappedKey"),
        "the immutable original is never touched");
    Secret successor = successorSecret();
    assertNull(successor.getImmutable());
    assertEquals(2, FakeKms.versionOf(KeyProviders.wrappedKeyOf(successor)));

    h.kms.rotate(KMS_KEY);
    request("2");
    h.awaitKey(
        "orders-1",
        k -> FakeKms.versionName(KMS_KEY, 3).equals(k.getStatus().getKms().getKeyVersion()),
        "on v3");
    assertEquals(3, FakeKms.versionOf(KeyProviders.wrappedKeyOf(successorSecret())));
    assertEquals(
        successor.getMetadata().getUid(),
        successorSecret().getMetadata().getUid(),
        "later re-wraps update the successor in place");

    // A crash after the material was stored but before the keyring was: the next reconcile heals.
    h.stop();
    Secret keyring = h.client().secrets().inNamespace("default").withName("orders-keyring").get();
    KeyBundleDocument doc = keyringDoc("orders");
    KeyBundleDocument.Entry e = doc.keys().get(0);
    KeyBundleDocument stale =
        new KeyBundleDocument(
            doc.format(),
            doc.namespace(),
            doc.keyRing(),
            doc.primaryKeyId(),
            List.of(
                new KeyBundleDocument.Entry(
                    e.keyId(),
                    e.name(),
                    e.state(),
                    e.provider(),
                    null,
                    e.kmsKeyName(),
                    legacy.getData().get("wrappedKey"),
                    e.associatedData())));
    keyring
        .getData()
        .put("keyring.json", Base64.getEncoder().encodeToString(KeyBundle.toJson(stale)));
    h.client().secrets().inNamespace("default").resource(keyring).update();
    h.start();
    KeyBundleDocument healed =
        h.await(
            () -> keyringDoc("orders"),
            d -> FakeKms.versionOf(wrapped(d)) == 3,
            "the keyring to carry the v3 wrapping again");
    h.kms.setVersionState(KMS_KEY, 1, CryptoKeyVersionState.DISABLED);
    h.kms.setVersionState(KMS_KEY, 2, CryptoKeyVersionState.DISABLED);
    assertArrayEquals(a, readPartition("a", ring(healed)));
  }

  // --- helpers ---

  EncryptionKey createVerified(String name, boolean activate) {
    h.kms.create(KMS_KEY);
    EncryptionKey k = Fixtures.gcpKey(name, "orders", KMS_KEY);
    k.getSpec().setActivate(activate);
    h.client().resource(k).create();
    return h.awaitKey(
        name,
        x ->
            Conditions.isTrue(x.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED)
                && (!activate || x.getStatus().getState() == KeyState.Primary)
                && h.client().secrets().inNamespace("default").withName("orders-keyring").get()
                    != null
                // The key's status is written before the keyring Secret names it the Primary
                // (the Secret lists it earlier, as Staged, for its stagedFor).
                && (!activate
                    || x.getStatus().getKeyId().equals(keyringDoc("orders").primaryKeyId())),
        "verified");
  }

  void request(String value) {
    Patches.annotate(
        h.client(), "default", "orders-1", KmsVersionFollower.REVALIDATE_ANNOTATION, value);
  }

  Secret successorSecret() {
    return h.client().secrets().inNamespace("default").withName("keyops-rewrapped-orders-1").get();
  }

  Secret materialSecret(String name) {
    return h.client().secrets().inNamespace("default").withName("keyops-key-" + name).get();
  }

  KeyBundleDocument keyringDoc(String ring) {
    Secret s = h.client().secrets().inNamespace("default").withName(ring + "-keyring").get();
    return KeyBundle.parse(
            Base64.getDecoder().decode(s.getData().get("keyring.json")),
            dev.keyops.partition.DataKeyUnwrapper.NONE)
        .document();
  }

  static byte[] wrapped(KeyBundleDocument d) {
    return Base64.getDecoder().decode(d.keys().get(0).wrappedKey());
  }

  /** The keyring as a workload reads it: gcpKms data keys unwrapped with Cloud KMS Decrypt. */
  KeyBundle ring(KeyBundleDocument doc) {
    KmsDataKeyUnwrapper u = new KmsDataKeyUnwrapper(h.kms.endpoint());
    unwrappers.add(u);
    return KeyBundle.parse(KeyBundle.toJson(doc), u);
  }

  void writePartition(String name, KeyBundle ring, byte[] plain) throws IOException {
    try (FileChannel ch =
            FileChannel.open(
                dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        InputStream in = new ByteArrayInputStream(plain)) {
      new PartitionCodec().encrypt(in, ch, ring);
    }
  }

  byte[] readPartition(String name, KeyBundle ring) throws IOException {
    try (InputStream in = new PartitionCodec().decrypt(dir.resolve(name), ring)) {
      return in.readAllBytes();
    }
  }

  static byte[] data(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  static Condition condition(EncryptionKey k, String type) {
    return Conditions.find(k.getStatus().getConditions(), type).orElseThrow();
  }

  static String reason(EncryptionKey k, String type) {
    return Conditions.find(k.getStatus().getConditions(), type)
        .map(Condition::getReason)
        .orElse(null);
  }

  /** The value of one sample in a Prometheus scrape. */
  static double sample(String scrape, String series) {
    return scrape
        .lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(series + " not in scrape"));
  }
}
