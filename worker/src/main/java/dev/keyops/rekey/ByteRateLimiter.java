package dev.keyops.rekey;

import dev.keyops.partition.RebuildPacer;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * The worker's {@code --bytes-per-second} limit: a token bucket over the partition bytes its
 * rebuilds stream (see {@link RebuildPacer}), shared by every rebuild of the process whatever its
 * thread. A chunk (at most 1 MiB) is charged after it was read, and the thread then sleeps until
 * the bucket is out of debt, so a large partition is slowed while it streams, not between
 * partitions.
 *
 * <p>The bucket starts empty and holds at most one second's worth of bytes (as Guava's RateLimiter
 * does by default): the pauses a rebuild takes between streams (fsync, verification, rename, the
 * next file's header) count towards the rate instead of lowering it, and the burst after a longer
 * pause is at most one second's worth. Over any stretch of time the bytes streamed are thus at most
 * the limit times its length, plus one second's worth and one chunk.
 */
public final class ByteRateLimiter implements RebuildPacer {

  /** Where the limiter reads the time and waits: tests pass a fake that moves only when told. */
  public interface Clock {
    long nanoTime();

    void sleepNanos(long nanos) throws InterruptedException;

    /** The JVM's monotonic clock and {@link Thread#sleep}. */
    Clock SYSTEM =
        new Clock() {
          @Override
          public long nanoTime() {
            return System.nanoTime();
          }

          @Override
          public void sleepNanos(long nanos) throws InterruptedException {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
          }
        };
  }

  static final Duration BURST = Duration.ofSeconds(1);

  private final long bytesPerSecond;
  private final double capacity;
  private final Clock clock;
  private double tokens;
  private long updated;

  public ByteRateLimiter(long bytesPerSecond, Clock clock) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException(
          "bytes per second must be positive, got " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(1.0, bytesPerSecond * (BURST.toNanos() / 1e9));
    this.clock = clock;
    this.tokens = 0;
    this.updated = clock.nanoTime();
  }

  public long bytesPerSecond() {
    return bytesPerSecond;
  }

  @Override
  public void streamed(long bytes) throws InterruptedIOException {
    long wait;
    synchronized (this) {
      long now = clock.nanoTime();
      tokens = Math.min(capacity, tokens + (now - updated) * (bytesPerSecond / 1e9));
      updated = now;
      tokens -= bytes;
      // Sleep outside the lock: the debt is already booked, so other threads wait behind it.
      wait = tokens >= 0 ? 0 : (long) Math.ceil(-tokens * 1e9 / bytesPerSecond);
    }
    if (wait > 0) {
      try {
        clock.sleepNanos(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while throttled to " + this);
      }
    }
  }

  /** {@code at most 20.0 MiB/s}. */
  @Override
  public String toString() {
    return "at most " + ByteRate.format(bytesPerSecond);
  }
}
