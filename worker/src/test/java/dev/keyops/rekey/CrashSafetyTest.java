package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills the real worker process at many points of a run (deterministic crash points that halt the
 * JVM like SIGKILL, and SIGKILL at random moments), and checks after each kill that every partition
 * still decrypts to its original bytes; then a rerun completes the job.
 */
class CrashSafetyTest {

  @TempDir Path dir;

  private static final List<String> REENCRYPT_POINTS =
      List.of(
          "reencrypt.temp-created",
          "reencrypt.temp-synced",
          "reencrypt.verified",
          "reencrypt.renamed");
  private static final List<String> REWRAP_POINTS =
      List.of(
          "rewrap.new-slot-synced",
          "rewrap.old-slot-wiped",
          "reencrypt.temp-synced",
          "reencrypt.renamed");

  @ParameterizedTest
  @ValueSource(strings = {"reencrypt", "rewrap"})
  void killedAtAnyPointLosesNothingAndARerunCompletes(String mode) throws Exception {
    KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Primary");
    KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
    KeyBundle oldRing = TestKeyBundles.ring(TestKeyBundles.doc(old));
    KeyBundleDocument fullDoc =
        TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired"));
    KeyBundle full = TestKeyBundles.ring(fullDoc);
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), fullDoc);
    Path data = Files.createDirectories(dir.resolve("data"));

    Map<Path, byte[]> originals = new LinkedHashMap<>();
    Random random = new Random(42);
    for (int i = 0; i < 24; i++) {
      byte[] plain = new byte[i % 6 == 0 ? (4 << 20) + i : 20_000 + i];
      random.nextBytes(plain);
      Path p = data.resolve("part-" + i);
      if (i % 5 == 4) {
        Files.write(p, plain); // unencrypted
      } else {
        try (FileChannel ch =
            FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          new PartitionCodec().encrypt(new ByteArrayInputStream(plain), ch, oldRing);
        }
      }
      originals.put(p, plain);
    }

    List<String> points = mode.equals("rewrap") ? REWRAP_POINTS : REENCRYPT_POINTS;
    int kills = 0;
    for (String point : points) {
      Process p = worker(keyring, data, mode, point + ":2");
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      if (p.exitValue() == 137) {
        kills++;
      }
      assertIntact(originals, full, "after a crash at " + point);
    }
    for (long delay : new long[] {350, 600, 900}) {
      Process p = worker(keyring, data, mode, null);
      Thread.sleep(delay);
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
      assertIntact(originals, full, "after SIGKILL at " + delay + " ms");
    }
    assertTrue(kills >= 3, "crash points were not reached: " + kills);

    Process rerun = worker(keyring, data, mode, null);
    assertTrue(rerun.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, rerun.exitValue(), Files.readString(dir.resolve("worker.log")));
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(24, r.total);
    assertEquals(24, r.rebuilt + r.alreadyOnTarget);
    KeyBundle targetOnly = TestKeyBundles.ring(TestKeyBundles.doc(target));
    assertIntact(originals, targetOnly, "after the rerun, with only the new key");
    try (Stream<Path> s = Files.list(data)) {
      assertEquals(24, s.count(), "temporary files left behind");
    }
  }

  private Process worker(Path keyring, Path data, String mode, String crashAt) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CrashingWorker.class.getName(),
                "rekey",
                "--keyring",
                keyring.toString(),
                "--data",
                data.toString(),
                "--mode",
                mode,
                "--result",
                dir.resolve("result.json").toString()));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("worker.log").toFile());
    if (crashAt != null) {
      pb.environment().put("KEYOPS_CRASH_AT", crashAt);
    }
    return pb.start();
  }

  private static void assertIntact(Map<Path, byte[]> originals, KeyBundle ring, String when)
      throws IOException {
    for (var e : originals.entrySet()) {
      byte[] now;
      if (!PartitionCodec.inspect(e.getKey()).encrypted()) {
        now = Files.readAllBytes(e.getKey());
      } else {
        now = RekeyRunTest.decrypt(e.getKey(), ring);
      }
      assertArrayEquals(e.getValue(), now, e.getKey().getFileName() + " changed " + when);
    }
  }
}
