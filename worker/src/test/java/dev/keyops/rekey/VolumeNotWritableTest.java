package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker on a volume it cannot write (what a pod sees when fsGroup does not apply, as on a
 * hostPath volume): the real worker process, run without the capabilities that let root write
 * anywhere (setpriv drops CAP_DAC_OVERRIDE and friends from its bounding set), on a directory owned
 * by uid 65532 with mode 0755. It must refuse at once with exit 2 and the reason VolumeNotWritable,
 * not fail every partition one by one, and change nothing.
 */
class VolumeNotWritableTest {

  @TempDir Path dir;

  @Test
  void aDataDirectoryTheWorkerCannotWriteIsReportedAtOnceAndLeftUntouched() throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")) && Files.isExecutable(SETPRIV),
        "needs root and setpriv (util-linux) to run the worker without DAC override");
    KeyBundleDocument.Entry key = TestKeyBundles.key("k", "Primary");
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(key));
    Path data = Files.createDirectories(dir.resolve("data"));
    byte[] plain = "plaintext partition".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Files.write(data.resolve("part-0"), plain);
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("r-xr-xr-x"));
    Files.setAttribute(data, "unix:uid", 65532);
    Files.setAttribute(data, "unix:gid", 65532);

    Process p = worker(keyring, data, false);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String log = Files.readString(dir.resolve("worker.log"));
    assertEquals(2, p.exitValue(), log);
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals("VolumeNotWritable", r.errorReason);
    assertTrue(r.error.contains("not writable") && r.error.contains("fsGroup"), r.error);
    assertEquals(0, r.total, "it stops before touching any partition");
    assertArrayEquals(plain, Files.readAllBytes(data.resolve("part-0")));
    try (Stream<Path> s = Files.list(data)) {
      assertEquals(List.of(data.resolve("part-0")), s.toList(), "no file left behind");
    }

    Process dry = worker(keyring, data, true);
    assertTrue(dry.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, dry.exitValue(), "a dry run only reads: " + dir.resolve("worker.log"));
    WorkerResult inventory = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertNull(inventory.errorReason);
    assertEquals(1, inventory.unencrypted);
  }

  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  private Process worker(Path keyring, Path data, boolean dryRun) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                SETPRIV.toString(),
                "--bounding-set",
                "-dac_override,-dac_read_search,-fowner",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Cli.class.getName(),
                "rekey",
                "--keyring",
                keyring.toString(),
                "--data",
                data.toString(),
                "--result",
                dir.resolve("result.json").toString()));
    if (dryRun) {
      cmd.add("--dry-run");
    }
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("worker.log").toFile())
        .start();
  }
}
