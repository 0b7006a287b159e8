package dev.keyops.partition;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The {@code keyring.json} of a keyring Secret: what workloads read to encrypt and decrypt. Its
 * schema is documented in docs/workloads.md ("The keyring Secret").
 *
 * @param format schema version, 1
 * @param namespace namespace of the key ring
 * @param keyRing the key ring's name
 * @param primaryKeyId key id of the Primary key, or null when the ring has none yet
 * @param keys every Staged, Primary and Retired key of the ring that is Ready
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record KeyBundleDocument(
    int format, String namespace, String keyRing, String primaryKeyId, List<Entry> keys) {

  public static final int FORMAT = 1;

  /**
   * One key of the ring.
   *
   * @param keyId 32 hex characters
   * @param name the EncryptionKey's name
   * @param state Staged (decrypt-only), Primary or Retired
   * @param provider managed, secretRef, gcpKms, transit or awsKms
   * @param material standard Base64 of the 32-byte key (managed and secretRef keys)
   * @param kmsKeyName the Cloud KMS key (gcpKms keys) or Transit key name (transit keys) that wraps
   *     the data key
   * @param wrappedKey standard Base64 of the wrapped data key: Cloud KMS ciphertext (gcpKms keys),
   *     the UTF-8 bytes of the {@code vault:vN:...} ciphertext (transit keys)
   * @param associatedData the associated data of that wrap, as UTF-8 text (gcpKms and transit)
   * @param transit where the Transit key lives (transit keys only)
   * @param awsKms where the AWS KMS key lives and the encryption context of the wrap (awsKms keys
   *     only; wrappedKey is then the KMS ciphertext blob)
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
      String associatedData,
      Transit transit,
      AwsKms awsKms) {

    /** An entry without an AWS KMS location (managed, secretRef, gcpKms and transit keys). */
    public Entry(
        String keyId,
        String name,
        String state,
        String provider,
        String material,
        String kmsKeyName,
        String wrappedKey,
        String associatedData,
        Transit transit) {
      this(
          keyId,
          name,
          state,
          provider,
          material,
          kmsKeyName,
          wrappedKey,
          associatedData,
          transit,
          null);
    }

    /** An entry without a Transit location (managed, secretRef and gcpKms keys). */
    public Entry(
        String keyId,
        String name,
        String state,
        String provider,
        String material,
        String kmsKeyName,
        String wrappedKey,
        String associatedData) {
      this(
          keyId,
          name,
          state,
          provider,
          material,
          kmsKeyName,
          wrappedKey,
          associatedData,
          null,
          null);
    }

    @Override
    public String toString() {
      // Never print material.
      return "Entry[keyId=" + keyId + ", name=" + name + ", state=" + state + "]";
    }
  }

  /**
   * Where a transit key's Transit key lives (OpenBao, or the HashiCorp Vault Transit API).
   *
   * @param address the server's URL, for example https://openbao.vault:8200
   * @param mount the Transit mount path (default transit)
   * @param namespace the OpenBao/Vault namespace, or null
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Transit(String address, String mount, String namespace) {}

  /**
   * Where an awsKms key's AWS KMS key lives, and the encryption context its data key was wrapped
   * with (Decrypt needs the same context).
   *
   * @param keyId the key ARN, alias ARN or alias/NAME
   * @param region the AWS region
   * @param endpoint a KMS endpoint other than the region's default (a VPC endpoint), or null
   * @param encryptionContext the encryption context of the wrap
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record AwsKms(
      String keyId,
      String region,
      String endpoint,
      java.util.Map<String, String> encryptionContext) {}
}
