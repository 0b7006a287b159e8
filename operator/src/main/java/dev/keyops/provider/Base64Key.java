package dev.keyops.provider;

import java.util.Base64;

/**
 * Checks a customer-provided key: canonical standard Base64 (RFC 4648 section 4) of exactly 32
 * bytes. Every failure says what is wrong without echoing the value.
 */
public final class Base64Key {

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  private Base64Key() {}

  /** Decodes the key or throws {@link InvalidKeyMaterialException} naming the problem. */
  public static byte[] decode(String value) {
    if (value == null || value.isEmpty()) {
      throw new InvalidKeyMaterialException(
          "the value is empty: expected the standard Base64 of 32 bytes (44 characters ending in '=')");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isWhitespace(c)) {
        throw new InvalidKeyMaterialException(
            "the value contains whitespace at position "
                + i
                + " (often a trailing newline from `echo`): store it without whitespace, e.g. `openssl rand -base64 32 | tr -d '\\n'`");
      }
      if (c == '-' || c == '_') {
        throw new InvalidKeyMaterialException(
            "the value contains '"
                + c
                + "' at position "
                + i
                + ": that is URL-safe Base64; use the standard alphabet ('+' and '/')");
      }
      if (c != '=' && ALPHABET.indexOf(c) < 0) {
        throw new InvalidKeyMaterialException(
            "the value contains a character outside the standard Base64 alphabet at position " + i);
      }
    }
    int firstPad = value.indexOf('=');
    if (firstPad >= 0 && !value.substring(firstPad).chars().allMatch(ch -> ch == '=')) {
      throw new InvalidKeyMaterialException("'=' padding appears before the end of the value");
    }
    if (value.length() % 4 != 0) {
      throw new InvalidKeyMaterialException(
          "the value has "
              + value.length()
              + " characters, not a multiple of 4: padding is missing or wrong"
              + " (32 bytes are 44 characters ending in exactly one '=')");
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyMaterialException("the value is not valid Base64 (bad padding)");
    }
    if (!Base64.getEncoder().encodeToString(decoded).equals(value)) {
      throw new InvalidKeyMaterialException(
          "the value is not canonical Base64: the bits after the last byte are not zero");
    }
    if (decoded.length != 32) {
      throw new InvalidKeyMaterialException(
          "the value decodes to "
              + decoded.length
              + " bytes; an AES-256 key has exactly 32 (generate one with `openssl rand -base64 32`)");
    }
    return decoded;
  }
}
