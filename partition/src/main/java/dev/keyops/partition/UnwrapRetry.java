package dev.keyops.partition;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How a keyring retries a ring key's unwrap that failed transiently (Cloud KMS UNAVAILABLE,
 * DEADLINE_EXCEEDED): up to {@code attempts} calls with doubling backoff starting at {@code
 * firstBackoff}. A transient failure is never remembered as final: after the attempts it is held
 * for {@code hold} (so a run over thousands of partitions on that key does not retry per
 * partition), then the next use tries Cloud KMS again. Refusals (PERMISSION_DENIED, NOT_FOUND,
 * FAILED_PRECONDITION) are not retried.
 *
 * @param sleeper waits between attempts (tests pass one that records and returns)
 * @param nanoTime the clock the hold is measured on (tests pass a fake one)
 */
public record UnwrapRetry(
    int attempts, Duration firstBackoff, Duration hold, Sleeper sleeper, LongSupplier nanoTime) {

  /** Waits between attempts. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /** 4 attempts over about 1.4 s; a transient failure is held 10 s before the next attempt. */
  public static final UnwrapRetry DEFAULT =
      new UnwrapRetry(
          4,
          Duration.ofMillis(200),
          Duration.ofSeconds(10),
          d -> Thread.sleep(d.toMillis()),
          System::nanoTime);

  public UnwrapRetry {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
    }
  }
}
