package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.FileOpener;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.RebuildCheckpoints;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the worker counts: files it cannot read (never an empty inventory), files in a foreign
 * format (never wrapped), only the files the globs select, and several locations.
 */
class InventoryTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Retired");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final KeyBundle full = TestKeyBundles.ring(TestKeyBundles.doc(target, old));

  @Test
  void unreadableFilesAreCountedAndNamedNotDroppedFromTheInventory() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    partition(data.resolve("ok"), "fine");
    Path denied = partition(data.resolve("denied"), "EACCES for this worker");
    // A header that starts with the magic and ends early: corrupt, its key unknown.
    Files.write(
        data.resolve("truncated"), "KOPS\u0001\0\0\0short".getBytes(StandardCharsets.ISO_8859_1));
    Files.createSymbolicLink(data.resolve("dangling"), dir.resolve("nowhere"));
    byte[] deniedBytes = Files.readAllBytes(denied);
    // Tests run as root, which file modes do not stop: EACCES comes through the opener seam.
    FileOpener eacces =
        (file, options) -> {
          if (file.getFileName().toString().equals("denied")) {
            throw new AccessDeniedException(file.toString());
          }
          return FileChannel.open(file, options);
        };

    WorkerResult r = run(List.of(new Location("main", data)), Selection.ALL, eacces);

    assertEquals(3, r.unreadable, r.toJson());
    assertEquals(
        Map.of(
            "dangling", "not a regular file (a symbolic link)",
            "denied", "AccessDeniedException",
            "truncated", "the header is truncated (13 bytes)"),
        r.unreadableSamples.stream()
            .collect(
                Collectors.toMap(WorkerResult.Unreadable::path, WorkerResult.Unreadable::error)));
    assertEquals(1, r.rebuilt);
    assertEquals(0, r.failed + r.unrecoverable, "unreadable is not a failure on a known key");
    assertEquals(4, r.total);
    assertEquals(3, r.locations.get(0).unreadable);
    assertEquals(Map.of(old.keyId(), 1L), r.byKeyBefore);
    assertArrayEquals(deniedBytes, Files.readAllBytes(denied));
    WorkerResult parsed = WorkerResult.parse(r.toJson());
    assertEquals(3, parsed.unreadableSamples.size());
  }

  @Test
  void theVolumesLostAndFoundIsNeitherDataNorUnreadable() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    partition(data.resolve("ok"), "fine");
    Path lost = Files.createDirectories(data.resolve("lost+found"));
    Files.writeString(lost.resolve("#12345"), "a fsck orphan");
    // A lost+found below the root is an application's directory: inventoried like any other.
    Path nested = Files.createDirectories(data.resolve("app/lost+found"));
    Files.writeString(nested.resolve("kept"), "application data");

    WorkerResult r = run(List.of(new Location("main", data)), Selection.ALL, FileOpener.DEFAULT);

    assertEquals(0, r.unreadable, r.toJson());
    assertEquals(2, r.total, r.toJson());
    assertEquals("a fsck orphan", Files.readString(lost.resolve("#12345")));
  }

  @Test
  void parquetFilesAreNeverWrappedWhateverTheGlobsSay() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<Path, byte[]> parquet = new HashMap<>();
    parquet.put(
        data.resolve("a.parquet"),
        "PAR1 row groups ... footer PAR1".getBytes(StandardCharsets.US_ASCII));
    parquet.put(
        data.resolve("b.bin"), "PARE encrypted footer parquet".getBytes(StandardCharsets.US_ASCII));
    parquet.put(
        data.resolve("c.bin"),
        "no magic at the start, but the end PAR1".getBytes(StandardCharsets.US_ASCII));
    for (var e : parquet.entrySet()) {
      Files.write(e.getKey(), e.getValue());
    }
    Files.writeString(data.resolve("plain.bin"), "a plain partition");

    WorkerResult r =
        run(
            List.of(new Location("main", data)),
            new Selection(List.of("*"), List.of()),
            FileOpener.DEFAULT);

    // Parquet by their magic but no valid footer: unreadable (their keys are unknown, so they
    // hold up a drop), never plaintext, never wrapped.
    assertEquals(3, r.unreadable, r.toJson());
    assertEquals(3, r.locations.get(0).unreadable);
    assertEquals(0, r.foreign);
    assertEquals(4, r.total);
    assertEquals(1, r.unencrypted);
    for (var e : parquet.entrySet()) {
      assertArrayEquals(e.getValue(), Files.readAllBytes(e.getKey()), e.getKey() + " was changed");
    }
    assertTrue(PartitionCodec.inspect(data.resolve("plain.bin")).encrypted());
  }

  @Test
  void onlyIncludedAndNotExcludedFilesAreTouched() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(data.resolve("parts"));
    Files.writeString(data.resolve("parts/p1.bin"), "one");
    Files.writeString(data.resolve("parts/p2.bin"), "two");
    Files.writeString(data.resolve("parts/p3.lock"), "lock");
    Files.writeString(data.resolve("parts/skip.bin"), "excluded");
    Files.writeString(data.resolve("_metadata"), "application metadata");
    Map<Path, byte[]> untouched = new HashMap<>();
    for (String f : List.of("parts/p3.lock", "parts/skip.bin", "_metadata")) {
      untouched.put(data.resolve(f), Files.readAllBytes(data.resolve(f)));
    }
    Path keyring =
        TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target, old));

    int exit =
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              keyring.toString(),
              "--data",
              data.toString(),
              "--include",
              "parts/*.bin",
              "--exclude",
              "**/skip.*",
              "--result",
              dir.resolve("result.json").toString()
            });

    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.OK, exit, r.toJson());
    assertEquals(2, r.total);
    assertEquals(2, r.rebuilt);
    assertTrue(PartitionCodec.inspect(data.resolve("parts/p1.bin")).encrypted());
    assertTrue(PartitionCodec.inspect(data.resolve("parts/p2.bin")).encrypted());
    for (var e : untouched.entrySet()) {
      assertArrayEquals(e.getValue(), Files.readAllBytes(e.getKey()), e.getKey() + " was changed");
    }
  }

  @Test
  void severalLocationsAreShardedAsOneUnionAndReportedEachByName() throws IOException {
    Path a = Files.createDirectories(dir.resolve("a"));
    Path b = Files.createDirectories(dir.resolve("b"));
    for (int i = 0; i < 20; i++) {
      partition(a.resolve("p" + i), "a" + i);
      partition(b.resolve("p" + i), "b" + i); // same relative names in both roots
    }
    Files.writeString(b.resolve("plain"), "plain");
    Path keyring =
        TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target, old));
    Map<String, Long> totals = new HashMap<>();
    long total = 0;
    Instant before = Instant.now();
    for (int s = 0; s < 3; s++) {
      Path result = dir.resolve("result-" + s + ".json");
      int exit =
          Cli.run(
              new String[] {
                "rekey",
                "--keyring",
                keyring.toString(),
                "--data",
                "east=" + a,
                "--data",
                "west=" + b,
                "--shard",
                s + "/3",
                "--result",
                result.toString()
              });
      assertEquals(Cli.OK, exit);
      WorkerResult r = WorkerResult.parse(Files.readString(result));
      assertNotNull(r.startedAt);
      assertFalse(Instant.parse(r.startedAt).isBefore(before.minusSeconds(1)));
      assertEquals(List.of("east", "west"), r.locations.stream().map(l -> l.name).toList());
      for (WorkerResult.LocationResult l : r.locations) {
        totals.merge(l.name, l.total, Long::sum);
        assertEquals(l.total, l.byKeyBefore.values().stream().mapToLong(Long::longValue).sum());
      }
      total += r.total;
      assertTrue(r.total < 41, "one shard took everything");
    }
    assertEquals(Map.of("east", 20L, "west", 21L), totals);
    assertEquals(41, total);
    for (int i = 0; i < 20; i++) {
      assertEquals(target.keyId(), PartitionCodec.inspect(a.resolve("p" + i)).keyId().hex());
      assertEquals(target.keyId(), PartitionCodec.inspect(b.resolve("p" + i)).keyId().hex());
    }
  }

  @Test
  void aPlainDataRootIsNamedByLocationAndOldResultsStillParse() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    partition(data.resolve("p"), "x");
    Path keyring =
        TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target, old));
    assertEquals(
        Cli.OK,
        Cli.run(
            new String[] {
              "rekey",
              "--keyring",
              keyring.toString(),
              "--data",
              data.toString(),
              "--location",
              "events-data/partitions/2026",
              "--result",
              dir.resolve("r.json").toString()
            }));
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("r.json")));
    assertEquals("events-data/partitions/2026", r.locations.get(0).name);
    assertEquals(Map.of(old.keyId(), 1L), r.locations.get(0).byKeyBefore);

    WorkerResult old =
        WorkerResult.parse(
            "{\"format\":1,\"shard\":\"0/1\",\"total\":2,\"rebuilt\":2,\"byKeyBefore\":{}}");
    assertEquals(2, old.total);
    assertEquals(0, old.unreadable);
    assertTrue(old.locations.isEmpty());
    assertEquals(null, old.startedAt);
  }

  @Test
  void locationCountsSurviveTheSizeCutSamplesAndFailuresDoNot() {
    WorkerResult r = new WorkerResult();
    for (int i = 0; i < 200; i++) {
      r.addFailure("p/" + "x".repeat(150) + i, "k", "reason ".repeat(20), true);
    }
    for (int i = 0; i < 3; i++) {
      r.addUnreadable("u/" + "y".repeat(150) + i, "AccessDeniedException");
    }
    for (int i = 0; i < 8; i++) {
      WorkerResult.LocationResult l = new WorkerResult.LocationResult("loc-" + i);
      l.total = 1000 + i;
      l.byKeyBefore.put("0123456789abcdef0123456789abcdef", 1000L + i);
      l.byKeyAfter.put("fedcba9876543210fedcba9876543210", 1000L + i);
      r.locations.add(l);
    }
    String json = r.toJson();
    assertTrue(json.getBytes(StandardCharsets.UTF_8).length <= WorkerResult.MAX_BYTES);
    WorkerResult back = assertDoesNotThrowParse(json);
    assertEquals(8, back.locations.size());
    assertEquals(1007, back.locations.get(7).total);
    assertEquals(3, back.unreadable);
    assertTrue(back.failures.size() < 200);
  }

  private static WorkerResult assertDoesNotThrowParse(String json) {
    try {
      return WorkerResult.parse(json);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private WorkerResult run(List<Location> locations, Selection selection, FileOpener files)
      throws IOException {
    return new RekeyRun(
            full,
            locations,
            selection,
            Mode.REENCRYPT,
            Shard.ALL,
            false,
            RebuildCheckpoints.NONE,
            null,
            files,
            Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
        .run();
  }

  private Path partition(Path p, String content) throws IOException {
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec()
          .encrypt(
              new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)),
              ch,
              TestKeyBundles.ring(TestKeyBundles.doc(old)));
    }
    return p;
  }
}
