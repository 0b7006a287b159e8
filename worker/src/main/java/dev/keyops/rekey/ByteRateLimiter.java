package dev.keyops.rekey;

import dev.keyops.partition.RebuildPacer;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * The worker's {@code --bytes-per-second} limit: a token bucket over the partition bytes its
 * rebuilds stream (see {@link RebuildPacer}), shared by every rebuild of the process whatever its
 * thread. The bucket holds at most 100 ms worth of bytes, so the only bursts are that and one chunk
 * (at most 1 MiB): a large partition is slowed while it streams, not between partitions. A chunk is
 * charged after it was read; the thread then sleeps until the bucket is out of debt, so over any
 * stretch of time the bytes streamed are at most the limit times its length plus that burst. Time
 * spent outside the stream (fsync, verification, rename, opening the next file) refills the bucket
 * only up to its small capacity, so it slows the measured rate a little rather than allowing a
 * catch-up burst.
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

  static final Duration BURST = Duration.ofMillis(100);

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
    this.tokens = capacity;
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
