package dev.keyops.api.v1alpha1;

/** How a ReencryptionJob rebuilds a partition. */
public enum RekeyMode {
  /** New data key and new ciphertext: the answer to a compromised key. */
  Reencrypt,
  /** Only the data key is re-wrapped by the new ring key: routine rotation, no data rewritten. */
  Rewrap
}
