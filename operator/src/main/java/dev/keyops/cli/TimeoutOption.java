package dev.keyops.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --timeout}: how long a command waits for the cluster (a rotation, a job). */
final class TimeoutOption {

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30m",
      converter = KubectlKeyops.DurationConverter.class,
      description = "how long to wait, e.g. 90s, 10m, 1h (default: ${DEFAULT-VALUE})")
  Duration timeout;
}
