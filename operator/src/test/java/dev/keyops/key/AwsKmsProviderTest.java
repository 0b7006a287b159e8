package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.AwsCredentialsSecretRef;
import dev.keyops.api.v1alpha1.AwsKmsProvider;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.Provider;
import dev.keyops.kms.aws.AwsKmsDataKeyUnwrapper;
import dev.keyops.kms.aws.SdkAwsKmsGateway;
import dev.keyops.kms.aws.testing.MotoServer;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;

/**
 * awsKms keys end to end on the mock API server, with the real AWS SDK against a real moto server
 * enforcing IAM: Ready with access verified and a workload unwrapping the keyring entry as its own
 * identity; each refusal named (missing key, wrong key spec, Encrypt or Decrypt denied with the
 * statement to add); key states followed (Disabled raises DataAtRisk and Enabled clears it; a
 * scheduled deletion raises it with the date); a KeyRing keyTemplate that makes awsKms keys; an
 * outage that never changes the state.
 */
class AwsKmsProviderTest {

  static final Map<String, String> CONTEXT =
      Map.of("keyops", "v1/default/orders/orders-1", "team", "payments");

  /**
   * With moto 5.2.5 a statement naming the key ARN as Resource was denied (real KMS allows it):
   * users here are scoped by action alone.
   */
  static final String MOTO_RESOURCE = "*";

  static final List<String> OPERATOR_ACTIONS =
      List.of("kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GetKeyRotationStatus");

  MotoServer moto;
  OperatorHarness h;

  void start(Duration revalidate) throws Exception {
    moto = MotoServer.startEnforcingIam();
    h = new OperatorHarness(revalidate);
  }

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  AwsBasicCredentials operator(String user, List<String> actions) {
    return moto.userAllowed(user, actions, MOTO_RESOURCE);
  }

  EncryptionKey create(String name, String keyId, AwsBasicCredentials c, boolean activate) {
    return create(name, keyId, null, null, c, activate);
  }

  EncryptionKey create(
      String name,
      String keyId,
      String region,
      Map<String, String> context,
      AwsBasicCredentials c,
      boolean activate) {
    return create(name, keyId, region, context, c, activate, moto.endpoint());
  }

  EncryptionKey create(
      String name,
      String keyId,
      String region,
      Map<String, String> context,
      AwsBasicCredentials c,
      boolean activate,
      String endpoint) {
    h.client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-aws")
                .withNamespace("default")
                .endMetadata()
                .addToData("AWS_ACCESS_KEY_ID", b64(c.accessKeyId()))
                .addToData("AWS_SECRET_ACCESS_KEY", b64(c.secretAccessKey()))
                .build())
        .create();
    AwsKmsProvider a = new AwsKmsProvider();
    a.setKeyId(keyId);
    a.setRegion(region);
    a.setEndpoint(endpoint);
    a.setCredentialsSecretRef(new AwsCredentialsSecretRef(name + "-aws"));
    a.setEncryptionContext(context);
    Provider p = new Provider();
    p.setAwsKms(a);
    EncryptionKey k = Fixtures.key(name, "orders", p);
    k.getSpec().setActivate(activate);
    return h.client().resource(k).create();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
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
  void aValidKeyIsReadyAndAWorkloadUnwrapsItWithItsOwnIdentity() throws Exception {
    start(Duration.ofMinutes(5));
    String arn = moto.createKey();
    moto.alias("orders", arn);
    AwsBasicCredentials op = operator("keyops-operator", OPERATOR_ACTIONS);
    create("orders-1", "alias/orders", MotoServer.REGION, Map.of("team", "payments"), op, true);
    EncryptionKey ok =
        h.awaitKey(
            "orders-1",
            x ->
                x.getStatus().getState() == KeyState.Primary
                    && Conditions.isTrue(
                        x.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED),
            "Primary and verified");
    assertEquals(arn, ok.getStatus().getKms().getKeyVersion(), "the key the alias named");
    assertEquals("Enabled", ok.getStatus().getKms().getKeyVersionState());
    assertEquals(Boolean.FALSE, ok.getStatus().getKms().getAutomaticRotation());
    assertEquals("AwsKmsKeyEnabled", reason(ok, Conditions.DATA_AT_RISK));
    KeyBundleDocument doc =
        h.await(this::keyring, d -> d.primaryKeyId() != null, "keyring with the Primary");
    KeyBundleDocument.Entry e = doc.keys().get(0);
    assertEquals("awsKms", e.provider());
    assertEquals("alias/orders", e.kmsKeyName());
    assertNull(e.material(), "an awsKms key's plaintext data key must never be stored");
    assertEquals(
        new KeyBundleDocument.AwsKms("alias/orders", MotoServer.REGION, moto.endpoint(), CONTEXT),
        e.awsKms());
    assertFalse(
        material("orders-1").getData().containsKey("key"), "only the wrapped key is stored");

    // A workload: the keyring through the library, the unwrap by AWS KMS as its own identity
    // (a user allowed kms:Decrypt only).
    AwsBasicCredentials worker = moto.userAllowed("keyops-worker", List.of("kms:Decrypt"), "*");
    try (var u =
        new AwsKmsDataKeyUnwrapper(
            t ->
                new SdkAwsKmsGateway(
                    t, StaticCredentialsProvider.create(worker), Duration.ofSeconds(5)))) {
      KeyBundle ring = KeyBundle.parse(KeyBundle.toJson(doc), u);
      assertEquals(List.of(ring.primary().get()), ring.keyIds());
      byte[] dek = u.unwrap(e, Base64.getDecoder().decode(e.wrappedKey()), new byte[0]);
      assertEquals(ok.getStatus().getFingerprint(), dev.keyops.provider.Fingerprint.of(dek));
    }
  }

