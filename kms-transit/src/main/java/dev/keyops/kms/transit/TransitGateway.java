package dev.keyops.kms.transit;

import java.util.List;
import java.util.Map;

/**
 * The Transit calls keyops makes (OpenBao; HashiCorp Vault speaks the same API). The production
 * implementation is {@link HttpTransitGateway}.
 */
public interface TransitGateway extends AutoCloseable {

  /** The key type keyops requires. */
  String REQUIRED_TYPE = "aes256-gcm96";

  /**
   * A Transit key as {@code GET <mount>/keys/<name>} describes it.
   *
   * @param type for example aes256-gcm96
   * @param latestVersion the version new encryptions use
   * @param minDecryptionVersion ciphertexts of lower versions are refused
   * @param minAvailableVersion versions below it are trimmed (gone); 0 when nothing was trimmed
   * @param derived whether the key needs a derivation context
   */
  record KeyInfo(
      String type,
      int latestVersion,
      int minDecryptionVersion,
      int minAvailableVersion,
      boolean derived,
      boolean supportsEncryption,
      boolean supportsDecryption) {}

  /**
   * A wrapped value.
   *
   * @param ciphertext {@code vault:vN:...}
   * @param keyVersion N
   */
  record Wrapped(String ciphertext, int keyVersion) {}

  TransitTarget target();

  KeyInfo readKey(String keyName);

  /**
   * {@code POST sys/capabilities-self}: the token's capabilities on each path (API paths without
   * /v1, for example {@code transit/encrypt/orders}).
   */
  Map<String, List<String>> capabilities(List<String> paths);

  /** {@code POST <mount>/encrypt/<name>} with associated data. */
  Wrapped encrypt(String keyName, byte[] plaintext, byte[] associatedData);

  /** {@code POST <mount>/decrypt/<name>} with associated data. */
  byte[] decrypt(String keyName, String ciphertext, byte[] associatedData);

  /** The version N of a {@code vault:vN:...} ciphertext, or -1 when it has no such prefix. */
  static int versionOf(String ciphertext) {
    if (ciphertext == null || !ciphertext.startsWith("vault:v")) {
      return -1;
    }
    int end = ciphertext.indexOf(':', "vault:v".length());
    try {
      return end < 0 ? -1 : Integer.parseInt(ciphertext.substring("vault:v".length(), end));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  void close();
}
