package dev.keyops.kms.gcp;

/** A Cloud KMS call that failed, classified for conditions and retries. */
public class KmsException extends RuntimeException {

  /** What kind of failure. */
  public enum Kind {
    NOT_FOUND,
    PERMISSION_DENIED,
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    UNAUTHENTICATED,
    /** Worth retrying: unavailable, deadline exceeded, quota, internal. */
    TRANSIENT
  }

  private final Kind kind;

  public KmsException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public boolean transientFailure() {
    return kind == Kind.TRANSIENT;
  }
}
