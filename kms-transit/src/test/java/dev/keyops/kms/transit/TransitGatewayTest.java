package dev.keyops.kms.transit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.transit.testing.OpenBaoServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HttpTransitGateway} against a real OpenBao dev server. */
class TransitGatewayTest {

  private static final byte[] AAD = "keyops/v1/ns/orders/orders-1".getBytes(StandardCharsets.UTF_8);

  private OpenBaoServer bao;

  @BeforeEach
  void start() {
    bao = OpenBaoServer.start();
    bao.createKey("orders", "aes256-gcm96");
  }

  @AfterEach
  void stop() {
    bao.close();
  }

  private HttpTransitGateway gateway(String token) {
    return new HttpTransitGateway(
        new TransitTarget(bao.address(), null, null),
        new TransitAuth.Token(token),
        null,
        Duration.ofSeconds(5));
  }

  @Test
  void readsTheKeyAndRoundTripsWithAssociatedData() {
    var g = gateway(OpenBaoServer.ROOT_TOKEN);
    var info = g.readKey("orders");
    assertEquals("aes256-gcm96", info.type());
    assertEquals(1, info.latestVersion());
    assertEquals(1, info.minDecryptionVersion());
    byte[] dek = new byte[32];
    dek[0] = 7;
    var w = g.encrypt("orders", dek, AAD);
    assertTrue(w.ciphertext().startsWith("vault:v1:"), w.ciphertext());
    assertEquals(1, w.keyVersion());
    assertArrayEquals(dek, g.decrypt("orders", w.ciphertext(), AAD));
    // The associated data binds the wrapped key to its EncryptionKey.
    var wrongAad =
        assertThrows(
            TransitException.class,
            () -> g.decrypt("orders", w.ciphertext(), "keyops/v1/ns/orders/other".getBytes()));
    assertEquals(TransitException.Kind.INVALID_REQUEST, wrongAad.kind());
  }

  @Test
  void classifiesMissingKeysDeniedCallsAndOutages() {
    var root = gateway(OpenBaoServer.ROOT_TOKEN);
    assertEquals(
        TransitException.Kind.NOT_FOUND,
        assertThrows(TransitException.class, () -> root.readKey("nope")).kind());

    String encryptOnly =
        bao.tokenWithPolicy(
            "encrypt-only", "path \"transit/encrypt/orders\" { capabilities = [\"update\"] }");
    var limited = gateway(encryptOnly);
    Map<String, List<String>> caps =
        limited.capabilities(List.of("transit/encrypt/orders", "transit/decrypt/orders"));
    assertEquals(List.of("update"), caps.get("transit/encrypt/orders"));
    assertFalse(caps.get("transit/decrypt/orders").contains("update"));
    var w = limited.encrypt("orders", new byte[32], AAD);
    var denied =
        assertThrows(TransitException.class, () -> limited.decrypt("orders", w.ciphertext(), AAD));
    assertEquals(TransitException.Kind.PERMISSION_DENIED, denied.kind());
    assertEquals(403, denied.status());

    bao.close();
    var down = assertThrows(TransitException.class, () -> root.readKey("orders"));
    assertTrue(down.transientFailure(), down.getMessage());
  }

  @Test
  void followsVersionsAndRefusesVersionsBelowTheMinimum() {
    var g = gateway(OpenBaoServer.ROOT_TOKEN);
    var v1 = g.encrypt("orders", new byte[32], AAD);
    bao.rotate("orders");
    assertEquals(2, g.readKey("orders").latestVersion());
    assertEquals(2, g.encrypt("orders", new byte[32], AAD).keyVersion());
    bao.configure("orders", Map.of("min_decryption_version", 2));
    assertEquals(2, g.readKey("orders").minDecryptionVersion());
    var tooOld =
        assertThrows(TransitException.class, () -> g.decrypt("orders", v1.ciphertext(), AAD));
    assertEquals(TransitException.Kind.INVALID_REQUEST, tooOld.kind());
    assertEquals(1, TransitGateway.versionOf(v1.ciphertext()));
  }
}
