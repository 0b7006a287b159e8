package dev.keyops.partition;

/** A partition that cannot be read, with the kind of failure. Never carries key material. */
public class PartitionException extends RuntimeException {

  /** What went wrong. */
  public enum Kind {
    /** A plain file where an encrypted partition is required. */
    NOT_ENCRYPTED,
    /** No slot's key id is in the keyring. */
    UNKNOWN_KEY,
    /** The ring key exists but cannot be used (for example Cloud KMS access denied). */
    KEY_UNAVAILABLE,
    /** The header or body fails authentication, or the file is truncated. */
    CORRUPT,
    /** No Primary key to encrypt with. */
    NO_PRIMARY
  }

  private final Kind kind;
  private final boolean transientFailure;

  public PartitionException(Kind kind, String message) {
    this(kind, message, false);
  }

  public PartitionException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.transientFailure = false;
  }

  /**
   * @param transientFailure the failure may go away by itself (Cloud KMS UNAVAILABLE or
   *     DEADLINE_EXCEEDED): retry later; never conclude the key is lost
   */
  public PartitionException(Kind kind, String message, boolean transientFailure) {
    super(message);
    this.kind = kind;
    this.transientFailure = transientFailure;
  }

  public Kind kind() {
    return kind;
  }

  /** Whether retrying later may succeed (a KMS outage), as opposed to a refusal or a lost key. */
  public boolean transientFailure() {
    return transientFailure;
  }
}
