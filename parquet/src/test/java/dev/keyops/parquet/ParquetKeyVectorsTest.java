package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.subtle.AesGcmJce;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.KeyAccessDeniedException;
import org.apache.parquet.crypto.ParquetCryptoRuntimeException;
import org.junit.jupiter.api.Test;

/**
 * The published wrapped-key vectors (docs/test-vectors/parquet) are what this test computes from
 * fixed ring key material, fixed Parquet keys and fixed IVs with plain JCE AES-GCM, and the keyops
 * KmsClient unwraps each valid one and refuses each invalid one as the file says. The Python
 * KmsClient checks the same files. Regenerate (after a deliberate format change only) with {@code
 * -Dkeyops.writeParquetVectors=true}.
 */
class ParquetKeyVectorsTest {

  static final Path DIR =
      Path.of(System.getProperty("keyops.repoRoot", ".."), "docs/test-vectors/parquet");
  static final ObjectMapper JSON = new ObjectMapper();
  static final String RING = "parquet-vectors";

  static byte[] derive(String label, int length) throws Exception {
    byte[] d =
        MessageDigest.getInstance("SHA-256")
            .digest(("keyops parquet test vector " + label).getBytes(StandardCharsets.UTF_8));
    byte[] out = new byte[length];
    System.arraycopy(d, 0, out, 0, length);
    return out;
  }

  static KeyId keyA() {
    return KeyId.fromUid("parquet-vector-key-a");
  }

  static KeyId keyB() {
    return KeyId.fromUid("parquet-vector-key-b");
  }

  static KeyBundleDocument keyring() throws Exception {
    var b64 = Base64.getEncoder();
    return new KeyBundleDocument(
        KeyBundleDocument.FORMAT,
        "test-vectors",
        RING,
        keyB().hex(),
        List.of(
            new KeyBundleDocument.Entry(
                keyB().hex(),
                "parquet-vector-key-b",
                "Primary",
                "managed",
                b64.encodeToString(derive("ring key b", 32)),
                null,
                null,
                null),
            new KeyBundleDocument.Entry(
                keyA().hex(),
                "parquet-vector-key-a",
                "Retired",
                "managed",
                b64.encodeToString(derive("ring key a", 32)),
                null,
                null,
                null)));
  }

