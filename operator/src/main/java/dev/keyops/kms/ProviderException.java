package dev.keyops.kms;

import dev.keyops.observability.Reason;

/**
 * Why a key's material cannot be used now. {@code transientFailure} marks failures worth retrying
 * (Cloud KMS unavailable); the others need a user to act, and the message says how.
 */
public class ProviderException extends RuntimeException {

  private final Reason reason;
  private final boolean transientFailure;

  public ProviderException(Reason reason, String message) {
    this(reason, message, false);
  }

  public ProviderException(Reason reason, String message, boolean transientFailure) {
    super(message);
    this.reason = reason;
    this.transientFailure = transientFailure;
  }

  public Reason reason() {
    return reason;
  }

  public boolean transientFailure() {
    return transientFailure;
  }
}
