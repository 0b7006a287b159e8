package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyops.parquet.KeyMaterial;
import dev.keyops.parquet.ParquetFile;
import dev.keyops.parquet.ParquetFixtures;
import dev.keyops.parquet.ParquetInspector;
import dev.keyops.partition.FileOpener;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionFormat;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.RebuildCheckpoints;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The worker inventories Parquet files beside partitions (per key, from footers and sidecars),
 * rebuilds them onto the Primary, and never wraps one in the keyops format.
 */
class ParquetRekeyTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Retired");
  final KeyBundleDocument.Entry other = TestKeyBundles.key("other", "Retired");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final KeyBundle full = TestKeyBundles.ring(TestKeyBundles.doc(target, old, other));

  /** The volume: 2 partitions, 6 encrypted Parquet files, 1 plaintext, 1 truncated, 1 orphan. */
  Map<Path, byte[]> volume(Path data) throws Exception {
    Path oldRing =
        TestKeyBundles.write(
            dir.resolve("old.json"), TestKeyBundles.doc(TestKeyBundles.withState(old, "Primary")));
    partition(data.resolve("p1.kpart"), "one");
    partition(data.resolve("p2.kpart"), "two");
    var base = ParquetFixtures.Layout.of("ring-test");
    ParquetFixtures.write(oldRing, base, data.resolve("internal.parquet"), 90, 30, snappy());
    ParquetFixtures.write(
        oldRing, base.internal(false), data.resolve("external.parquet"), 90, 30, snappy());
    ParquetFixtures.write(
        oldRing,
        base.internal(false).doubleWrapping(false),
        data.resolve("external-single.parquet"),
        50,
        30,
        snappy());
    ParquetFixtures.write(
        oldRing,
        base.plaintextFooter(true).columns(Map.of("ssn", old.keyId())),
        data.resolve("plainfooter-columns.parquet"),
        60,
        30,
        snappy());
    ParquetFixtures.write(
        oldRing,
        base.columns(Map.of("ssn", old.keyId())),
        data.resolve("encfooter-columns.parquet"),
        60,
        30,
        snappy());
    // A file on two ring keys: its ssn column key re-wrapped onto "other" in its sidecar.
    Path mixed = data.resolve("mixed.parquet");
    ParquetFixtures.write(
        oldRing, base.internal(false).columns(Map.of("ssn", old.keyId())), mixed, 40, 20, snappy());
    Path sidecar = ParquetFile.sidecarOf(mixed);
    ObjectNode root =
        (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(sidecar.toFile());
    root.put(
        "columnKey0",
        KeyMaterial.parse(root.get("columnKey0").asText())
            .rewrapped(full, KeyId.parse(other.keyId()))
            .toJson());
    Files.writeString(sidecar, root.toString());
    ParquetFixtures.write(null, null, data.resolve("plain.parquet"), 30, 10, snappy());
    byte[] some = Files.readAllBytes(data.resolve("internal.parquet"));
    Files.write(data.resolve("truncated.parquet"), Arrays.copyOf(some, some.length / 2));
    Files.writeString(data.resolve("_KEY_MATERIAL_FOR_gone.parquet.json"), "{\"x\":\"y\"}");
    Map<Path, byte[]> bytes = new HashMap<>();
    try (var s = Files.list(data)) {
      for (Path p : s.toList()) {
        bytes.put(p, Files.readAllBytes(p));
      }
    }
    return bytes;
  }

  static CompressionCodecName snappy() {
    return CompressionCodecName.SNAPPY;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void inventoriesAndRebuildsParquetBesidePartitions(Mode mode) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<Path, byte[]> before = volume(data);

    WorkerResult dry = run(data, mode, true);
    assertEquals(2 + 6 + 1, dry.total, dry.toJson());
    assertEquals(7, dry.parquet, "6 encrypted and the truncated one");
    assertEquals(1, dry.unreadable, "the truncated Parquet file");
    assertEquals(2, dry.foreign, "the plaintext Parquet file and the orphan sidecar");
    assertEquals(1, dry.plaintextParquet);
    assertEquals(0, dry.unencrypted, "plaintext Parquet is not an unencrypted partition");
    assertEquals(Map.of(old.keyId(), 8L, other.keyId(), 1L), dry.byKeyBefore, dry.toJson());
    assertEquals(8, dry.pending);
    for (var e : before.entrySet()) {
      assertArrayEquals(
          e.getValue(), Files.readAllBytes(e.getKey()), "dry run changed " + e.getKey());
    }

    WorkerResult r = run(data, mode, false);
    assertEquals(8, r.rebuilt, r.toJson());
    assertEquals(0, r.failed + r.unrecoverable, r.toJson());
    assertEquals(Map.of(target.keyId(), 8L), r.byKeyAfter, r.toJson());

    // Read back with a keyring that has only the new key.
    KeyToolkit.removeCacheEntriesForAllTokens();
    Path onlyNew = TestKeyBundles.write(dir.resolve("new.json"), TestKeyBundles.doc(target));
    assertEquals(
        ParquetFixtures.expected(90),
        ParquetFixtures.read(onlyNew, data.resolve("internal.parquet")));
    assertEquals(
        ParquetFixtures.expected(90),
        ParquetFixtures.read(onlyNew, data.resolve("external.parquet")));
    assertEquals(
        ParquetFixtures.expected(50),
        ParquetFixtures.read(onlyNew, data.resolve("external-single.parquet")));
    assertEquals(
        ParquetFixtures.expected(60),
        ParquetFixtures.read(onlyNew, data.resolve("plainfooter-columns.parquet")));
    assertEquals(
        ParquetFixtures.expected(60),
        ParquetFixtures.read(onlyNew, data.resolve("encfooter-columns.parquet")));
    assertEquals(
        ParquetFixtures.expected(40), ParquetFixtures.read(onlyNew, data.resolve("mixed.parquet")));
    if (mode == Mode.REWRAP) {
      assertArrayEquals(
          before.get(data.resolve("external.parquet")),
          Files.readAllBytes(data.resolve("external.parquet")),
          "a re-wrap touches the sidecar only");
    }

    WorkerResult again = run(data, mode, false);
    assertEquals(8, again.alreadyOnTarget, again.toJson());
    assertEquals(Map.of(target.keyId(), 8L), again.byKeyBefore);
    neverWrapped(data, before);
  }

  @Test
  void plaintextParquetIsEncryptedOnlyWhenTheJobAsksInTheLayoutItNames() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<Path, byte[]> before = volume(data);
    Path keyring =
        TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target, old, other));
    Path result = dir.resolve("result.json");
    List<String> args =
        List.of(
            "rekey",
            "--keyring",
            keyring.toString(),
            "--data",
            data.toString(),
            "--mode",
            "rewrap",
            "--result",
            result.toString(),
            "--parquet-encrypt-plaintext",
            "--parquet-columns",
            "ssn,name",
            "--parquet-plaintext-footer",
            "--parquet-key-material",
            "external");

    List<String> dryArgs = new java.util.ArrayList<>(args);
    dryArgs.add("--dry-run");
    assertEquals(
        Cli.PARTIAL_FAILURE, Cli.run(dryArgs.toArray(String[]::new)), "the truncated file");
    WorkerResult dry = WorkerResult.parse(Files.readString(result));
    assertEquals(0, dry.plaintextParquet, dry.toJson());
    assertEquals(1, dry.unencrypted, "the plaintext Parquet file, to be encrypted");
    assertEquals(9, dry.pending, dry.toJson());
    assertArrayEquals(
        before.get(data.resolve("plain.parquet")),
        Files.readAllBytes(data.resolve("plain.parquet")));

    assertEquals(Cli.PARTIAL_FAILURE, Cli.run(args.toArray(String[]::new)), "the truncated file");
    WorkerResult r = WorkerResult.parse(Files.readString(result));
    assertEquals(9, r.rebuilt, r.toJson());
    assertEquals(8, r.parquet, "7 encrypted (one truncated) and the one encrypted now");
    assertEquals(1, r.foreign, "only the orphan sidecar");
    assertEquals(Map.of(target.keyId(), 9L), r.byKeyAfter, r.toJson());
    Path plain = data.resolve("plain.parquet");
    ParquetFile info =
        new ParquetInspector(dev.keyops.parquet.ParquetCrypto.configuration(keyring))
            .inspect(plain);
    assertTrue(info.encrypted() && info.plaintextFooter() && info.externalKeyMaterial());
    List<String> sidecarKeys = new java.util.ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(ParquetFile.sidecarOf(plain).toFile())
        .fieldNames()
        .forEachRemaining(sidecarKeys::add);
    assertEquals(
        2,
        sidecarKeys.stream().filter(k -> k.startsWith("columnKey")).count(),
        "column keys for ssn and name: " + sidecarKeys);
    KeyToolkit.removeCacheEntriesForAllTokens();
    Path onlyNew = TestKeyBundles.write(dir.resolve("new.json"), TestKeyBundles.doc(target));
    assertEquals(ParquetFixtures.expected(30), ParquetFixtures.read(onlyNew, plain));
  }

  @Test
  void aParquetLayoutWithoutEncryptPlaintextIsRefusedWithWhatToAdd() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target));
    Path result = dir.resolve("result.json");
    for (List<String> extra :
        List.of(
            List.of("--parquet-columns", "ssn"),
            List.of("--parquet-encrypt-plaintext", "--parquet-key-material", "sidecar"),
            List.of("--parquet-encrypt-plaintext", "--parquet-columns", "a:b"))) {
      List<String> args =
          new java.util.ArrayList<>(
              List.of(
                  "rekey",
                  "--keyring",
                  keyring.toString(),
                  "--data",
                  data.toString(),
                  "--result",
                  result.toString()));
      args.addAll(extra);
      assertEquals(Cli.CANNOT_RUN, Cli.run(args.toArray(String[]::new)), extra.toString());
      String error = WorkerResult.parse(Files.readString(result)).error;
      assertTrue(
          error.contains("--parquet-encrypt-plaintext")
              || error.contains("internal or external")
              || error.contains("without ':'"),
          error);
    }
  }

  /** No Parquet file or sidecar became a keyops partition; the plaintext ones are untouched. */
  void neverWrapped(Path data, Map<Path, byte[]> before) throws IOException {
    for (String name :
        List.of("plain.parquet", "truncated.parquet", "_KEY_MATERIAL_FOR_gone.parquet.json")) {
      assertArrayEquals(
          before.get(data.resolve(name)), Files.readAllBytes(data.resolve(name)), name);
    }
    try (var s = Files.list(data)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        byte[] head = Arrays.copyOf(Files.readAllBytes(p), 4);
        if (name.endsWith(".parquet")) {
          String magic = new String(head, StandardCharsets.US_ASCII);
          assertTrue(magic.equals("PAR1") || magic.equals("PARE"), name + " starts " + magic);
        }
        if (!name.endsWith(".kpart")) {
          assertFalse(Arrays.equals(head, PartitionFormat.MAGIC), name + " was wrapped");
          assertFalse(name.startsWith(".keyops-tmp."), "temporary file left: " + name);
        }
      }
    }
  }

  private WorkerResult run(Path data, Mode mode, boolean dryRun) throws IOException {
    return new RekeyRun(
            full,
            List.of(new Location("main", data)),
            Selection.ALL,
            mode,
            Shard.ALL,
            dryRun,
            RebuildCheckpoints.NONE,
            null,
            FileOpener.DEFAULT,
            Clock.systemUTC())
        .run();
  }

  private void partition(Path p, String content) throws IOException {
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec()
          .encrypt(
              new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)),
              ch,
              TestKeyBundles.ring(TestKeyBundles.doc(old)));
    }
  }
}