  @Test
  void aMissingKeyAndAWrongKeySpecAreNamed() throws Exception {
    start(Duration.ofMinutes(5));
    AwsBasicCredentials op = operator("keyops-operator", OPERATOR_ACTIONS);
    create(
        "orders-1",
        "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
        op,
        false);
    EncryptionKey missing =
        h.awaitKey(
            "orders-1",
            x -> "AwsKmsKeyNotFound".equals(reason(x, Conditions.READY)),
            "AwsKmsKeyNotFound");
    assertTrue(
        message(missing, Conditions.READY).contains("fix spec.provider.awsKms.keyId"),
        message(missing, Conditions.READY));

    String signing = moto.createKey(KeySpec.RSA_2048, KeyUsageType.SIGN_VERIFY);
    create("orders-2", signing, op, false);
    EncryptionKey wrongSpec =
        h.awaitKey(
            "orders-2",
            x -> "AwsKmsWrongKeySpec".equals(reason(x, Conditions.READY)),
            "AwsKmsWrongKeySpec");
    assertTrue(
        message(wrongSpec, Conditions.READY).contains("RSA_2048 and usage SIGN_VERIFY"),
        message(wrongSpec, Conditions.READY));
    assertNull(material("orders-2"), "nothing is stored for a key that cannot be used");
  }

  @Test
  void aDeniedEncryptDecryptOrDescribeKeyIsNamedWithTheStatementToAdd() throws Exception {
    start(Duration.ofMinutes(5));
    String arn = moto.createKey();
    AwsBasicCredentials noEncrypt =
        operator(
            "no-encrypt", List.of("kms:DescribeKey", "kms:Decrypt", "kms:GetKeyRotationStatus"));
    AwsBasicCredentials noDecrypt =
        operator(
            "no-decrypt", List.of("kms:DescribeKey", "kms:Encrypt", "kms:GetKeyRotationStatus"));
    create("orders-1", arn, noEncrypt, false);
    create("orders-2", arn, noDecrypt, false);
    EncryptionKey e1 =
        h.awaitKey(
            "orders-1",
            x -> "AwsKmsAccessDenied".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "Encrypt denied");
    assertEquals(List.of("kms:Encrypt"), e1.getStatus().getKms().getMissingPermissions());
    assertTrue(
        message(e1, Conditions.KMS_ACCESS_VERIFIED)
            .contains("{\"Effect\": \"Allow\", \"Action\": \"kms:Encrypt\", \"Resource\": \""),
        message(e1, Conditions.KMS_ACCESS_VERIFIED));
    EncryptionKey e2 =
        h.awaitKey(
            "orders-2",
            x -> "AwsKmsAccessDenied".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "Decrypt denied");
    assertEquals(List.of("kms:Decrypt"), e2.getStatus().getKms().getMissingPermissions());
    assertTrue(
        message(e2, Conditions.KMS_ACCESS_VERIFIED).contains("\"Action\": \"kms:Decrypt\""),
        message(e2, Conditions.KMS_ACCESS_VERIFIED));
    AwsBasicCredentials noDescribe =
        operator("no-describe", List.of("kms:Encrypt", "kms:Decrypt", "kms:GetKeyRotationStatus"));
    create("orders-3", arn, noDescribe, false);
    EncryptionKey e3 =
        h.awaitKey(
            "orders-3",
            x -> "AwsKmsAccessDenied".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "DescribeKey denied");
    assertEquals(List.of("kms:DescribeKey"), e3.getStatus().getKms().getMissingPermissions());
    assertNull(material("orders-1"));
    assertNull(material("orders-2"));
    assertNull(material("orders-3"));
    for (String key : List.of("orders-1", "orders-2")) {
      assertFalse(
          h.events(key).stream()
              .anyMatch(
                  ev ->
                      ev.getMessage().contains(noEncrypt.secretAccessKey())
                          || ev.getMessage().contains(noDecrypt.secretAccessKey())),
          "no secret access key in events");
    }
    assertFalse(
        h.key("orders-2").toString().contains(noDecrypt.secretAccessKey()), "none in status");
  }

