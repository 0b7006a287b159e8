package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The everyday commands as a user runs them: help, round trips, inspect, exit codes. */
class CliTest {

  @TempDir Path dir;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();
  PrintStream oldOut;
  PrintStream oldErr;

  @BeforeEach
  void capture() {
    oldOut = System.out;
    oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(oldOut);
    System.setErr(oldErr);
  }

  String output() {
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : new String[] {"rekey", "encrypt", "decrypt", "inspect"}) {
      out.reset();
      assertEquals(0, Cli.run(new String[] {cmd, "--help"}), cmd);
      assertTrue(output().contains("Usage: keyops " + cmd), output());
      assertTrue(
          cmd.equals("inspect") ? output().contains("FILE") : output().contains("--keyring"),
          output());
    }
  }

  @Test
  void encryptInspectDecryptRoundTrip() throws Exception {
    KeyBundleDocument.Entry k = TestKeyBundles.key("k", "Primary");
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(k));
    byte[] plain = "hello partitions".repeat(1000).getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("plain"), plain);
    assertEquals(
        0,
        Cli.run(
            new String[] {
              "encrypt",
              "--keyring",
              keyring.toString(),
              "--in",
              dir.resolve("plain").toString(),
              "--out",
              dir.resolve("part").toString()
            }));
    assertEquals(
        0,
        Cli.run(
            new String[] {
              "inspect", dir.resolve("part").toString(), dir.resolve("plain").toString()
            }));
    assertTrue(output().contains("key " + k.keyId()), output());
    assertTrue(output().contains("unencrypted"), output());
    assertEquals(
        0,
        Cli.run(
            new String[] {
              "decrypt",
              "--keyring",
              keyring.toString(),
              "--in",
              dir.resolve("part").toString(),
              "--out",
              dir.resolve("back").toString()
            }));
    assertArrayEquals(plain, Files.readAllBytes(dir.resolve("back")));
  }

  @Test
  void aTamperedPartitionDecryptsToNothing() throws Exception {
    KeyBundleDocument.Entry k = TestKeyBundles.key("k", "Primary");
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(k));
    Files.write(dir.resolve("plain"), new byte[3 << 20]);
    Cli.run(
        new String[] {
          "encrypt",
          "--keyring",
          keyring.toString(),
          "--in",
          dir.resolve("plain").toString(),
          "--out",
          dir.resolve("part").toString()
        });
    dev.keyops.partition.PartitionCodecTestAccess.flip(dir.resolve("part"), (2L << 20) + 9);
    assertEquals(
        2,
        Cli.run(
            new String[] {
              "decrypt",
              "--keyring",
              keyring.toString(),
              "--in",
              dir.resolve("part").toString(),
              "--out",
              dir.resolve("back").toString()
            }));
    assertFalse(Files.exists(dir.resolve("back")), "partial plaintext was written");
    assertTrue(output().contains("fails authentication"), output());
  }

  @Test
  void exitCodesTellSuccessPartialFailureAndCouldNotRun() throws Exception {
    KeyBundleDocument.Entry k = TestKeyBundles.key("k", "Primary");
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(k));
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.write(data.resolve("plain"), new byte[10]);
    Path result = dir.resolve("result.json");
    assertEquals(
        0,
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              keyring.toString(),
              "--data",
              data.toString(),
              "--result",
              result.toString()
            }));
    assertEquals(1, WorkerResult.parse(Files.readString(result)).rebuilt);

    // A partition on a key the ring does not have: partial failure.
    KeyBundleDocument.Entry gone = TestKeyBundles.key("gone", "Primary");
    Path other = TestKeyBundles.write(dir.resolve("other.json"), TestKeyBundles.doc(gone));
    Files.write(dir.resolve("p2"), new byte[10]);
    Cli.run(
        new String[] {
          "encrypt",
          "--keyring",
          other.toString(),
          "--in",
          dir.resolve("p2").toString(),
          "--out",
          data.resolve("orphan").toString()
        });
    assertEquals(
        1,
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              keyring.toString(),
              "--data",
              data.toString(),
              "--result",
              result.toString()
            }));
    assertEquals(1, WorkerResult.parse(Files.readString(result)).unrecoverable);

    // No keyring, no Primary, bad arguments: could not run, with a result that says why.
    assertEquals(
        2,
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              dir.resolve("missing.json").toString(),
              "--data",
              data.toString(),
              "--result",
              result.toString()
            }));
    assertTrue(WorkerResult.parse(Files.readString(result)).error.contains("missing.json"));
    Path staged =
        TestKeyBundles.write(
            dir.resolve("staged.json"),
            TestKeyBundles.doc(null, TestKeyBundles.key("s", "Staged")));
    assertEquals(
        2,
        Cli.run(new String[] {"rekey", "--keyring", staged.toString(), "--data", data.toString()}));
    assertTrue(output().contains("no Primary key"), output());
    assertEquals(
        2,
        Cli.run(
            new String[] {
              "rekey", "--keyring", keyring.toString(), "--data", data.toString(), "--shard", "3/2"
            }));
    assertEquals(2, Cli.run(new String[] {"rekey", "--keyring", keyring.toString()}));
    // A rebuild Job's target that is not (or no longer) the keyring's Primary: nothing is touched.
    byte[] before = Files.readAllBytes(data.resolve("orphan"));
    assertEquals(
        2,
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              keyring.toString(),
              "--data",
              data.toString(),
              "--expect-primary",
              gone.keyId(),
              "--result",
              result.toString()
            }));
    assertTrue(
        WorkerResult.parse(Files.readString(result))
            .error
            .contains("create a new ReencryptionJob"));
    assertArrayEquals(before, Files.readAllBytes(data.resolve("orphan")));
  }
}
