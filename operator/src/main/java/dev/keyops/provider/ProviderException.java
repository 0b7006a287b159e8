package dev.keyops.provider;

import dev.keyops.status.Reason;

/**
 * Why a key's material cannot be used now. {@code transientFailure} marks failures worth retrying
 * (Cloud KMS unavailable); the others need a user to act, and the message says how. Of those, a
 * {@link #inSpec spec error} can be fixed only by editing the EncryptionKey (and the edit wakes the
 * key), so nothing rechecks it.
 */
public class ProviderException extends RuntimeException {

  private final Reason reason;
  private final boolean transientFailure;
  private final boolean specError;

  public ProviderException(Reason reason, String message) {
    this(reason, message, false);
  }

  public ProviderException(Reason reason, String message, boolean transientFailure) {
    this(reason, message, transientFailure, false);
  }

  private ProviderException(
      Reason reason, String message, boolean transientFailure, boolean specError) {
    super(message);
    this.reason = reason;
    this.transientFailure = transientFailure;
    this.specError = specError;
  }

  /** A fault in the EncryptionKey's own spec: only an edit fixes it. */
  public static ProviderException inSpec(Reason reason, String message) {
    return new ProviderException(reason, message, false, true);
  }

  public boolean specError() {
    return specError;
  }

  public Reason reason() {
    return reason;
  }

  public boolean transientFailure() {
    return transientFailure;
  }
}
