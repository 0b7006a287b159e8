package dev.keyops.kms.transit;

/**
 * A Transit call that failed, classified for conditions and retries. Messages carry the HTTP status
 * and the server's error text (which never contains plaintext), never request bodies.
 */
public class TransitException extends RuntimeException {

  /** What kind of failure. */
  public enum Kind {
    /** 404: the key (or mount) does not exist. */
    NOT_FOUND,
    /** 403: the token lacks a capability, or is not valid (expired, revoked). */
    PERMISSION_DENIED,
    /**
     * 400: the server refused the request for good: wrong associated data, a ciphertext version
     * below min_decryption_version, a key type that cannot encrypt.
     */
    INVALID_REQUEST,
    /** No token could be obtained (Kubernetes login refused, token file unreadable). */
    UNAUTHENTICATED,
    /** Worth retrying: connection refused or reset, timeout, 429, 5xx (sealed, standby). */
    TRANSIENT
  }

  private final Kind kind;
  private final int status;

  public TransitException(Kind kind, int status, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, or 0 when no response arrived. */
  public int status() {
    return status;
  }

  public boolean transientFailure() {
    return kind == Kind.TRANSIENT;
  }

  /** The kind for an HTTP status other than 2xx. */
  public static Kind kindOf(int status) {
    if (status == 404) {
      return Kind.NOT_FOUND;
    }
    if (status == 401 || status == 403) {
      return Kind.PERMISSION_DENIED;
    }
    if (status == 429 || status >= 500 || status == 412) {
      return Kind.TRANSIENT; // 412: a performance standby not caught up yet
    }
    return Kind.INVALID_REQUEST;
  }
}