  @Test
  void aDisabledKeyRaisesDataAtRiskAndEnablingItClearsIt() throws Exception {
    start(Duration.ofMinutes(30)); // only requested revalidations run in this test
    String arn = moto.createKey();
    create("orders-1", arn, operator("keyops-operator", OPERATOR_ACTIONS), true);
    EncryptionKey primary =
        h.awaitKey("orders-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
    String fingerprint = primary.getStatus().getFingerprint();
    String wrapped = material("orders-1").getData().get("wrappedKey");

    // moto still encrypts with a Disabled key; its DescribeKey reports the state.
    moto.disable(arn);
    requestRevalidation("orders-1", "r1");
    EncryptionKey risk =
        h.awaitKey(
            "orders-1",
            x -> Conditions.isTrue(x.getStatus().getConditions(), Conditions.DATA_AT_RISK),
            "DataAtRisk");
    assertEquals("AwsKmsKeyDisabled", reason(risk, Conditions.DATA_AT_RISK));
    assertEquals("AwsKmsKeyDisabled", reason(risk, Conditions.READY));
    assertTrue(
        message(risk, Conditions.DATA_AT_RISK).contains("aws kms enable-key --key-id " + arn),
        message(risk, Conditions.DATA_AT_RISK));
    assertEquals("Disabled", risk.getStatus().getKms().getKeyVersionState());
    assertEquals(KeyState.Primary, risk.getStatus().getState(), "nothing changes the state");
    assertEquals(wrapped, material("orders-1").getData().get("wrappedKey"), "nothing deleted");
    assertTrue(
        h.events("orders-1").stream().anyMatch(ev -> "AwsKmsKeyDisabled".equals(ev.getReason())),
        "a Warning event names it");

    moto.enable(arn);
    requestRevalidation("orders-1", "r2");
    EncryptionKey healed =
        h.awaitKey(
            "orders-1",
            x ->
                Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY)
                    && !Conditions.isTrue(x.getStatus().getConditions(), Conditions.DATA_AT_RISK),
            "Ready again");
    assertEquals("AwsKmsKeyEnabled", reason(healed, Conditions.DATA_AT_RISK));
    assertEquals(fingerprint, healed.getStatus().getFingerprint(), "the data key never changes");
  }

