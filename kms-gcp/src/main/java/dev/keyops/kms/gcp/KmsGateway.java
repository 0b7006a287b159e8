package dev.keyops.kms.gcp;

import java.time.Instant;
import java.util.List;

/** The Cloud KMS calls keyops makes. The production implementation is {@link GcpKmsGateway}. */
public interface KmsGateway extends AutoCloseable {

  /** The state of a key version. */
  enum VersionState {
    ENABLED,
    DISABLED,
    DESTROYED,
    DESTROY_SCHEDULED,
    PENDING,
    OTHER
  }

  /**
   * @param purposeEncryptDecrypt whether the key's purpose is ENCRYPT_DECRYPT
   * @param primaryVersion resource name of the primary version, or null
   * @param primaryState state of the primary version, or null
   */
  record CryptoKeyInfo(
      boolean purposeEncryptDecrypt,
      String purpose,
      String primaryVersion,
      VersionState primaryState) {}

  /**
   * @param keyVersion the key version that encrypted
   */
  record Wrapped(byte[] ciphertext, String keyVersion) {}

  /**
   * One key version, as GetCryptoKeyVersion returns it.
   *
   * @param name resource name ({@code .../cryptoKeys/K/cryptoKeyVersions/N})
   * @param destroyTime when a DESTROY_SCHEDULED version's material will be destroyed, else null
   */
  record VersionInfo(String name, VersionState state, Instant destroyTime) {}

  CryptoKeyInfo getCryptoKey(String keyName);

  /** GetCryptoKeyVersion: the state of one version (the one that wrapped a data key). */
  VersionInfo getCryptoKeyVersion(String versionName);

  /** Returns the subset of {@code permissions} the caller holds on the key. */
  List<String> testIamPermissions(String keyName, List<String> permissions);

  Wrapped encrypt(String keyName, byte[] plaintext, byte[] associatedData);

  byte[] decrypt(String keyName, byte[] ciphertext, byte[] associatedData);

  @Override
  void close();
}
