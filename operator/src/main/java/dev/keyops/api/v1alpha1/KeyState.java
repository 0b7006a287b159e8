package dev.keyops.api.v1alpha1;

/**
 * Lifecycle state of an {@link EncryptionKey}: Staged, then Primary, then Retired; never back. A
 * Retired key may be Disabled (and enabled again); a deleted Retired or Disabled key is
 * DestroyScheduled until its material is destroyed.
 */
public enum KeyState {
  /** Known to readers (decrypt-only); not yet used to encrypt. */
  Staged,
  /** The one key of its key ring that encrypts new data. */
  Primary,
  /** Replaced by a newer Primary; still decrypts until no partition uses it. */
  Retired,
  /** Retired and taken out of the keyring Secret on request; material kept; reversible. */
  Disabled,
  /** Deleted; material kept (out of the keyring) until status.destroyTime. */
  DestroyScheduled
}
