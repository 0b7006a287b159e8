package dev.keyops.partition;

/** Unwraps a gcpKms key's data key through Cloud KMS (Decrypt). */
@FunctionalInterface
public interface DataKeyUnwrapper {

  /**
   * @return the 32-byte data key
   * @throws PartitionException of kind KEY_UNAVAILABLE when Cloud KMS refuses or fails
   */
  byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData);

  /** An unwrapper for processes that have no Cloud KMS access configured. */
  DataKeyUnwrapper NONE =
      (name, wrapped, aad) -> {
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "no Cloud KMS client is configured to unwrap the data key of " + name);
      };
}