  /**
   * AWS reports a key whose imported material expired as PendingImport, and one in a disconnected
   * custom key store as Unavailable; moto models neither. A proxy in front of moto answers
   * DescribeKey with the state (and Enabled false) as AWS does; every other call goes to moto.
   */
  @Test
  void pendingImportAndUnavailableRaiseDataAtRiskAndClearWhenTheKeyIsBack() throws Exception {
    start(Duration.ofMinutes(30));
    String arn = moto.createKey();
    try (KeyStateProxy proxy = new KeyStateProxy(moto.endpoint())) {
      create(
          "orders-1",
          arn,
          null,
          null,
          operator("keyops-operator", OPERATOR_ACTIONS),
          true,
          proxy.endpoint());
      h.awaitKey("orders-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
      String wrapped = material("orders-1").getData().get("wrappedKey");
      int round = 0;
      for (String state : List.of("PendingImport", "Unavailable")) {
        proxy.state = state;
        requestRevalidation("orders-1", "r" + ++round);
        EncryptionKey risk =
            h.awaitKey(
                "orders-1",
                x -> state.equals(x.getStatus().getKms().getKeyVersionState()),
                "DataAtRisk " + state);
        assertTrue(
            Conditions.isTrue(risk.getStatus().getConditions(), Conditions.DATA_AT_RISK), state);
        assertEquals("AwsKmsKeyUnusable", reason(risk, Conditions.DATA_AT_RISK));
        assertEquals("AwsKmsKeyUnusable", reason(risk, Conditions.READY));
        String msg = message(risk, Conditions.DATA_AT_RISK);
        assertTrue(msg.contains(arn + " is " + state), msg);
        assertTrue(
            msg.contains(state.equals("PendingImport") ? "import the same material" : "reconnect"),
            msg);
        assertEquals(KeyState.Primary, risk.getStatus().getState(), "nothing changes the state");
        assertEquals(wrapped, material("orders-1").getData().get("wrappedKey"), "nothing deleted");

        proxy.state = null;
        requestRevalidation("orders-1", "r" + ++round);
        EncryptionKey back =
            h.awaitKey(
                "orders-1",
                x ->
                    Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY)
                        && !Conditions.isTrue(
                            x.getStatus().getConditions(), Conditions.DATA_AT_RISK),
                "Ready again after " + state);
        assertEquals("AwsKmsKeyEnabled", reason(back, Conditions.DATA_AT_RISK));
      }
      assertTrue(proxy.rewritten > 0, "the proxy answered DescribeKey with the states");
    }
  }

  /**
   * Forwards every request to moto as it came (its Host header too: the SDK's SigV4 signature,
   * which moto checks, covers it); while {@link #state} is set, DescribeKey answers carry that
   * KeyState and Enabled false.
   */
  static final class KeyStateProxy implements AutoCloseable {
    final com.sun.net.httpserver.HttpServer server;
    final java.net.URI upstream;
    volatile String state;
    volatile int rewritten;

