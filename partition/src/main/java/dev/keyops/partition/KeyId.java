package dev.keyops.partition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A ring key's identifier: 16 bytes, shown as 32 lowercase hex characters. keyops derives it from
 * the EncryptionKey's UID (never from key material), so it is stable, unique and never reused.
 */
public record KeyId(byte[] bytes) {

  private static final Pattern HEX = Pattern.compile("^[0-9a-f]{32}$");

  public KeyId {
    if (bytes.length != PartitionFormat.KEY_ID_SIZE) {
      throw new IllegalArgumentException("a key id has 16 bytes, got " + bytes.length);
    }
    bytes = bytes.clone();
  }

  /** Parses the 32-hex-character form. */
  public static KeyId parse(String hex) {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException(
          "a key id is 32 lowercase hex characters, got '" + hex + "'");
    }
    return new KeyId(HexFormat.of().parseHex(hex));
  }

  /** The key id keyops assigns to the EncryptionKey with this UID. */
  public static KeyId fromUid(String uid) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(("keyops key id\0" + uid).getBytes(StandardCharsets.UTF_8));
      return new KeyId(Arrays.copyOf(digest, PartitionFormat.KEY_ID_SIZE));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  public String hex() {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyId k && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return hex();
  }
}
