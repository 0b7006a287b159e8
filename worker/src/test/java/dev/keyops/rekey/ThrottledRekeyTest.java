package dev.keyops.rekey;

import static dev.keyops.rekey.ByteRateLimiterTest.MIB;
import static dev.keyops.rekey.ByteRateLimiterTest.assertWithinTenPercent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.RebuildCheckpoints;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --bytes-per-second} measured in the worker: real partitions rebuilt by the real rebuilder,
 * time taken from a fake clock that only the limiter's sleeps move, so the rate is exact and
 * nothing waits.
 */
class ThrottledRekeyTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Primary");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final FakeClock clock = new FakeClock();

  @AfterEach
  void restoreClock() {
    Cli.clock = ByteRateLimiter.Clock.SYSTEM;
  }

  KeyBundle oldRing() {
    return TestKeyBundles.ring(TestKeyBundles.doc(old));
  }

  KeyBundle rotated() {
    return TestKeyBundles.ring(
        TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
  }

  Path partition(Path p, int size) throws IOException {
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(RekeyRunTest.bytes(size)), ch, ring());
    }
    return p;
  }

  private KeyBundle ring() {
    return oldRing();
  }

  @Test
  void oneLargePartitionIsPacedWhileItStreams() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    partition(data.resolve("large"), (int) (16 * MIB));
    // The fake time at which the rebuild reached each point: the stream ends at temp-synced.
    List<Double> at = new ArrayList<>();
    long start = clock.nanoTime();
    RebuildCheckpoints times = point -> at.add(clock.secondsSince(start));

    WorkerResult r =
        new RekeyRun(
                rotated(),
                data,
                Mode.REENCRYPT,
                Shard.ALL,
                false,
                times,
                new ByteRateLimiter(4 * MIB, clock))
            .run();

    assertEquals(1, r.rebuilt);
    // 16 MiB at 4 MiB/s: 4 s, spread over the partition's chunks, not one sleep after the file.
    assertWithinTenPercent(16 * MIB, 4 * MIB, clock.secondsSince(start));
    assertTrue(clock.sleeps.get() >= 14, "sleeps while streaming: " + clock.sleeps);
    assertEquals(0.0, at.get(0), "temp-created: nothing streamed yet");
    assertWithinTenPercent(16 * MIB, 4 * MIB, at.get(1)); // temp-synced: after the stream
    assertArrayEquals(
        RekeyRunTest.bytes((int) (16 * MIB)),
        RekeyRunTest.decrypt(data.resolve("large"), rotated()));
  }

  @Test
  void theCommandLineLimitIsMeasuredWithinTenPercent() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    long plain = 0;
    for (int i = 0; i < 8; i++) {
      int size = (int) MIB / 4 + i * 250_000; // 0.25 to 1.9 MiB: one chunk or two
      partition(data.resolve("p" + i), size);
      plain += size;
    }
    Path keyring =
        TestKeyBundles.write(
            dir.resolve("keyring.json"),
            TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
    Path result = dir.resolve("result.json");
    Cli.clock = clock;
    long start = clock.nanoTime();

    int exit =
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              keyring.toString(),
              "--data",
              data.toString(),
              "--bytes-per-second",
              "2Mi",
              "--result",
              result.toString()
            });

    assertEquals(0, exit);
    assertEquals(8, WorkerResult.parse(Files.readString(result)).rebuilt);
    assertWithinTenPercent(plain, 2 * MIB, clock.secondsSince(start));
  }

  @Test
  void withoutTheOptionNothingSleeps() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int i = 0; i < 4; i++) {
      partition(data.resolve("p" + i), (int) (2 * MIB));
    }
    Path keyring =
        TestKeyBundles.write(
            dir.resolve("keyring.json"),
            TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
    Cli.clock = clock;
    long start = clock.nanoTime();

    assertEquals(
        0, Cli.run(new String[] {"rekey", "--keyring", keyring.toString(), "--data", "" + data}));

    assertEquals(0, clock.sleeps.get());
    assertEquals(0.0, clock.secondsSince(start));
    assertEquals(4, RekeyRun.partitions(data, Shard.ALL).size());
    assertArrayEquals(
        RekeyRunTest.bytes((int) (2 * MIB)), RekeyRunTest.decrypt(data.resolve("p0"), rotated()));
  }

  @Test
  void aRewrapStreamsNoBodyAndIsNotSlowed() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int i = 0; i < 4; i++) {
      partition(data.resolve("p" + i), (int) (2 * MIB));
    }
    WorkerResult r =
        new RekeyRun(
                rotated(),
                data,
                Mode.REWRAP,
                Shard.ALL,
                false,
                RebuildCheckpoints.NONE,
                new ByteRateLimiter(MIB, clock))
            .run();
    assertEquals(4, r.rebuilt);
    assertEquals(0, clock.sleeps.get());
  }

  /** The pacer's failure (an interrupted sleep) fails the partition and leaves it as it was. */
  @Test
  void aPacerFailureLeavesThePartitionIntactAndRetryable() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path p = partition(data.resolve("p"), (int) (3 * MIB));
    byte[] before = Files.readAllBytes(p);
    AtomicInteger chunks = new AtomicInteger();
    AtomicLong streamed = new AtomicLong();
    PartitionRebuilder rebuilder =
        new PartitionRebuilder(
            rotated(),
            Mode.REENCRYPT,
            false,
            new PartitionCodec(),
            RebuildCheckpoints.NONE,
            bytes -> {
              streamed.addAndGet(bytes);
              if (chunks.incrementAndGet() == 2) {
                throw new java.io.InterruptedIOException("interrupted while throttled");
              }
            });

    PartitionRebuilder.Outcome o = rebuilder.rebuild(p);

    assertEquals(PartitionRebuilder.Status.FAILED, o.status());
    assertTrue(o.reason().contains("interrupted while throttled"), o.reason());
    assertArrayEquals(before, Files.readAllBytes(p));
    assertFalse(Files.exists(data.resolve(PartitionRebuilder.TEMP_PREFIX + "p")));
    assertTrue(streamed.get() <= 2 * MIB, "chunks of at most 1 MiB: " + streamed);
  }

  @Test
  void badRatesAreUsageErrorsNamingTheOption() throws IOException {
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target));
    Path data = Files.createDirectories(dir.resolve("data"));
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      for (String bad : new String[] {"0", "-5", "fast", "10X", "1.5Mi", "99999999999Gi"}) {
        err.reset();
        int exit =
            Cli.run(
                new String[] {
                  "rekey",
                  "--keyring",
                  keyring.toString(),
                  "--data",
                  data.toString(),
                  "--bytes-per-second=" + bad
                });
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(Cli.CANNOT_RUN, exit, bad + ": " + message);
        assertTrue(message.contains("--bytes-per-second"), message);
        assertTrue(message.contains("'" + bad + "'"), message);
        assertTrue(!bad.equals("fast") || message.contains("for example 50Mi"), message);
        assertTrue(!bad.equals("0") || message.contains("leave the option out"), message);
      }
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
  }
}
