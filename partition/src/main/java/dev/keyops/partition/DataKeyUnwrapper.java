package dev.keyops.partition;

/**
 * Unwraps a ring key's wrapped data key through its key manager: Cloud KMS Decrypt for gcpKms keys
 * (keyops-kms-gcp), Transit decrypt for transit keys (keyops-kms-transit). The keyring calls {@link
 * #unwrap(KeyBundleDocument.Entry, byte[], byte[])}, which by default hands the entry's key name to
 * the three-argument method; an unwrapper that needs more of the entry (a Transit address)
 * overrides it.
 */
@FunctionalInterface
public interface DataKeyUnwrapper {

  /**
   * @return the 32-byte data key
   * @throws PartitionException of kind KEY_UNAVAILABLE when Cloud KMS refuses or fails
   */
  byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData);

  /**
   * Unwraps the data key of a keyring entry (its provider, key name and, for transit keys, where
   * the Transit key lives).
   *
   * @return the 32-byte data key
   * @throws PartitionException of kind KEY_UNAVAILABLE when the key manager refuses or fails
   */
  default byte[] unwrap(KeyBundleDocument.Entry entry, byte[] wrappedKey, byte[] associatedData) {
    return unwrap(entry.kmsKeyName(), wrappedKey, associatedData);
  }

  /** An unwrapper for processes that have no Cloud KMS access configured. */
  DataKeyUnwrapper NONE =
      (name, wrapped, aad) -> {
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "no Cloud KMS client is configured to unwrap the data key of " + name);
      };
}
