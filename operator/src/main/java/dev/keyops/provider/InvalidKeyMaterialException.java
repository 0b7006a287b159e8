package dev.keyops.provider;

/** Key material that keyops cannot use; the message says why and never contains the material. */
public class InvalidKeyMaterialException extends RuntimeException {
  public InvalidKeyMaterialException(String message) {
    super(message);
  }
}
