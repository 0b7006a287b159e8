package dev.keyops.kms.aws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.aws.testing.MotoServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;

/**
 * The real AWS SDK against a real moto server: what keyops calls and how failures are classified.
 */
class AwsKmsGatewayTest {

  private static final Map<String, String> CONTEXT = Map.of("keyops", "v1/shop/orders/orders-1");

  private static SdkAwsKmsGateway gateway(MotoServer moto, String keyId, AwsBasicCredentials c) {
    return new SdkAwsKmsGateway(
        new AwsKmsTarget(keyId, MotoServer.REGION, moto.endpoint()),
        StaticCredentialsProvider.create(c),
        Duration.ofSeconds(5));
  }

  @Test
  void describesWrapsAndUnwrapsWithTheEncryptionContextThroughAnAlias() {
    try (MotoServer moto = MotoServer.start()) {
      String arn = moto.createKey();
      moto.alias("orders", arn);
      try (var g = gateway(moto, "alias/orders", moto.adminCredentials())) {
        var info = g.describeKey();
        assertEquals(arn, info.arn());
        assertTrue(info.enabled());
        assertEquals("Enabled", info.state());
        assertEquals("SYMMETRIC_DEFAULT", info.keySpec());
        assertEquals("ENCRYPT_DECRYPT", info.usage());
        byte[] dek = new byte[32];
        new java.security.SecureRandom().nextBytes(dek);
        var w = g.encrypt(dek, CONTEXT);
        assertEquals(arn, w.keyArn());
        assertArrayEquals(dek, g.decrypt(w.ciphertext(), CONTEXT));
        var wrongContext =
            assertThrows(
                AwsKmsException.class,
                () -> g.decrypt(w.ciphertext(), Map.of("keyops", "v1/shop/orders/other")));
        assertFalse(wrongContext.transientFailure(), wrongContext.getMessage());
        assertEquals(AwsKmsGateway.DECRYPT, wrongContext.action());
        assertNotNull(g.rotationEnabled(info.arn()), "moto answers GetKeyRotationStatus");
      }
    }
  }

  @Test
  void aMissingKeyIsNotFound() {
    try (MotoServer moto = MotoServer.start();
        var g =
            gateway(
                moto,
                "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
                moto.adminCredentials())) {
      var e = assertThrows(AwsKmsException.class, g::describeKey);
      assertEquals(AwsKmsException.Kind.NOT_FOUND, e.kind(), e.getMessage());
    }
  }

  @Test
  void describeKeyReportsSpecUsageStateAndDeletionDate() {
    try (MotoServer moto = MotoServer.start()) {
      String signing = moto.createKey(KeySpec.RSA_2048, KeyUsageType.SIGN_VERIFY);
      try (var g = gateway(moto, signing, moto.adminCredentials())) {
        assertEquals("RSA_2048", g.describeKey().keySpec());
        assertEquals("SIGN_VERIFY", g.describeKey().usage());
      }
      String arn = moto.createKey();
      try (var g = gateway(moto, arn, moto.adminCredentials())) {
        moto.disable(arn);
        assertEquals("Disabled", g.describeKey().state());
        assertFalse(g.describeKey().enabled());
        moto.enable(arn);
        moto.scheduleDeletion(arn, 7);
        var info = g.describeKey();
        assertEquals("PendingDeletion", info.state());
        assertNotNull(info.deletionDate());
      }
    }
  }

  @Test
  void aDeniedActionIsNamedAndFinal() {
    try (MotoServer moto = MotoServer.startEnforcingIam()) {
      String arn = moto.createKey();
      AwsBasicCredentials encryptOnly =
          moto.userAllowed("encrypt-only", List.of("kms:Encrypt", "kms:DescribeKey"), "*");
      try (var g = gateway(moto, arn, encryptOnly)) {
        var w = g.encrypt(new byte[32], CONTEXT);
        var e = assertThrows(AwsKmsException.class, () -> g.decrypt(w.ciphertext(), CONTEXT));
        assertEquals(AwsKmsException.Kind.ACCESS_DENIED, e.kind(), e.getMessage());
        assertEquals(AwsKmsGateway.DECRYPT, e.action());
        assertTrue(e.getMessage().startsWith("kms:Decrypt on " + arn), e.getMessage());
        assertFalse(e.getMessage().contains(encryptOnly.secretAccessKey()), "no secret key");
      }
    }
  }

  @Test
  void anOutageIsTransient() {
    MotoServer moto = MotoServer.start();
    String arn;
    try {
      arn = moto.createKey();
    } finally {
      moto.close();
    }
    try (var g = gateway(moto, arn, AwsBasicCredentials.create("testing", "testing"))) {
      var e = assertThrows(AwsKmsException.class, g::describeKey);
      assertTrue(e.transientFailure(), e.getMessage());
      assertEquals(AwsKmsGateway.DESCRIBE_KEY, e.action());
    }
  }

  @Test
  void keyIdsAreKeyArnsAliasArnsOrAliasNamesWithARegion() {
    assertEquals(
        "eu-west-1",
        new AwsKmsTarget("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab", null, null)
            .region());
    assertEquals(
        "eu-west-1",
        new AwsKmsTarget("arn:aws:kms:eu-west-1:123456789012:alias/orders", null, null).region());
    assertEquals("us-east-2", new AwsKmsTarget("alias/orders", "us-east-2", null).region());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> new AwsKmsTarget("alias/orders", null, null))
            .getMessage()
            .contains("set region"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> new AwsKmsTarget("1234abcd-12ab-34cd", "us-east-1", null))
            .getMessage()
            .contains("not a KMS key ARN"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new AwsKmsTarget("arn:aws:kms:eu-west-1:123456789012:key/x", "us-east-1", null));
    assertThrows(
        IllegalArgumentException.class, () -> new AwsKmsTarget("alias/aws/ebs", "us-east-1", null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new AwsKmsTarget("alias/orders", "us-east-1", "kms.local:4566"));
  }
}
