package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.FileOpener;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A writer rewrites partitions (new file, rename over the old one) while they are being rebuilt:
 * its update is never lost. The writer acts at a checkpoint between the rebuild's read and its
 * replace, so the race is hit every time rather than by luck.
 */
class LiveWriterTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Primary");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final KeyBundle oldRing = TestKeyBundles.ring(TestKeyBundles.doc(old));
  final KeyBundle targetOnly = TestKeyBundles.ring(TestKeyBundles.doc(target));

  @Test
  void threeShardWorkerProcessesKeepEveryUpdateOfAWriterAndRetryThosePartitions() throws Exception {
    Path data = partitions(12);
    Path keyring =
        TestKeyBundles.write(
            dir.resolve("keyring.json"),
            TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
    Path writerKeyring = TestKeyBundles.write(dir.resolve("writer.json"), TestKeyBundles.doc(old));
    List<Process> workers = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      workers.add(worker(keyring, writerKeyring, data, s));
    }
    long changed = 0;
    long rebuilt = 0;
    for (int s = 0; s < 3; s++) {
      Process p = workers.get(s);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "shard " + s + " did not finish");
      assertEquals(0, p.exitValue(), Files.readString(dir.resolve("worker-" + s + ".log")));
      WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result-" + s + ".json")));
      changed += r.changedDuringRebuild;
      rebuilt += r.rebuilt;
      assertEquals(r.total, r.changedDuringRebuild, "every partition of shard " + s + " was raced");
    }
    assertEquals(12, changed);
    assertEquals(12, rebuilt);
    for (int i = 0; i < 12; i++) {
      Path p = data.resolve("p" + i);
      // Version 2: the writer's latest; the rebuild moved it onto the target key.
      assertArrayEquals(
          LiveWriter.content("p" + i, 2), RekeyRunTest.decrypt(p, targetOnly), "p" + i);
    }
    try (var files = Files.list(data)) {
      assertEquals(12, files.count(), "temporary files left behind");
    }
  }

  @ParameterizedTest
  @CsvSource({"REENCRYPT, reencrypt.verified", "REWRAP, rewrap.new-slot-synced"})
  void aPartitionStillChangingAfterTheRetriesFailsRetryablyAndKeepsTheWritersBytes(
      Mode mode, String point) throws IOException {
    Path data = partitions(1);
    Path writerKeyring = TestKeyBundles.write(dir.resolve("writer.json"), TestKeyBundles.doc(old));
    var writer =
        WriterRaceWorker.writer(
            Map.of(
                "KEYOPS_REPLACE_AT",
                point,
                "KEYOPS_REPLACE_TIMES",
                "100",
                "KEYOPS_WRITER_KEYRING",
                writerKeyring.toString()));

    WorkerResult r = run(data, mode, writer);

    assertEquals(1, r.failed, r.toJson());
    assertEquals(1, r.changedDuringRebuild);
    assertTrue(r.failures.get(0).retryable());
    assertTrue(r.failures.get(0).reason().contains("still changing"), r.failures.get(0).reason());
    // 1 attempt + 3 retries, each raced by a new version; the last one is the file's content.
    assertArrayEquals(
        LiveWriter.content("p0", 1 + RekeyRun.CHANGE_RETRIES),
        RekeyRunTest.decrypt(data.resolve("p0"), oldRing));
    assertEquals(old.keyId(), PartitionCodec.inspect(data.resolve("p0")).keyId().hex());
  }

  @Test
  void aRewrapRacedByAWriterIsRetriedOnTheWritersFile() throws IOException {
    Path data = partitions(2);
    Path writerKeyring = TestKeyBundles.write(dir.resolve("writer.json"), TestKeyBundles.doc(old));
    var writer =
        WriterRaceWorker.writer(
            Map.of(
                "KEYOPS_REPLACE_AT", "rewrap.new-slot-synced",
                "KEYOPS_REPLACE_TIMES", "1",
                "KEYOPS_WRITER_KEYRING", writerKeyring.toString()));

    WorkerResult r = run(data, Mode.REWRAP, writer);

    assertEquals(2, r.changedDuringRebuild, r.toJson());
    assertEquals(2, r.rebuilt);
    for (int i = 0; i < 2; i++) {
      Path p = data.resolve("p" + i);
      assertArrayEquals(LiveWriter.content("p" + i, 1), RekeyRunTest.decrypt(p, targetOnly));
      var info = PartitionCodec.inspect(p);
      assertFalse(info.slot0() != null && info.slot1() != null, "old slot not wiped");
    }
  }

  private WorkerResult run(Path data, Mode mode, dev.keyops.partition.RebuildCheckpoints writer)
      throws IOException {
    KeyBundle full =
        TestKeyBundles.ring(TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
    return new RekeyRun(
            full,
            List.of(new Location("main", data)),
            new Selection(List.of(), List.of("*.tmp")),
            mode,
            Shard.ALL,
            false,
            writer,
            null,
            FileOpener.DEFAULT,
            Clock.systemUTC())
        .run();
  }

  private Path partitions(int n) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int i = 0; i < n; i++) {
      LiveWriter.write(data.resolve("p" + i), LiveWriter.content("p" + i, 0), oldRing);
    }
    return data;
  }

  private Process worker(Path keyring, Path writerKeyring, Path data, int shard)
      throws IOException {
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            WriterRaceWorker.class.getName(),
            "rekey",
            "--keyring",
            keyring.toString(),
            "--data",
            data.toString(),
            "--exclude",
            "*.tmp",
            "--shard",
            shard + "/3",
            "--result",
            dir.resolve("result-" + shard + ".json").toString());
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("worker-" + shard + ".log").toFile());
    pb.environment().put("KEYOPS_REPLACE_AT", "reencrypt.verified");
    pb.environment().put("KEYOPS_REPLACE_TIMES", "2");
    pb.environment().put("KEYOPS_WRITER_KEYRING", writerKeyring.toString());
    return pb.start();
  }
}
