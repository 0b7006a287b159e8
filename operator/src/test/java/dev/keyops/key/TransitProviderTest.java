package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.Provider;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import dev.keyops.api.v1alpha1.TransitAuthSpec;
import dev.keyops.api.v1alpha1.TransitProvider;
import dev.keyops.kms.transit.HttpTransitGateway;
import dev.keyops.kms.transit.TransitAuth;
import dev.keyops.kms.transit.TransitDataKeyUnwrapper;
import dev.keyops.kms.transit.testing.OpenBaoServer;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.provider.KmsVersionFollower;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * transit keys end to end on the mock API server against a real OpenBao dev server: Ready with
 * access verified, each refusal named (missing key, wrong type, a missing capability with the
 * policy line to add), key-version rotation followed by one re-wrap, DataAtRisk when the wrapping
 * version falls below min_decryption_version, an outage that never changes the state, and a
 * workload unwrapping the keyring entry with its own token.
 */
class TransitProviderTest {

  static final String AAD = "keyops/v1/default/orders/orders-1";

  OpenBaoServer bao;
  OperatorHarness h;

  void start(Duration revalidate) throws Exception {
    bao = OpenBaoServer.start();
    h = new OperatorHarness(revalidate);
  }

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.close();
    }
    if (bao != null) {
      bao.close();
    }
  }

  EncryptionKey create(String name, String transitKey, String token, boolean activate) {
    h.client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-token")
                .withNamespace("default")
                .endMetadata()
                .addToData(
                    "token",
                    Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();
    TransitProvider t = new TransitProvider();
    t.setAddress(bao.address());
    t.setMount("transit");
    t.setKeyName(transitKey);
    TransitAuthSpec auth = new TransitAuthSpec();
    auth.setTokenSecretRef(new SecretKeySelector(name + "-token", "token"));
    t.setAuth(auth);
    Provider p = new Provider();
    p.setTransit(t);
    EncryptionKey k = Fixtures.key(name, "orders", p);
    k.getSpec().setActivate(activate);
    return h.client().resource(k).create();
  }

  static String reason(EncryptionKey k, String type) {
    return EncryptionKeyControllerTest.reason(k, type);
  }

  static String message(EncryptionKey k, String type) {
    return Conditions.find(k.getStatus().getConditions(), type).get().getMessage();
  }

  KeyBundleDocument keyring() {
    Secret s =
        h.await(
            () -> h.client().secrets().inNamespace("default").withName("orders-keyring").get(),
            x -> x != null && x.getData() != null,
            "keyring Secret");
    return KeyBundle.parse(
            Base64.getDecoder().decode(s.getData().get("keyring.json")), DataKeyUnwrapper.NONE)
        .document();
  }

  Secret material(String name) {
    return h.client().secrets().inNamespace("default").withName("keyops-key-" + name).get();
  }

  void requestRevalidation(String name, String value) {
    h.client()
        .resources(EncryptionKey.class)
        .inNamespace("default")
        .withName(name)
        .edit(
            k -> {
              k.getMetadata()
                  .setAnnotations(Map.of(KmsVersionFollower.REVALIDATE_ANNOTATION, value));
              return k;
            });
  }

  @Test
  void aValidKeyIsReadyAndAWorkloadUnwrapsItWithItsOwnToken() throws Exception {
    start(Duration.ofMinutes(5));
    bao.createKey("orders", "aes256-gcm96");
    create("orders-1", "orders", OpenBaoServer.ROOT_TOKEN, true);
    EncryptionKey ok =
        h.awaitKey(
            "orders-1",
            x ->
                x.getStatus().getState() == KeyState.Primary
                    && Conditions.isTrue(
                        x.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED),
            "Primary and verified");
    assertEquals("1", ok.getStatus().getKms().getKeyVersion());
    assertEquals("KeyVersionEnabled", reason(ok, Conditions.DATA_AT_RISK));
    KeyBundleDocument doc =
        h.await(this::keyring, d -> d.primaryKeyId() != null, "keyring with the Primary");
    KeyBundleDocument.Entry e = doc.keys().get(0);
    assertEquals("transit", e.provider());
    assertEquals("orders", e.kmsKeyName());
    assertNull(e.material(), "a transit key's plaintext data key must never be stored");
    assertEquals(AAD, e.associatedData());
    assertEquals(new KeyBundleDocument.Transit(bao.address(), "transit", null), e.transit());
    String ct = new String(Base64.getDecoder().decode(e.wrappedKey()), StandardCharsets.UTF_8);
    assertTrue(ct.startsWith("vault:v1:"), ct);
    assertFalse(
        material("orders-1").getData().containsKey("key"), "only the wrapped key is stored");

    // A workload: the keyring through the library, the unwrap by Transit as its own identity
    // (a token limited to decrypt).
    String workerToken =
        bao.tokenWithPolicy(
            "keyops-worker", "path \"transit/decrypt/orders\" { capabilities = [\"update\"] }");
    try (var u =
        new TransitDataKeyUnwrapper(
            t ->
                new HttpTransitGateway(
                    t, new TransitAuth.Token(workerToken), null, Duration.ofSeconds(5)))) {
      byte[] dek =
          u.unwrap(
              e, Base64.getDecoder().decode(e.wrappedKey()), AAD.getBytes(StandardCharsets.UTF_8));
      assertEquals(ok.getStatus().getFingerprint(), dev.keyops.provider.Fingerprint.of(dek));
      KeyBundle ring =
          KeyBundle.parse(
              KeyBundle.toJson(doc), u); // parses; the unwrap happens on first use of the key
      assertEquals(List.of(ring.primary().get()), ring.keyIds());
    }
  }

  @Test
  void aMissingKeyAndAWrongKeyTypeAreNamed() throws Exception {
    start(Duration.ofMinutes(5));
    create("orders-1", "nope", OpenBaoServer.ROOT_TOKEN, false);
    EncryptionKey missing =
        h.awaitKey(
            "orders-1",
            x -> "TransitKeyNotFound".equals(reason(x, Conditions.READY)),
            "TransitKeyNotFound");
    assertTrue(
        message(missing, Conditions.READY).contains("bao write -f transit/keys/nope"),
        message(missing, Conditions.READY));

    bao.createKey("signing", "ed25519");
    create("orders-2", "signing", OpenBaoServer.ROOT_TOKEN, false);
    EncryptionKey wrongType =
        h.awaitKey(
            "orders-2",
            x -> "TransitWrongKeyType".equals(reason(x, Conditions.READY)),
            "TransitWrongKeyType");
    assertTrue(message(wrongType, Conditions.READY).contains("ed25519"));
    assertNull(material("orders-2"), "nothing is stored for a key that cannot be used");
  }

  @Test
  void aMissingEncryptOrDecryptCapabilityIsNamedWithThePolicyLine() throws Exception {
    start(Duration.ofMinutes(5));
    bao.createKey("orders", "aes256-gcm96");
    String noEncrypt =
        bao.tokenWithPolicy(
            "no-encrypt",
            "path \"transit/keys/orders\" { capabilities = [\"read\"] }\n"
                + "path \"transit/decrypt/orders\" { capabilities = [\"update\"] }");
    String noDecrypt =
        bao.tokenWithPolicy(
            "no-decrypt",
            "path \"transit/keys/orders\" { capabilities = [\"read\"] }\n"
                + "path \"transit/encrypt/orders\" { capabilities = [\"update\"] }");
    create("orders-1", "orders", noEncrypt, false);
    create("orders-2", "orders", noDecrypt, false);
    EncryptionKey e1 =
        h.awaitKey(
            "orders-1",
            x -> "TransitCapabilityMissing".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "encrypt missing");
    assertEquals(
        List.of("transit/encrypt/orders: update"), e1.getStatus().getKms().getMissingPermissions());
    assertTrue(
        message(e1, Conditions.KMS_ACCESS_VERIFIED)
            .contains("path \"transit/encrypt/orders\" { capabilities = [\"update\"] }"),
        message(e1, Conditions.KMS_ACCESS_VERIFIED));
    EncryptionKey e2 =
        h.awaitKey(
            "orders-2",
            x -> "TransitCapabilityMissing".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "decrypt missing");
    assertEquals(
        List.of("transit/decrypt/orders: update"), e2.getStatus().getKms().getMissingPermissions());
    assertTrue(
        message(e2, Conditions.KMS_ACCESS_VERIFIED)
            .contains("path \"transit/decrypt/orders\" { capabilities = [\"update\"] }"));
    assertNull(material("orders-1"));
    assertNull(material("orders-2"));
    assertFalse(
        h.events("orders-1").stream().anyMatch(ev -> ev.getMessage().contains(noEncrypt)),
        "no token in events");
  }

  @Test
  void aRotationIsFollowedByOneRewrapAndALowMinimumRaisesDataAtRisk() throws Exception {
    start(Duration.ofMinutes(30)); // only requested revalidations run in this test
    bao.createKey("orders", "aes256-gcm96");
    create("orders-1", "orders", OpenBaoServer.ROOT_TOKEN, true);
    EncryptionKey v1 =
        h.awaitKey("orders-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
    String fingerprint = v1.getStatus().getFingerprint();

    bao.rotate("orders");
    requestRevalidation("orders-1", "r1");
    EncryptionKey v2 =
        h.awaitKey(
            "orders-1",
            x -> "2".equals(x.getStatus().getKms().getKeyVersion()),
            "re-wrapped onto version 2");
    assertEquals(fingerprint, v2.getStatus().getFingerprint(), "the data key never changes");
    assertTrue(v2.getStatus().getKms().getRewrappedAt() != null);
    String wrapped = material("orders-1").getData().get("wrappedKey");
    assertTrue(
        new String(Base64.getDecoder().decode(wrapped), StandardCharsets.UTF_8)
            .startsWith("vault:v2:"));
    h.await(
        this::keyring,
        d ->
            new String(
                    Base64.getDecoder().decode(d.keys().get(0).wrappedKey()),
                    StandardCharsets.UTF_8)
                .startsWith("vault:v2:"),
        "keyring on version 2");
    requestRevalidation("orders-1", "r2");
    h.awaitKey(
        "orders-1",
        x -> "r2".equals(x.getStatus().getKms().getRevalidateRequested()),
        "second revalidation");
    assertEquals(
        wrapped,
        material("orders-1").getData().get("wrappedKey"),
        "no re-wrap when the version did not move");

    // The version moves and old versions are refused before keyops re-wrapped: DataAtRisk.
    bao.rotate("orders");
    bao.configure("orders", Map.of("min_decryption_version", 3));
    requestRevalidation("orders-1", "r3");
    EncryptionKey risk =
        h.awaitKey(
            "orders-1",
            x -> Conditions.isTrue(x.getStatus().getConditions(), Conditions.DATA_AT_RISK),
            "DataAtRisk");
    assertEquals("TransitKeyVersionBelowMinimum", reason(risk, Conditions.DATA_AT_RISK));
    assertTrue(
        message(risk, Conditions.DATA_AT_RISK).contains("min_decryption_version=2"),
        message(risk, Conditions.DATA_AT_RISK));
    assertEquals(KeyState.Primary, risk.getStatus().getState(), "nothing changes the state");
    assertEquals(wrapped, material("orders-1").getData().get("wrappedKey"), "nothing deleted");

    bao.configure("orders", Map.of("min_decryption_version", 2));
    requestRevalidation("orders-1", "r4");
    EncryptionKey healed =
        h.awaitKey(
            "orders-1",
            x ->
                "3".equals(x.getStatus().getKms().getKeyVersion())
                    && Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY),
            "re-wrapped onto version 3");
    assertEquals(
        "False",
        Conditions.find(healed.getStatus().getConditions(), Conditions.DATA_AT_RISK)
            .get()
            .getStatus());
    assertEquals(fingerprint, healed.getStatus().getFingerprint());
  }

  @Test
  void anOutageNeverChangesTheStateAndIsRecordedOnce() throws Exception {
    start(Duration.ofMillis(500));
    bao.createKey("orders", "aes256-gcm96");
    create("orders-1", "orders", OpenBaoServer.ROOT_TOKEN, true);
    h.awaitKey(
        "orders-1",
        x ->
            x.getStatus().getState() == KeyState.Primary
                && Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY),
        "Primary");
    bao.close();
    EncryptionKey down =
        h.awaitKey(
            "orders-1",
            x -> "TransitUnavailable".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "unavailable");
    assertEquals(KeyState.Primary, down.getStatus().getState());
    String rv = down.getMetadata().getResourceVersion();
    Thread.sleep(3000); // several revalidation intervals, backing off
    EncryptionKey later = h.key("orders-1");
    int writes = Integer.parseInt(later.getMetadata().getResourceVersion()) - Integer.parseInt(rv);
    assertTrue(
        writes <= 2, "an outage writes status when its outcome changes, not per check: " + writes);
    assertEquals(
        "orders",
        keyring().keys().get(0).kmsKeyName(),
        "the Primary stays in the keyring during the outage");
  }
}
