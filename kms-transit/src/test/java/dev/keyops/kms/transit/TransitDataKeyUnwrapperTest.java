package dev.keyops.kms.transit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.transit.testing.OpenBaoServer;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workload side: a keyring entry of a transit key unwrapped against a real OpenBao. */
class TransitDataKeyUnwrapperTest {

  private static final String AAD = "keyops/v1/shop/orders/orders-1";

  @TempDir Path dir;
  private OpenBaoServer bao;
  private byte[] dek;
  private String wrapped;

  @BeforeEach
  void start() {
    bao = OpenBaoServer.start();
    bao.createKey("orders", "aes256-gcm96");
    dek = new byte[32];
    new java.security.SecureRandom().nextBytes(dek);
    try (var g =
        new HttpTransitGateway(
            new TransitTarget(bao.address(), null, null),
            new TransitAuth.Token(OpenBaoServer.ROOT_TOKEN),
            null,
            Duration.ofSeconds(5))) {
      wrapped = g.encrypt("orders", dek, AAD.getBytes(StandardCharsets.UTF_8)).ciphertext();
    }
  }

  @AfterEach
  void stop() {
    bao.close();
  }

  private KeyBundleDocument.Entry entry() {
    return new KeyBundleDocument.Entry(
        "0123456789abcdef0123456789abcdef",
        "orders-1",
        "Primary",
        "transit",
        null,
        "orders",
        java.util.Base64.getEncoder().encodeToString(wrapped.getBytes(StandardCharsets.UTF_8)),
        AAD,
        new KeyBundleDocument.Transit(bao.address(), "transit", null));
  }

  private byte[] unwrap(TransitDataKeyUnwrapper u) {
    return u.unwrap(
        entry(), wrapped.getBytes(StandardCharsets.UTF_8), AAD.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void unwrapsWithATokenFileAndOneClientPerServer() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, OpenBaoServer.ROOT_TOKEN + "\n");
    AtomicInteger clients = new AtomicInteger();
    TransitAuth auth =
        TransitDataKeyUnwrapper.authFromEnvironment(
            Map.of("KEYOPS_TRANSIT_TOKEN_FILE", token.toString()));
    try (var u =
        new TransitDataKeyUnwrapper(
            t -> {
              clients.incrementAndGet();
              return new HttpTransitGateway(t, auth, null, Duration.ofSeconds(5));
            })) {
      assertArrayEquals(dek, unwrap(u));
      assertArrayEquals(dek, unwrap(u));
      assertEquals(1, clients.get());
    }
  }

  @Test
  void deniedIsFinalAndNamesThePolicyLine() {
    String noDecrypt =
        bao.tokenWithPolicy(
            "read-only", "path \"transit/keys/orders\" { capabilities = [\"read\"] }");
    try (var u =
        new TransitDataKeyUnwrapper(
            t ->
                new HttpTransitGateway(
                    t, new TransitAuth.Token(noDecrypt), null, Duration.ofSeconds(5)))) {
      var e = assertThrows(PartitionException.class, () -> unwrap(u));
      assertFalse(e.transientFailure());
      assertTrue(
          e.getMessage()
              .contains("path \"transit/decrypt/orders\" { capabilities = [\"update\"] }"),
          e.getMessage());
      assertFalse(e.getMessage().contains(noDecrypt), "no token in messages");
    }
  }

  @Test
  void anOutageIsTransient() {
    try (var u =
        new TransitDataKeyUnwrapper(
            t ->
                new HttpTransitGateway(
                    t,
                    new TransitAuth.Token(OpenBaoServer.ROOT_TOKEN),
                    null,
                    Duration.ofSeconds(5)))) {
      bao.close();
      var e = assertThrows(PartitionException.class, () -> unwrap(u));
      assertTrue(e.transientFailure(), e.getMessage());
    }
  }

  @Test
  void withoutCredentialsItSaysWhatToSet() {
    try (var u = TransitDataKeyUnwrapper.fromEnvironment(Map.of())) {
      var e = assertThrows(PartitionException.class, () -> unwrap(u));
      assertTrue(e.getMessage().contains("KEYOPS_TRANSIT_ROLE"), e.getMessage());
    }
  }
}
