package dev.keyops.partition;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The {@code keyring.json} of a keyring Secret: what workloads read to encrypt and decrypt. Its
 * schema is documented in README ("The keyring Secret").
 *
 * @param format schema version, 1
 * @param namespace namespace of the key ring
 * @param keyRing the key ring's name
 * @param primaryKeyId key id of the Primary key, or null when the ring has none yet
 * @param keys every Staged, Primary and Retired key of the ring that is Ready
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record KeyringDocument(
    int format, String namespace, String keyRing, String primaryKeyId, List<Entry> keys) {

  public static final int FORMAT = 1;

  /**
   * One key of the ring.
   *
   * @param keyId 32 hex characters
   * @param name the EncryptionKey's name
   * @param state Staged (decrypt-only), Primary or Retired
   * @param provider managed, secretRef or gcpKms
   * @param material standard Base64 of the 32-byte key (managed and secretRef keys)
   * @param kmsKeyName the Cloud KMS key that wraps the data key (gcpKms keys)
   * @param wrappedKey standard Base64 of the data key wrapped by Cloud KMS (gcpKms keys)
   * @param associatedData the associated data of that wrap, as UTF-8 text (gcpKms keys)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Entry(
      String keyId,
      String name,
      String state,
      String provider,
      String material,
      String kmsKeyName,
      String wrappedKey,
      String associatedData) {

    @Override
    public String toString() {
      // Never print material.
      return "Entry[keyId=" + keyId + ", name=" + name + ", state=" + state + "]";
    }
  }
}
