package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.provider.KmsAccessValidator;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Plugin;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Captures every log line, event and status of a full run (all three providers, a bad key, a
 * rotation, a revoked Cloud KMS permission, a drop), and what {@code kubectl keyops} prints about
 * the ring, and checks that no key material appears in any of them: raw, standard or URL-safe
 * Base64, or hex.
 */
public class NoKeyMaterialLeaksTest {

  static final String KMS_KEY =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/leak";

  @TempDir Path tmp;

  @Test
  void materialNeverAppearsInLogsEventsOrStatus() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    List<byte[]> secrets = new ArrayList<>();
    List<String> statuses = new ArrayList<>();
    try (OperatorHarness h = new OperatorHarness(Duration.ofSeconds(1))) {
      h.kms.create(KMS_KEY);
      byte[] customer = new byte[32];
      new java.security.SecureRandom().nextBytes(customer);
      secrets.add(customer);
      // First a malformed value (URL-safe + newline), then the good one.
      String bad = Base64.getUrlEncoder().encodeToString(customer) + "\n";
      h.client().resource(EncryptionKeyControllerTest.secret("cust", bad)).create();
      EncryptionKey s = Fixtures.secretKey("s1", "ring", "cust", "key");
      s.getSpec().setActivate(true);
      h.client().resource(s).create();
      h.awaitKey(
          "s1",
          k -> "InvalidKeyMaterial".equals(EncryptionKeyControllerTest.reason(k, Conditions.READY)),
          "invalid");
      h.client()
          .resource(
              EncryptionKeyControllerTest.secret(
                  "cust", Base64.getEncoder().encodeToString(customer)))
          .update();
      h.awaitKey("s1", k -> k.getStatus().getState() == KeyState.Primary, "Primary");

      EncryptionKey m = Fixtures.managedKey("m1", "ring");
      m.getSpec().setActivate(true);
      h.client().resource(m).create();
      h.awaitKey(
          "m1",
          k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary,
          "Primary");
      Secret material = h.client().secrets().inNamespace("default").withName("keyops-key-m1").get();
      secrets.add(Base64.getDecoder().decode(material.getData().get("key")));

      EncryptionKey g = Fixtures.gcpKey("g1", "ring", KMS_KEY);
      g.getSpec().setActivate(true);
      h.client().resource(g).create();
      h.awaitKey(
          "g1",
          k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary,
          "Primary");
      Secret wrapped = h.client().secrets().inNamespace("default").withName("keyops-key-g1").get();
      secrets.add(
          h.kms.unwrap(
              KMS_KEY,
              Base64.getDecoder().decode(wrapped.getData().get("wrappedKey")),
              "keyops/v1/default/ring/g1".getBytes(StandardCharsets.UTF_8)));
      // A Cloud KMS rotation: the same data key is re-wrapped (and never shown) on the way.
      h.kms.rotate(KMS_KEY);
      h.awaitKey(
          "g1",
          k ->
              dev.keyops.testing.FakeKms.versionName(KMS_KEY, 2)
                  .equals(k.getStatus().getKms().getKeyVersion()),
          "re-wrapped onto version 2");
      h.kms.revoke(KMS_KEY, KmsAccessValidator.USE_TO_DECRYPT);
      h.awaitKey(
          "g1",
          k ->
              "PermissionDenied"
                  .equals(EncryptionKeyControllerTest.reason(k, Conditions.KMS_ACCESS_VERIFIED)),
          "revoked");
      dev.keyops.testing.Patches.annotate(
          h.client(), "default", "s1", EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION, "true");
      h.client().resources(EncryptionKey.class).inNamespace("default").withName("s1").delete();
      h.awaitGone("s1");

      for (EncryptionKey k :
          h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems()) {
        statuses.add(Serialization.asYaml(k));
      }
      statuses.add(Serialization.asYaml(h.client().v1().events().inNamespace("default").list()));
      statuses.add(h.operator().registry().scrape());
      // What kubectl keyops prints about the same ring, as tables and for scripts.
      String kubeconfig = h.api.writeKubeconfig(tmp).toString();
      for (List<String> args :
          List.of(
              List.of("keyring", "ring"),
              List.of("keyring", "ring", "-o", "json"),
              List.of("keyring", "ring", "-o", "yaml"),
              List.of("status", "ring"),
              List.of("status", "-A", "-o", "json"),
              List.of("can-drop", "m1"),
              List.of("can-drop", "g1", "-o", "yaml"))) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--kubeconfig", kubeconfig));
        Plugin p = Plugin.run(all.toArray(String[]::new));
        String shown = args.get(0).equals("can-drop") ? args.get(1) : "g1";
        assertTrue(p.code() != 2 && p.out().contains(shown), () -> args + ": " + p);
        statuses.add(p.all());
      }
    } finally {
      root.detachAppender(logs);
    }
    List<String> haystack = new ArrayList<>(statuses);
    for (ILoggingEvent e : logs.list) {
      haystack.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        haystack.add(e.getThrowableProxy().getMessage());
      }
    }
    assertTrue(logs.list.size() > 10, "too few log lines captured: " + logs.list.size());
    assertEquals(3, secrets.size());
    for (byte[] secret : secrets) {
      for (String form : forms(secret)) {
        for (int i = 0; i < haystack.size(); i++) {
          String text = haystack.get(i);
          if (text != null && text.contains(form)) {
            // Never print the material itself, even when failing.
            String shown = text.replace(form, "<KEY MATERIAL>");
            throw new AssertionError(
                "key material leaked in item "
                    + i
                    + ": "
                    + shown.substring(0, Math.min(400, shown.length())));
          }
        }
      }
    }
  }

  /**
   * The same for a transit key against a real OpenBao (skipped without -Dkeyops.bao): creation, a
   * Transit rotation followed by a re-wrap, a revoked decrypt capability, a refused version;
   * neither the data key nor the operator's Transit token appears in logs, events, status or
   * metrics.
   */
  @Test
  void transitMaterialAndTokensNeverAppearInLogsEventsOrStatus() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    List<String> haystack = new ArrayList<>();
    byte[] dek;
    String token;
    try (var bao = dev.keyops.kms.transit.testing.OpenBaoServer.start();
        OperatorHarness h = new OperatorHarness(Duration.ofMillis(500))) {
      root.addAppender(logs);
      bao.createKey("leak", "aes256-gcm96");
      String policy =
          "path \"transit/keys/leak\" { capabilities = [\"read\"] }\n"
              + "path \"transit/encrypt/leak\" { capabilities = [\"update\"] }\n";
      token =
          bao.tokenWithPolicy(
              "keyops", policy + "path \"transit/decrypt/leak\" { capabilities = [\"update\"] }");
      h.client()
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("bao-token")
                  .withNamespace("default")
                  .endMetadata()
                  .addToData("token", Base64.getEncoder().encodeToString(token.getBytes()))
                  .build())
          .create();
      var t = new dev.keyops.api.v1alpha1.TransitProvider();
      t.setAddress(bao.address());
      t.setKeyName("leak");
      var auth = new dev.keyops.api.v1alpha1.TransitAuthSpec();
      auth.setTokenSecretRef(new dev.keyops.api.v1alpha1.SecretKeySelector("bao-token", "token"));
      t.setAuth(auth);
      var p = new dev.keyops.api.v1alpha1.Provider();
      p.setTransit(t);
      EncryptionKey k = Fixtures.key("t1", "ring", p);
      k.getSpec().setActivate(true);
      h.client().resource(k).create();
      h.awaitKey("t1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
      Secret wrapped = h.client().secrets().inNamespace("default").withName("keyops-key-t1").get();
      try (var g =
          new dev.keyops.kms.transit.HttpTransitGateway(
              new dev.keyops.kms.transit.TransitTarget(bao.address(), null, null),
              new dev.keyops.kms.transit.TransitAuth.Token(
                  dev.keyops.kms.transit.testing.OpenBaoServer.ROOT_TOKEN),
              null,
              Duration.ofSeconds(5))) {
        dek =
            g.decrypt(
                "leak",
                new String(
                    Base64.getDecoder().decode(wrapped.getData().get("wrappedKey")),
                    StandardCharsets.UTF_8),
                "keyops/v1/default/ring/t1".getBytes(StandardCharsets.UTF_8));
      }
      bao.rotate("leak");
      h.awaitKey(
          "t1", x -> "2".equals(x.getStatus().getKms().getKeyVersion()), "re-wrapped onto v2");
      bao.root("PUT", "sys/policies/acl/keyops", java.util.Map.of("policy", policy));
      h.awaitKey(
          "t1",
          x ->
              "TransitCapabilityMissing"
                  .equals(EncryptionKeyControllerTest.reason(x, Conditions.KMS_ACCESS_VERIFIED)),
          "decrypt revoked");
      for (EncryptionKey x :
          h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems()) {
        haystack.add(Serialization.asYaml(x));
      }
      haystack.add(Serialization.asYaml(h.client().v1().events().inNamespace("default").list()));
      haystack.add(h.operator().registry().scrape());
    } finally {
      root.detachAppender(logs);
    }
    for (ILoggingEvent e : logs.list) {
      haystack.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        haystack.add(e.getThrowableProxy().getMessage());
      }
    }
    List<String> forms = new ArrayList<>(forms(dek));
    forms.add(token);
    for (String form : forms) {
      for (int i = 0; i < haystack.size(); i++) {
        String text = haystack.get(i);
        if (text != null && text.contains(form)) {
          String shown = text.replace(form, "<SECRET>");
          throw new AssertionError(
              "transit material or token leaked in item "
                  + i
                  + ": "
                  + shown.substring(0, Math.min(400, shown.length())));
        }
      }
    }
  }

  /**
   * The same for an awsKms key against a real moto enforcing IAM (skipped without -Dkeyops.moto):
   * creation, a disabled key (DataAtRisk) enabled again, a revoked kms:Decrypt; neither the data
   * key nor the operator's secret access key appears in logs, events, status or metrics.
   */
  @Test
  void awsKmsMaterialAndSecretAccessKeyNeverAppearInLogsEventsOrStatus() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    List<String> haystack = new ArrayList<>();
    byte[] dek;
    String secretAccessKey;
    try (var moto = dev.keyops.kms.aws.testing.MotoServer.startEnforcingIam();
        OperatorHarness h = new OperatorHarness(Duration.ofMillis(500))) {
      root.addAppender(logs);
      String arn = moto.createKey();
      List<String> all =
          List.of("kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GetKeyRotationStatus");
      var op = moto.userAllowed("keyops", all, "*");
      secretAccessKey = op.secretAccessKey();
      h.client()
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("aws-keys")
                  .withNamespace("default")
                  .endMetadata()
                  .addToData(
                      "AWS_ACCESS_KEY_ID",
                      Base64.getEncoder().encodeToString(op.accessKeyId().getBytes()))
                  .addToData(
                      "AWS_SECRET_ACCESS_KEY",
                      Base64.getEncoder().encodeToString(secretAccessKey.getBytes()))
                  .build())
          .create();
      var a = new dev.keyops.api.v1alpha1.AwsKmsProvider();
      a.setKeyId(arn);
      a.setEndpoint(moto.endpoint());
      a.setCredentialsSecretRef(new dev.keyops.api.v1alpha1.AwsCredentialsSecretRef("aws-keys"));
      var p = new dev.keyops.api.v1alpha1.Provider();
      p.setAwsKms(a);
      EncryptionKey k = Fixtures.key("a1", "ring", p);
      k.getSpec().setActivate(true);
      h.client().resource(k).create();
      h.awaitKey("a1", x -> x.getStatus().getState() == KeyState.Primary, "Primary");
      Secret wrapped = h.client().secrets().inNamespace("default").withName("keyops-key-a1").get();
      try (var g =
          new dev.keyops.kms.aws.SdkAwsKmsGateway(
              new dev.keyops.kms.aws.AwsKmsTarget(arn, null, moto.endpoint()),
              software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                  moto.adminCredentials()),
              Duration.ofSeconds(5))) {
        dek =
            g.decrypt(
                Base64.getDecoder().decode(wrapped.getData().get("wrappedKey")),
                java.util.Map.of("keyops", "v1/default/ring/a1"));
      }
      moto.disable(arn);
      h.awaitKey(
          "a1",
          x -> Conditions.isTrue(x.getStatus().getConditions(), Conditions.DATA_AT_RISK),
          "DataAtRisk");
      moto.enable(arn);
      h.awaitKey(
          "a1",
          x -> Conditions.isTrue(x.getStatus().getConditions(), Conditions.READY),
          "Ready again");
      moto.allow(
          "keyops", List.of("kms:DescribeKey", "kms:Encrypt", "kms:GetKeyRotationStatus"), "*");
      h.awaitKey(
          "a1",
          x ->
              "AwsKmsAccessDenied"
                  .equals(EncryptionKeyControllerTest.reason(x, Conditions.KMS_ACCESS_VERIFIED)),
          "decrypt revoked");
      for (EncryptionKey x :
          h.client().resources(EncryptionKey.class).inNamespace("default").list().getItems()) {
        haystack.add(Serialization.asYaml(x));
      }
      haystack.add(Serialization.asYaml(h.client().v1().events().inNamespace("default").list()));
      haystack.add(h.operator().registry().scrape());
    } finally {
      root.detachAppender(logs);
    }
    for (ILoggingEvent e : logs.list) {
      haystack.add(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        haystack.add(e.getThrowableProxy().getMessage());
      }
    }
    List<String> forms = new ArrayList<>(forms(dek));
    forms.add(secretAccessKey);
    for (String form : forms) {
      for (int i = 0; i < haystack.size(); i++) {
        String text = haystack.get(i);
        if (text != null && text.contains(form)) {
          String shown = text.replace(form, "<SECRET>");
          throw new AssertionError(
              "awsKms material or secret access key leaked in item "
                  + i
                  + ": "
                  + shown.substring(0, Math.min(400, shown.length())));
        }
      }
    }
  }

  /** Recognisable pieces of a key in every encoding (prefixes, so partial leaks are caught too). */
  public static List<String> forms(byte[] key) {
    String std = Base64.getEncoder().encodeToString(key);
    String url = Base64.getUrlEncoder().encodeToString(key);
    String hex = HexFormat.of().formatHex(key);
    return List.of(
        std.substring(0, 16),
        std.substring(20, 36),
        url.substring(0, 16),
        hex.substring(0, 16),
        hex.substring(30, 46),
        HexFormat.of().withUpperCase().formatHex(key).substring(0, 16));
  }
}