  /** AES-256-GCM with a chosen IV, laid out as Tink's AesGcmJce: IV || ciphertext || tag. */
  static byte[] gcm(byte[] key, byte[] iv, byte[] plaintext, byte[] aad) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
    c.updateAAD(aad);
    byte[] body = c.doFinal(plaintext);
    byte[] out = new byte[iv.length + body.length];
    System.arraycopy(iv, 0, out, 0, iv.length);
    System.arraycopy(body, 0, out, iv.length, body.length);
    return out;
  }

  static ObjectNode valid(String name, String label, KeyId id, String ringLabel, int keyLength)
      throws Exception {
    byte[] material = derive(ringLabel, 32);
    byte[] key = derive("parquet key " + label, keyLength);
    byte[] iv = derive("iv " + label, 12);
    String aad = WrappedKey.AAD_PREFIX + id.hex();
    String wrapped =
        new WrappedKey(id, gcm(material, iv, key, aad.getBytes(StandardCharsets.UTF_8))).encode();
    ObjectNode v = JSON.createObjectNode();
    v.put("name", name);
    v.put("keyId", id.hex());
    v.put("ringKeyMaterial", Base64.getEncoder().encodeToString(material));
    v.put("keyHex", HexFormat.of().formatHex(key));
    v.put("ivHex", HexFormat.of().formatHex(iv));
    v.put("associatedData", aad);
    v.put("wrapped", wrapped);
    return v;
  }

  static ObjectNode invalid(String name, String wrapped, String expect, String why) {
    ObjectNode v = JSON.createObjectNode();
    v.put("name", name);
    v.put("wrapped", wrapped);
    v.put("expect", expect);
    v.put("why", why);
    return v;
  }

  static ObjectNode vectors() throws Exception {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", "keyops1");
    root.put("spec", "docs/parquet-keys.md");
    root.put("keyring", "keyring.json");
    root.put("ringMasterKeyId", MasterKeyId.ring(RING));
    ArrayNode valid = root.putArray("valid");
    ObjectNode dek = valid("dek-128-under-primary", "dek 128", keyB(), "ring key b", 16);
    valid.add(dek);
    valid.add(valid("dek-256-under-primary", "dek 256", keyB(), "ring key b", 32));
    ObjectNode kek = valid("kek-128-under-retired", "kek 128", keyA(), "ring key a", 16);
    valid.add(kek);
    ArrayNode invalid = root.putArray("invalid");
    String good = dek.get("wrapped").asText();
    byte[] ct = WrappedKey.parse(good).ciphertext();
    byte[] tampered = ct.clone();
    tampered[tampered.length - 1] ^= 1;
    invalid.add(
        invalid(
            "tampered-tag",
            new WrappedKey(keyB(), tampered).encode(),
            "unauthentic",
            "last tag byte flipped"));
    invalid.add(
        invalid(
            "key-id-swapped",
            new WrappedKey(keyA(), ct).encode(),
            "unauthentic",
            "ciphertext of key b labelled with key a (associated data names the key id)"));
    invalid.add(
        invalid(
            "unknown-key",
            new WrappedKey(KeyId.fromUid("parquet-vector-key-gone"), ct).encode(),
            "unknown-key",
            "a key id that is not in keyring.json"));
    String b64 = good.substring(good.lastIndexOf(':') + 1);
    invalid.add(
        invalid("no-prefix", keyB().hex() + ":" + b64, "malformed", "keyops1: prefix missing"));
    invalid.add(
        invalid(
            "other-version", "keyops2:" + keyB().hex() + ":" + b64, "malformed", "unknown tag"));
    invalid.add(
        invalid(
            "uppercase-key-id",
            "keyops1:" + keyB().hex().toUpperCase() + ":" + b64,
            "malformed",
            "key id must be lowercase hex"));
    invalid.add(
        invalid(
            "base64-unpadded",
            "keyops1:" + keyB().hex() + ":" + b64.replace("=", ""),
            "malformed",
            "padding is required"));
    invalid.add(
        invalid(
            "base64-url-alphabet",
            "keyops1:" + keyB().hex() + ":" + b64.replace('+', '-').replace('/', '_') + "-_",
            "malformed",
            "standard alphabet only"));
    invalid.add(
        invalid(
            "too-short",
            "keyops1:" + keyB().hex() + ":" + Base64.getEncoder().encodeToString(new byte[27]),
            "malformed",
            "fewer than 28 bytes (IV and tag)"));
    return root;
  }

  @Test
  void publishedVectorsAreWhatTheFormatComputes() throws Exception {
    ObjectNode expected = vectors();
    byte[] ring = KeyBundle.toJson(keyring());
    if (Boolean.getBoolean("keyops.writeParquetVectors")) {
      Files.createDirectories(DIR);
      Files.write(DIR.resolve("keyring.json"), ring);
      Files.write(
          DIR.resolve("vectors.json"),
          JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(expected));
    }
    assertEquals(expected, JSON.readTree(DIR.resolve("vectors.json").toFile()));
    assertEquals(JSON.readTree(ring), JSON.readTree(DIR.resolve("keyring.json").toFile()));
    // Every shape check in the vectors is also a real failure of the parser or the client.
    assertTrue(expected.get("invalid").size() >= 9);
  }

  @Test
  void tinkAndTheClientUnwrapEveryValidVector() throws Exception {
    JsonNode root = JSON.readTree(DIR.resolve("vectors.json").toFile());
    KeyopsKmsClient client = client();
    for (JsonNode v : root.get("valid")) {
      byte[] key = HexFormat.of().parseHex(v.get("keyHex").asText());
      WrappedKey w = WrappedKey.parse(v.get("wrapped").asText());
      assertEquals(v.get("keyId").asText(), w.keyId().hex(), v.get("name").asText());
      byte[] material = Base64.getDecoder().decode(v.get("ringKeyMaterial").asText());
      assertArrayEquals(key, w.unwrap(new AesGcmJce(material)), v.get("name").asText());
      assertArrayEquals(key, client.unwrapKey(v.get("wrapped").asText(), "ring-" + RING));
      assertArrayEquals(key, client.unwrapKey(v.get("wrapped").asText(), w.keyId().hex()));
      // And the encoder gives back the same string.
      assertEquals(v.get("wrapped").asText(), w.encode());
    }
  }

  @Test
  void theClientRefusesEveryInvalidVectorAsPublished() throws Exception {
    JsonNode root = JSON.readTree(DIR.resolve("vectors.json").toFile());
    KeyopsKmsClient client = client();
    for (JsonNode v : root.get("invalid")) {
      String name = v.get("name").asText();
      String wrapped = v.get("wrapped").asText();
      RuntimeException e =
          assertThrows(
              RuntimeException.class, () -> client.unwrapKey(wrapped, "ring-" + RING), name);
      switch (v.get("expect").asText()) {
        case "malformed" -> {
          assertThrows(IllegalArgumentException.class, () -> WrappedKey.parse(wrapped), name);
          assertInstanceOf(ParquetCryptoRuntimeException.class, e, name);
        }
        case "unauthentic" -> {
          assertInstanceOf(KeyAccessDeniedException.class, e, name);
          assertTrue(e.getMessage().contains("does not authenticate"), name + ": " + e);
        }
        case "unknown-key" -> {
          assertInstanceOf(KeyAccessDeniedException.class, e, name);
          assertTrue(e.getMessage().contains("not in the keyring"), name + ": " + e);
        }
        default -> fail("unknown expectation " + v);
      }
      assertTrue(!e.getMessage().contains(wrapped), name + " quotes the wrapped key");
    }
  }

  @Test
  void aFreshWrapUsesARandomIvAndUnwrapsWithTheVectorKeyring() throws Exception {
    KeyopsKmsClient client = client();
    byte[] key = derive("fresh", 16);
    String a = client.wrapKey(key, "ring-" + RING);
    String b = client.wrapKey(key, "ring-" + RING);
    assertTrue(a.startsWith("keyops1:" + keyB().hex() + ":"), a);
    assertTrue(!a.equals(b), "two wraps of one key must differ (random IV)");
    assertArrayEquals(key, client.unwrapKey(a, keyB().hex()));
    ParquetCryptoRuntimeException mismatch =
        assertThrows(ParquetCryptoRuntimeException.class, () -> client.unwrapKey(a, keyA().hex()));
    assertTrue(mismatch.getMessage().contains("mixed up"), mismatch.getMessage());
  }

  static KeyopsKmsClient client() {
    KeyopsKmsClient client = new KeyopsKmsClient();
    Configuration conf = new Configuration(false);
    conf.set(KeyopsKmsClient.KEYRING_PROPERTY, DIR.resolve("keyring.json").toString());
    client.initialize(conf, "DEFAULT", "DEFAULT", "DEFAULT");
    return client;
  }
}
