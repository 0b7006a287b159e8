package dev.keyops.kms.aws;

/**
 * An AWS KMS call that failed, classified for conditions and retries. Messages carry the KMS
 * action, the error code and the service's error text (which never holds plaintext or credentials),
 * never request bodies.
 */
public class AwsKmsException extends RuntimeException {

  /** What kind of failure. */
  public enum Kind {
    /** NotFoundException: the key or alias does not exist (in this account and region). */
    NOT_FOUND,
    /** AccessDeniedException (real KMS: 400 JSON; moto: 403 XML): the identity lacks the action. */
    ACCESS_DENIED,
    /** DisabledException or KMSInvalidStateException: the key is disabled or pending deletion. */
    DISABLED,
    /**
     * The request was refused for good: wrong encryption context or ciphertext
     * (InvalidCiphertextException, IncorrectKeyException), a key that cannot encrypt
     * (InvalidKeyUsageException), other 4xx.
     */
    INVALID_REQUEST,
    /** No usable credentials: none found, or rejected (UnrecognizedClient, expired token). */
    UNAUTHENTICATED,
    /** Worth retrying: connection refused or reset, timeout, throttling, 5xx. */
    TRANSIENT
  }

  private final Kind kind;
  private final String action;

  public AwsKmsException(Kind kind, String action, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.action = action;
  }

  public Kind kind() {
    return kind;
  }

  /** The IAM action of the call that failed, for example {@code kms:Decrypt}. */
  public String action() {
    return action;
  }

  public boolean transientFailure() {
    return kind == Kind.TRANSIENT;
  }
}
