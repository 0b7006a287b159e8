package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keyops.parquet.ParquetFile;
import dev.keyops.parquet.ParquetFixtures;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kills the real worker process at every point of a Parquet rebuild (sidecar re-wrap and rewrite)
 * and at random moments; after each kill every Parquet file reads back with the keyring (old and
 * new keys) to what was written. The one exception is the documented window of an
 * external-key-material rewrite between renaming the file and renaming its new sidecar: the file
 * then needs the pending sidecar, which the next worker run puts in place. A rerun completes and
 * every file reads with the new key alone.
 */
class ParquetCrashSafetyTest {

  @TempDir Path dir;

  private static final List<String> REENCRYPT_POINTS =
      List.of(
          "parquet.rewrite.temp-written",
          "parquet.rewrite.temp-synced",
          "parquet.rewrite.verified",
          "parquet.rewrite.renamed",
          "parquet.rewrite.sidecar-renamed");

  /** Rewrap re-wraps the sidecars and rewrites the files with internal key material. */
  private static final List<String> REWRAP_POINTS =
      List.of(
          "parquet.sidecar.temp-synced",
          "parquet.sidecar.verified",
          "parquet.sidecar.renamed",
          "parquet.rewrite.temp-synced",
          "parquet.rewrite.renamed");

  @ParameterizedTest
  @ValueSource(strings = {"reencrypt", "rewrap"})
  void killedAtAnyPointLosesNoParquetFile(String mode) throws Exception {
    KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Primary");
    KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
    Path oldRing = TestKeyBundles.write(dir.resolve("old.json"), TestKeyBundles.doc(old));
    Path keyring =
        TestKeyBundles.write(
            dir.resolve("keyring.json"),
            TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<Path, Integer> rows = new LinkedHashMap<>();
    var base = ParquetFixtures.Layout.of("ring-test");
    List<ParquetFixtures.Layout> layouts =
        List.of(
            base,
            base.internal(false),
            base.internal(false).doubleWrapping(false),
            base.plaintextFooter(true).internal(false),
            base.columns(Map.of("ssn", old.keyId())),
            base.internal(false).columns(Map.of("ssn", old.keyId())));
    for (int i = 0; i < layouts.size(); i++) {
      Path p = data.resolve("part-" + i + ".parquet");
      int n = 200 + i * 50;
      ParquetFixtures.write(oldRing, layouts.get(i), p, n, 100, CompressionCodecName.SNAPPY);
      rows.put(p, n);
    }

    Path pristine = Files.createDirectories(dir.resolve("pristine"));
    copyAll(data, pristine);
    Path onlyNew = TestKeyBundles.write(dir.resolve("new.json"), TestKeyBundles.doc(target));
    int kills = 0;
    for (String point : mode.equals("rewrap") ? REWRAP_POINTS : REENCRYPT_POINTS) {
      reset(data, pristine);
      Process p = worker(keyring, data, mode, point + ":2");
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      if (p.exitValue() == 137) {
        kills++;
      }
      assertReadable(
          rows, keyring, "after a crash at " + point, point.equals("parquet.rewrite.renamed"));
      if (point.equals("parquet.rewrite.renamed")) {
        // The next run finishes the interrupted rename before anything else.
        completes(rows, keyring, onlyNew, data, mode, "after a crash at " + point);
      }
    }
    for (long delay : new long[] {3000}) {
      reset(data, pristine);
      Process p = worker(keyring, data, mode, null);
      Thread.sleep(delay);
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
      assertReadable(rows, keyring, "after SIGKILL at " + delay + " ms", true);
      completes(rows, keyring, onlyNew, data, mode, "after SIGKILL at " + delay + " ms");
    }
    assertTrue(kills >= 4, "crash points were not reached: " + kills);
  }

  /**
   * Encrypting plaintext files with a sidecar puts the sidecar in place before the file: a crash at
   * any point leaves every file readable, plaintext or encrypted, never in between.
   */
  @Test
  void killedWhileEncryptingPlaintextParquetLeavesEveryFileReadable() throws Exception {
    KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target));
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<Path, Integer> rows = new LinkedHashMap<>();
    for (int i = 0; i < 4; i++) {
      Path p = data.resolve("plain-" + i + ".parquet");
      int n = 200 + i * 50;
      ParquetFixtures.write(null, null, p, n, 100, CompressionCodecName.SNAPPY);
      rows.put(p, n);
    }
    Path pristine = Files.createDirectories(dir.resolve("pristine"));
    copyAll(data, pristine);
    List<String> encrypt =
        List.of(
            "--parquet-encrypt-plaintext",
            "--parquet-columns",
            "ssn",
            "--parquet-key-material",
            "external");
    int kills = 0;
    for (String point :
        List.of(
            "parquet.rewrite.temp-written",
            "parquet.rewrite.verified",
            "parquet.encrypt.sidecar-renamed",
            "parquet.rewrite.renamed")) {
      reset(data, pristine);
      Process p = worker(keyring, data, "rewrap", point + ":2", encrypt);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      if (p.exitValue() == 137) {
        kills++;
      }
      assertReadable(rows, keyring, "after a crash at " + point, false);
      Process rerun = worker(keyring, data, "rewrap", null, encrypt);
      assertTrue(rerun.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, rerun.exitValue(), Files.readString(dir.resolve("worker.log")));
      WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
      assertEquals(4, r.rebuilt + r.alreadyOnTarget, r.toJson());
      assertEquals(0, r.plaintextParquet, r.toJson());
      assertReadable(rows, keyring, "rerun after a crash at " + point, false);
      KeyToolkit.removeCacheEntriesForAllTokens();
      for (Path f : rows.keySet()) {
        assertTrue(
            new dev.keyops.parquet.ParquetInspector(
                    dev.keyops.parquet.ParquetCrypto.configuration(keyring))
                .inspect(f)
                .encrypted(),
            f + " encrypted after the rerun");
      }
    }
    assertEquals(4, kills, "every crash point was reached");
  }

  /** A rerun completes: every file on the new key alone, no temporary file left. */
  private void completes(
      Map<Path, Integer> rows, Path keyring, Path onlyNew, Path data, String mode, String when)
      throws Exception {
    Process rerun = worker(keyring, data, mode, null);
    assertTrue(rerun.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, rerun.exitValue(), when + ": " + Files.readString(dir.resolve("worker.log")));
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(6, r.parquet, r.toJson());
    assertEquals(6, r.rebuilt + r.alreadyOnTarget, r.toJson());
    assertReadable(rows, onlyNew, "on the new key alone, rerun " + when, false);
    try (Stream<Path> s = Files.list(data)) {
      List<String> left =
          s.map(x -> x.getFileName().toString()).filter(n -> n.contains(".keyops-tmp.")).toList();
      assertEquals(List.of(), left, "temporary files left behind " + when);
    }
  }

  private static void copyAll(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.list(from)) {
      for (Path f : s.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }

  private static void reset(Path data, Path pristine) throws IOException {
    try (Stream<Path> s = Files.list(data)) {
      for (Path f : s.toList()) {
        Files.delete(f);
      }
    }
    copyAll(pristine, data);
  }

  /**
   * Every file reads back; with {@code windowAllowed}, a file that does not may only be one whose
   * rewrite crashed between its two renames (a pending sidecar exists for it).
   */
  private static void assertReadable(
      Map<Path, Integer> rows, Path keyring, String when, boolean windowAllowed)
      throws IOException {
    KeyToolkit.removeCacheEntriesForAllTokens();
    for (var e : rows.entrySet()) {
      try {
        assertEquals(
            ParquetFixtures.expected(e.getValue()),
            ParquetFixtures.read(keyring, e.getKey()),
            e.getKey().getFileName() + " " + when);
      } catch (Exception ex) {
        Path pending =
            e.getKey()
                .resolveSibling(
                    ParquetFile.SIDECAR_PREFIX
                        + ".keyops-tmp."
                        + e.getKey().getFileName()
                        + ".json");
        if (!(windowAllowed && Files.exists(pending))) {
          fail(e.getKey().getFileName() + " unreadable " + when + ": " + ex, ex);
        }
      }
    }
  }

  private Process worker(Path keyring, Path data, String mode, String crashAt) throws IOException {
    return worker(keyring, data, mode, crashAt, List.of());
  }

  private Process worker(Path keyring, Path data, String mode, String crashAt, List<String> extra)
      throws IOException {
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
    cmd.addAll(extra);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("worker.log").toFile());
    if (crashAt != null) {
      pb.environment().put("KEYOPS_CRASH_AT", crashAt);
    }
    return pb.start();
  }
}
