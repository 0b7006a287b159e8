package dev.keyops.kms.aws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.aws.testing.MotoServer;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The workload side: a keyring entry of an awsKms key unwrapped against a real moto server. */
class AwsKmsDataKeyUnwrapperTest {

  private static final String AAD = "keyops/v1/shop/orders/orders-1";
  private static final Map<String, String> CONTEXT =
      Map.of("keyops", "v1/shop/orders/orders-1", "team", "payments");

  private record Wrapped(String arn, byte[] dek, byte[] blob) {}

  private static Wrapped wrap(MotoServer moto) {
    String arn = moto.createKey();
    byte[] dek = new byte[32];
    new java.security.SecureRandom().nextBytes(dek);
    try (var g = gateway(moto.adminCredentials(), new AwsKmsTarget(arn, null, moto.endpoint()))) {
      return new Wrapped(arn, dek, g.encrypt(dek, CONTEXT).ciphertext());
    }
  }

  private static SdkAwsKmsGateway gateway(AwsBasicCredentials c, AwsKmsTarget t) {
    return new SdkAwsKmsGateway(t, StaticCredentialsProvider.create(c), Duration.ofSeconds(5));
  }

  private static byte[] unwrap(
      AwsKmsDataKeyUnwrapper u, MotoServer moto, Wrapped w, Map<String, String> context) {
    var entry =
        new KeyBundleDocument.Entry(
            "0123456789abcdef0123456789abcdef",
            "orders-1",
            "Primary",
            AwsKmsDataKeyUnwrapper.PROVIDER,
            null,
            w.arn(),
            Base64.getEncoder().encodeToString(w.blob()),
            AAD,
            null,
            new KeyBundleDocument.AwsKms(w.arn(), MotoServer.REGION, moto.endpoint(), context));
    return u.unwrap(entry, w.blob(), AAD.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void unwrapsWithOneClientPerKey() {
    try (MotoServer moto = MotoServer.start()) {
      Wrapped w = wrap(moto);
      AtomicInteger clients = new AtomicInteger();
      try (var u =
          new AwsKmsDataKeyUnwrapper(
              t -> {
                clients.incrementAndGet();
                return gateway(moto.adminCredentials(), t);
              })) {
        assertArrayEquals(w.dek(), unwrap(u, moto, w, CONTEXT));
        assertArrayEquals(w.dek(), unwrap(u, moto, w, CONTEXT));
        assertEquals(1, clients.get());
        var e =
            assertThrows(
                PartitionException.class,
                () -> unwrap(u, moto, w, Map.of("keyops", "v1/shop/orders/orders-1")));
        assertFalse(e.transientFailure(), "a wrong encryption context is final");
      }
    }
  }

  @Test
  void deniedIsFinalAndNamesTheStatement() {
    try (MotoServer moto = MotoServer.startEnforcingIam()) {
      Wrapped w = wrap(moto);
      AwsBasicCredentials noDecrypt =
          moto.userAllowed("no-decrypt", List.of("kms:DescribeKey"), "*");
      try (var u = new AwsKmsDataKeyUnwrapper(t -> gateway(noDecrypt, t))) {
        var e = assertThrows(PartitionException.class, () -> unwrap(u, moto, w, CONTEXT));
        assertFalse(e.transientFailure());
        assertTrue(e.getMessage().contains("\"Action\": \"kms:Decrypt\""), e.getMessage());
        assertFalse(e.getMessage().contains(noDecrypt.secretAccessKey()), "no secret key");
      }
    }
  }

  @Test
  void anOutageIsTransient() {
    MotoServer moto = MotoServer.start();
    Wrapped w;
    try {
      w = wrap(moto);
    } finally {
      moto.close();
    }
    try (var u =
        new AwsKmsDataKeyUnwrapper(
            t -> gateway(AwsBasicCredentials.create("testing", "testing"), t))) {
      var e = assertThrows(PartitionException.class, () -> unwrap(u, moto, w, CONTEXT));
      assertTrue(e.transientFailure(), e.getMessage());
    }
  }
}
