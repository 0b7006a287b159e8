package dev.keyops.rekey;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A clock that moves only when told ({@link #advance}) or when a thread sleeps: a sleep moves it to
 * the sleeper's wake-up time (the time that thread last read, plus the sleep), never back. Threads
 * that sleep at once thus end at the latest wake-up time, as they would in real time.
 */
final class FakeClock implements ByteRateLimiter.Clock {

  private long now = 1_000_000_000L; // any origin: the limiter must only use differences
  private final ThreadLocal<Long> lastRead = new ThreadLocal<>();
  final AtomicInteger sleeps = new AtomicInteger();

  @Override
  public synchronized long nanoTime() {
    lastRead.set(now);
    return now;
  }

  @Override
  public synchronized void sleepNanos(long nanos) {
    if (nanos <= 0) {
      throw new AssertionError("asked to sleep " + nanos + " ns");
    }
    sleeps.incrementAndGet();
    Long from = lastRead.get();
    now = Math.max(now, (from == null ? now : from) + nanos);
  }

  synchronized void advance(long nanos) {
    now += nanos;
  }

  /** Seconds since {@code start} (a value of {@link #nanoTime}). */
  synchronized double secondsSince(long start) {
    return (now - start) / 1e9;
  }
}
