package dev.keyops.api.v1alpha1;

/** Lifecycle state of an {@link EncryptionKey}: Staged, then Primary, then Retired; never back. */
public enum KeyState {
  /** Known to readers (decrypt-only); not yet used to encrypt. */
  Staged,
  /** The one key of its key ring that encrypts new data. */
  Primary,
  /** Replaced by a newer Primary; still decrypts until no partition uses it. */
  Retired
}
