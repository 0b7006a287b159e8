package dev.keyops.cli;

/**
 * An error a command reports as one line on stderr (never with a stack trace), with the exit code
 * it ends with.
 */
final class CliException extends RuntimeException {

  private final int exitCode;

  CliException(String message) {
    this(message, KubectlKeyops.ERROR);
  }

  CliException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
