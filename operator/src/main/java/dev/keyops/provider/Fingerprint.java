package dev.keyops.provider;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Key check value: the first 8 bytes, in hex, of HMAC-SHA256(key, "keyops key check value"). It
 * lets a user confirm which material they gave (compute it the same way) and reveals nothing usable
 * about the key.
 */
public final class Fingerprint {

  private static final byte[] LABEL = "keyops key check value".getBytes(StandardCharsets.US_ASCII);

  private Fingerprint() {}

  public static String of(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(Arrays.copyOf(mac.doFinal(LABEL), 8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
