package dev.keyops.provider;

/**
 * Usable key material of an EncryptionKey, as it goes into the keyring. Never printed: toString
 * shows only the fingerprint.
 */
public sealed interface Material {

  /** Key check value (see {@link Fingerprint}). */
  String fingerprint();

  /** Raw 32-byte key: managed and secretRef keys. */
  record Raw(byte[] key, String fingerprint) implements Material {
    @Override
    public byte[] key() {
      return key.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Raw r && fingerprint.equals(r.fingerprint);
    }

    @Override
    public int hashCode() {
      return fingerprint.hashCode();
    }

    @Override
    public String toString() {
      return "Raw[fingerprint=" + fingerprint + "]";
    }
  }

  /**
   * A data key wrapped by a key manager: gcpKms keys (Cloud KMS), transit keys (Transit, whose
   * location {@code transit} names) and awsKms keys (AWS KMS, whose key, region and encryption
   * context {@code awsKms} names). The plaintext data key is never stored.
   */
  record Wrapped(
      String kmsKeyName,
      byte[] wrappedKey,
      String keyVersion,
      String associatedData,
      String fingerprint,
      dev.keyops.partition.KeyBundleDocument.Transit transit,
      dev.keyops.partition.KeyBundleDocument.AwsKms awsKms)
      implements Material {

    /** A Cloud KMS or Transit wrapping. */
    public Wrapped(
        String kmsKeyName,
        byte[] wrappedKey,
        String keyVersion,
        String associatedData,
        String fingerprint,
        dev.keyops.partition.KeyBundleDocument.Transit transit) {
      this(kmsKeyName, wrappedKey, keyVersion, associatedData, fingerprint, transit, null);
    }

    /** A Cloud KMS wrapping. */
    public Wrapped(
        String kmsKeyName,
        byte[] wrappedKey,
        String keyVersion,
        String associatedData,
        String fingerprint) {
      this(kmsKeyName, wrappedKey, keyVersion, associatedData, fingerprint, null);
    }

    @Override
    public byte[] wrappedKey() {
      return wrappedKey.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Wrapped w
          && fingerprint.equals(w.fingerprint)
          && kmsKeyName.equals(w.kmsKeyName);
    }

    @Override
    public int hashCode() {
      return fingerprint.hashCode();
    }

    @Override
    public String toString() {
      return "Wrapped[kmsKeyName=" + kmsKeyName + ", fingerprint=" + fingerprint + "]";
    }
  }
}
