package dev.keyops.parquet;

import com.google.crypto.tink.Aead;
import dev.keyops.partition.KeyId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;

/**
 * A Parquet key (a data key, or a key-encryption key in double wrapping) wrapped by a keyops ring
 * key: the string a {@code KmsClient} returns from {@code wrapKey} and that Parquet stores in the
 * key material. The format (docs/parquet-keys.md) is {@code keyops1:<keyIdHex>:<base64>}: the ring
 * key's id, then standard Base64 with padding of the AES-256-GCM ciphertext (12-byte IV ||
 * ciphertext || 16-byte tag, Tink's {@code AesGcmJce}) under the ring key's wrapping key, with
 * associated data {@code keyops-parquet/v1/<keyIdHex>}. The key id is in the clear so an inventory
 * knows the ring key without unwrapping anything.
 *
 * @param keyId the ring key that wraps
 * @param ciphertext the AEAD ciphertext (IV, ciphertext, tag)
 */
public record WrappedKey(KeyId keyId, byte[] ciphertext) {

  /** The format tag at the start of every wrapped key. */
  public static final String PREFIX = "keyops1";

  /** Associated data prefix; the key id's hex follows. */
  public static final String AAD_PREFIX = "keyops-parquet/v1/";

  /** IV (12) + tag (16): the shortest ciphertext, that of an empty key. */
  static final int MIN_CIPHERTEXT = 28;

  public WrappedKey {
    ciphertext = ciphertext.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  /** The associated data of a wrap under {@code keyId}. */
  public static byte[] associatedData(KeyId keyId) {
    return (AAD_PREFIX + keyId.hex()).getBytes(StandardCharsets.UTF_8);
  }

  /** Wraps {@code key} under ring key {@code keyId}, whose wrapping AEAD is {@code ringKey}. */
  public static WrappedKey wrap(Aead ringKey, KeyId keyId, byte[] key) {
    if (key == null || key.length == 0) {
      throw new IllegalArgumentException("a Parquet key to wrap has at least one byte, got none");
    }
    try {
      return new WrappedKey(keyId, ringKey.encrypt(key, associatedData(keyId)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("wrapping under ring key " + keyId + " failed", e);
    }
  }

  /**
   * Unwraps with ring key {@code keyId}'s wrapping AEAD.
   *
   * @throws GeneralSecurityException when the ciphertext does not authenticate under that key
   */
  public byte[] unwrap(Aead ringKey) throws GeneralSecurityException {
    return ringKey.decrypt(ciphertext, associatedData(keyId));
  }

  /** The wrapped-key string. */
  public String encode() {
    return PREFIX + ":" + keyId.hex() + ":" + Base64.getEncoder().encodeToString(ciphertext);
  }

  /**
   * Parses a wrapped-key string.
   *
   * @throws IllegalArgumentException saying what is wrong (never quoting the ciphertext)
   */
  public static WrappedKey parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("no wrapped key (null)");
    }
    String[] parts = text.split(":", -1);
    if (parts.length != 3 || !PREFIX.equals(parts[0])) {
      throw new IllegalArgumentException(
          "not a keyops wrapped key: expected keyops1:<32 hex key id>:<base64>, got a string of "
              + text.length()
              + " characters"
              + (parts.length > 1 ? " starting '" + safePrefix(parts[0]) + ":'" : "")
              + "; the file was written with another KmsClient or is corrupt");
    }
    KeyId id;
    try {
      id = KeyId.parse(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "keyops wrapped key has a malformed key id: " + e.getMessage());
    }
    byte[] ct;
    try {
      ct = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "keyops wrapped key for ring key " + id + " is not standard Base64 with padding");
    }
    if (!Base64.getEncoder().encodeToString(ct).equals(parts[2])) {
      throw new IllegalArgumentException(
          "keyops wrapped key for ring key " + id + " is not canonical standard Base64");
    }
    if (ct.length < MIN_CIPHERTEXT) {
      throw new IllegalArgumentException(
          "keyops wrapped key for ring key "
              + id
              + " has "
              + ct.length
              + " bytes of ciphertext; at least "
              + MIN_CIPHERTEXT
              + " (IV and tag) are needed");
    }
    return new WrappedKey(id, ct);
  }

  /** True when {@code text} starts like a keyops wrapped key (no full parse). */
  public static boolean looksLikeKeyops(String text) {
    return text != null && text.startsWith(PREFIX + ":");
  }

  private static String safePrefix(String s) {
    String head = s.length() > 12 ? s.substring(0, 12) : s;
    return head.replaceAll("[^A-Za-z0-9_.-]", "?");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrappedKey w
        && keyId.equals(w.keyId)
        && Arrays.equals(ciphertext, w.ciphertext);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode() * 31 + Arrays.hashCode(ciphertext);
  }

  @Override
  public String toString() {
    return "WrappedKey[keyId=" + keyId + ", " + ciphertext.length + " bytes]";
  }
}
