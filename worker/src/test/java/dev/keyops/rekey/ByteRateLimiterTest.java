package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The token bucket alone, on a fake clock: rates within 10% of the limit, never real waiting. */
class ByteRateLimiterTest {

  static final long MIB = 1 << 20;

  final FakeClock clock = new FakeClock();

  /** Asserts that {@code bytes} at {@code limit} took N/L seconds, within 10% either way. */
  static void assertWithinTenPercent(long bytes, long limit, double seconds) {
    double expected = (double) bytes / limit;
    assertTrue(
        seconds >= 0.9 * expected && seconds <= 1.1 * expected,
        bytes + " bytes at " + limit + " B/s took " + seconds + " s, expected " + expected + " s");
  }

  @Test
  void aFastStreamIsSlowedToTheLimit() throws Exception {
    ByteRateLimiter limiter = new ByteRateLimiter(10 * MIB, clock);
    long start = clock.nanoTime();
    for (int i = 0; i < 100; i++) {
      limiter.streamed(MIB); // reading takes no time: only the limiter's sleeps move the clock
    }
    assertWithinTenPercent(100 * MIB, 10 * MIB, clock.secondsSince(start));
    assertTrue(clock.sleeps.get() >= 99, "one sleep per chunk: " + clock.sleeps);
  }

  @Test
  void timeSpentReadingCountsTowardsTheBudget() throws Exception {
    ByteRateLimiter limiter = new ByteRateLimiter(10 * MIB, clock);
    long start = clock.nanoTime();
    for (int i = 0; i < 100; i++) {
      clock.advance(50_000_000L); // 50 ms to read 1 MiB (20 MiB/s): the limiter adds ~50 ms
      limiter.streamed(MIB);
    }
    assertWithinTenPercent(100 * MIB, 10 * MIB, clock.secondsSince(start));
  }

  @Test
  void aStreamSlowerThanTheLimitNeverSleeps() throws Exception {
    ByteRateLimiter limiter = new ByteRateLimiter(10 * MIB, clock);
    for (int i = 0; i < 100; i++) {
      clock.advance(110_000_000L); // 110 ms per MiB: about 9 MiB/s, under the limit
      limiter.streamed(MIB);
    }
    assertEquals(0, clock.sleeps.get());
  }

  @Test
  void pausesBetweenStreamsCountTowardsTheRate() throws Exception {
    ByteRateLimiter limiter = new ByteRateLimiter(10 * MIB, clock);
    long start = clock.nanoTime();
    for (int partition = 0; partition < 10; partition++) {
      clock.advance(500_000_000L); // 0.5 s of fsync, verification and rename, not streamed
      for (int i = 0; i < 10; i++) {
        limiter.streamed(MIB);
      }
    }
    // 100 MiB at 10 MiB/s: 10 s in all, pauses included (not 10 s of streaming + 5 s of pauses).
    assertWithinTenPercent(100 * MIB, 10 * MIB, clock.secondsSince(start));
  }

  @Test
  void idleTimeBuysAtMostOneSecondOfBurst() throws Exception {
    ByteRateLimiter limiter = new ByteRateLimiter(10 * MIB, clock);
    clock.advance(60_000_000_000L); // a minute idle (a slow directory listing, a huge fsync)
    long start = clock.nanoTime();
    for (int i = 0; i < 40; i++) {
      limiter.streamed(MIB);
    }
    // Without a cap the minute would allow 600 MiB at once; the bucket holds 1 s (10 MiB), so
    // the other 30 MiB take 3 s.
    assertWithinTenPercent(30 * MIB, 10 * MIB, clock.secondsSince(start));
  }

  @Test
  void threadsShareOneLimit() throws Exception {
    ByteRateLimiter limiter = new ByteRateLimiter(10 * MIB, clock);
    long start = clock.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Callable<Void> stream =
            () -> {
              for (int i = 0; i < 25; i++) {
                limiter.streamed(MIB);
              }
              return null;
            };
        done.add(pool.submit(stream));
      }
      for (Future<Void> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    // 4 threads x 25 MiB at 10 MiB/s for the process: 10 s, not 2.5 s.
    assertWithinTenPercent(100 * MIB, 10 * MIB, clock.secondsSince(start));
  }

  @Test
  void anInterruptedSleepAbandonsTheChunk() {
    ByteRateLimiter limiter =
        new ByteRateLimiter(
            MIB,
            new ByteRateLimiter.Clock() {
              @Override
              public long nanoTime() {
                return 0;
              }

              @Override
              public void sleepNanos(long nanos) throws InterruptedException {
                throw new InterruptedException();
              }
            });
    InterruptedIOException e =
        assertThrows(InterruptedIOException.class, () -> limiter.streamed(2 * MIB));
    assertTrue(e.getMessage().contains("at most 1.0 MiB/s"), e.getMessage());
    assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
  }

  @Test
  void ratesAreWrittenAsKubernetesQuantities() {
    assertEquals(52428800L, ByteRate.parse("50Mi"));
    assertEquals(20_000_000L, ByteRate.parse("20M"));
    assertEquals(1048576L, ByteRate.parse("1048576"));
    assertEquals(3L << 30, ByteRate.parse("3Gi"));
    assertEquals(512_000L, ByteRate.parse("512K"));
    for (String bad : new String[] {"0", "0Mi", "-5", "fast", "10X", "1.5Mi", "", "9999999999Gi"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ByteRate.parse(bad), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
    assertEquals("20.0 MiB/s", ByteRate.format(20 * MIB));
    assertEquals("512 B/s", ByteRate.format(512));
    assertThrows(IllegalArgumentException.class, () -> new ByteRateLimiter(0, clock));
  }
}