    KeyStateProxy(String upstream) throws java.io.IOException {
      this.upstream = java.net.URI.create(upstream);
      server =
          com.sun.net.httpserver.HttpServer.create(
              new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", this::forward);
      server.start();
    }

    String endpoint() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void forward(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
      try (ex;
          java.net.Socket moto = new java.net.Socket(upstream.getHost(), upstream.getPort())) {
        byte[] body = ex.getRequestBody().readAllBytes();
        StringBuilder head =
            new StringBuilder(ex.getRequestMethod() + " " + ex.getRequestURI() + " HTTP/1.1\r\n");
        for (var h : ex.getRequestHeaders().entrySet()) {
          String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
          if (!List.of("content-length", "connection", "expect", "transfer-encoding")
              .contains(name)) {
            for (String v : h.getValue()) {
              head.append(h.getKey()).append(": ").append(v).append("\r\n");
            }
          }
        }
        head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
        moto.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        moto.getOutputStream().write(body);
        moto.getOutputStream().flush();
        String all = new String(moto.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        int split = all.indexOf("\r\n\r\n");
        String[] lines = all.substring(0, split).split("\r\n");
        String out = all.substring(split + 4);
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++) {
          String[] kv = lines[i].split(":", 2);
          String name = kv[0].trim().toLowerCase(java.util.Locale.ROOT);
          if (name.equals("transfer-encoding")) {
            chunked = kv[1].trim().equalsIgnoreCase("chunked");
          } else if (!List.of("content-length", "connection", "date", "server").contains(name)) {
            ex.getResponseHeaders().add(kv[0].trim(), kv[1].trim());
          }
        }
        if (chunked) {
          StringBuilder b = new StringBuilder();
          int at = 0;
          while (true) {
            int eol = out.indexOf("\r\n", at);
            int n = Integer.parseInt(out.substring(at, eol).trim(), 16);
            if (n == 0) {
              break;
            }
            b.append(out, eol + 2, eol + 2 + n);
            at = eol + 2 + n + 2;
          }
          out = b.toString();
        }
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        String s = state;
        if (s != null && target != null && target.endsWith(".DescribeKey")) {
          out =
              out.replaceAll("\"KeyState\":\\s*\"Enabled\"", "\"KeyState\": \"" + s + "\"")
                  .replaceAll("\"Enabled\":\\s*true", "\"Enabled\": false");
          rewritten++;
        }
        byte[] bytes = out.getBytes(StandardCharsets.ISO_8859_1);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
          ex.getResponseBody().write(bytes);
        }
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void aScheduledDeletionRaisesDataAtRiskWithTheDate() throws Exception {
    start(Duration.ofMinutes(30));
    String arn = moto.createKey();
    create("orders-1", arn, operator("keyops-operator", OPERATOR_ACTIONS), true);
    h.awaitKey("orders-1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");

    moto.scheduleDeletion(arn, 7);
    requestRevalidation("orders-1", "r1");
    EncryptionKey risk =
        h.awaitKey(
            "orders-1",
            x -> "AwsKmsKeyPendingDeletion".equals(reason(x, Conditions.DATA_AT_RISK)),
            "DataAtRisk pending deletion");
    assertTrue(Conditions.isTrue(risk.getStatus().getConditions(), Conditions.DATA_AT_RISK));
    String date = risk.getStatus().getKms().getKeyVersionDestroyTime();
    assertNotNull(date);
    String msg = message(risk, Conditions.DATA_AT_RISK);
    assertTrue(
        msg.contains("at " + date + " (in 6d") || msg.contains("at " + date + " (in 7d"), msg);
    assertTrue(msg.contains("aws kms cancel-key-deletion --key-id " + arn), msg);
    assertEquals(KeyState.Primary, risk.getStatus().getState());
  }

  @Test
  void aKeyRingTemplateMakesAwsKmsKeys() throws Exception {
    start(Duration.ofMinutes(5));
    String arn = moto.createKey();
    AwsBasicCredentials op = operator("keyops-operator", OPERATOR_ACTIONS);
    h.client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("ring-aws")
                .withNamespace("default")
                .endMetadata()
                .addToData("AWS_ACCESS_KEY_ID", b64(op.accessKeyId()))
                .addToData("AWS_SECRET_ACCESS_KEY", b64(op.secretAccessKey()))
                .build())
        .create();
    AwsKmsProvider a = new AwsKmsProvider();
    a.setKeyId(arn);
    a.setEndpoint(moto.endpoint());
    a.setCredentialsSecretRef(new AwsCredentialsSecretRef("ring-aws"));
    dev.keyops.api.v1alpha1.KeyTemplate t = new dev.keyops.api.v1alpha1.KeyTemplate();
    t.setAwsKms(a);
    dev.keyops.api.v1alpha1.RotationPolicy rotation = new dev.keyops.api.v1alpha1.RotationPolicy();
    rotation.setPeriod("24h");
    rotation.setKeyTemplate(t);
    dev.keyops.api.v1alpha1.KeyRing ring = new dev.keyops.api.v1alpha1.KeyRing();
    ring.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("orders")
            .withNamespace("default")
            .build());
    dev.keyops.api.v1alpha1.KeyRingSpec spec = new dev.keyops.api.v1alpha1.KeyRingSpec();
    spec.setRotation(rotation);
    ring.setSpec(spec);
    h.client().resource(ring).create();
    EncryptionKey made =
        h.await(
            () ->
                h
                    .client()
                    .resources(EncryptionKey.class)
                    .inNamespace("default")
                    .list()
                    .getItems()
                    .stream()
                    .filter(
                        k ->
                            k.getStatus() != null
                                && Conditions.isTrue(
                                    k.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED))
                    .findFirst()
                    .orElse(null),
            k -> k != null,
            "a verified key made from the template");
    assertEquals(arn, made.getSpec().getProvider().getAwsKms().getKeyId());
    assertEquals(arn, made.getStatus().getKms().getKeyVersion());
  }

  @Test
  void anOutageNeverChangesTheStateAndIsRecordedOnce() throws Exception {
    start(Duration.ofMillis(500));
    String arn = moto.createKey();
    create("orders-1", arn, operator("keyops-operator", OPERATOR_ACTIONS), true);
    h.awaitKey(
        "orders-1",
        x ->
            x.getStatus().getState() == KeyState.Primary
                && Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY),
        "Primary");
    moto.close();
    EncryptionKey down =
        h.awaitKey(
            "orders-1",
            x -> "AwsKmsUnavailable".equals(reason(x, Conditions.KMS_ACCESS_VERIFIED)),
            "unavailable");
    assertEquals(KeyState.Primary, down.getStatus().getState());
    String rv = down.getMetadata().getResourceVersion();
    Thread.sleep(3000); // several revalidation intervals, backing off
    EncryptionKey later = h.key("orders-1");
    int writes = Integer.parseInt(later.getMetadata().getResourceVersion()) - Integer.parseInt(rv);
    assertTrue(
        writes <= 2, "an outage writes status when its outcome changes, not per check: " + writes);
    assertEquals(arn, keyring().keys().get(0).kmsKeyName(), "the Primary stays in the keyring");
  }
}
