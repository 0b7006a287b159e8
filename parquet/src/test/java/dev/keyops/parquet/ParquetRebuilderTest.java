package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.PartitionRebuilder.Status;
import dev.keyops.partition.RebuildCheckpoints;
import dev.keyops.partition.testing.TestKeyBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every variant is moved onto the new ring key, in both modes, and then reads back with a keyring
 * that has only the new key; the layout survives.
 */
class ParquetRebuilderTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry oldKey = TestKeyBundles.key("old", "Retired");
  final KeyBundleDocument.Entry newKey = TestKeyBundles.key("new", "Primary");

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Mode mode : Mode.values()) {
      KeyopsKmsClientRoundTripTest.layouts().forEach(l -> all.add(Arguments.of(l, mode)));
    }
    return all.stream();
  }

  Path writeOld(ParquetFixtures.Layout layout, Path file, int rows) throws java.io.IOException {
    Path oldRing =
        TestKeyBundles.write(
            dir.resolve("old.json"),
            TestKeyBundles.doc(TestKeyBundles.withState(oldKey, "Primary")));
    ParquetFixtures.Layout l =
        layout.columnKeys().isEmpty() ? layout : layout.columns(Map.of("ssn", oldKey.keyId()));
    ParquetFixtures.write(oldRing, l, file, rows, 40, CompressionCodecName.GZIP);
    return oldRing;
  }

  ParquetRebuilder rebuilder(KeyBundle ring, Path ringPath, Mode mode, RebuildCheckpoints cp) {
    return new ParquetRebuilder(ring, ringPath, KeyId.parse(newKey.keyId()), mode, false, cp);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void movesEveryVariantOntoTheNewKeyKeepingItsLayout(ParquetFixtures.Layout layout, Mode mode)
      throws Exception {
    Path file = dir.resolve("part-0.parquet");
    Path oldRing = writeOld(layout, file, 130);
    byte[] bytesBefore = Files.readAllBytes(file);
    ParquetFile infoBefore =
        new ParquetInspector(ParquetCrypto.configuration(oldRing)).inspect(file);
    assertFalse(infoBefore.columnKeysUnknown());
    Path ringPath =
        TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(newKey, oldKey));
    KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(newKey, oldKey));

    ParquetRebuilder.Outcome o =
        rebuilder(ring, ringPath, mode, RebuildCheckpoints.NONE).rebuild(file);

    assertEquals(Status.REBUILT, o.status(), o.reason());
    assertEquals(Set.of(oldKey.keyId()), o.keysBefore());
    assertEquals(Set.of(newKey.keyId()), o.keysAfter());
    ParquetFile after = new ParquetInspector(ParquetCrypto.configuration(ringPath)).inspect(file);
    assertEquals(Set.of(KeyId.parse(newKey.keyId())), after.keyIds());
    assertEquals(infoBefore.plaintextFooter(), after.plaintextFooter());
    assertEquals(infoBefore.externalKeyMaterial(), after.externalKeyMaterial());
    assertEquals(infoBefore.keys().size(), after.keys().size(), "footer and column keys");
    assertEquals(
        infoBefore.keys().get(0).material().doubleWrapping(),
        after.keys().get(0).material().doubleWrapping());
    assertEquals("ring-test", after.keys().get(0).material().masterKeyId());
    if (after.keys().size() > 1 && !after.externalKeyMaterial()) {
      assertEquals("ssn", after.keys().get(1).where());
      assertEquals(newKey.keyId(), after.keys().get(1).material().masterKeyId());
    }
    boolean rewrap = mode == Mode.REWRAP && !layout.internalKeyMaterial();
    if (rewrap) {
      assertArrayEquals(bytesBefore, Files.readAllBytes(file), "a re-wrap leaves the file as is");
    } else {
      assertFalse(java.util.Arrays.equals(bytesBefore, Files.readAllBytes(file)));
    }
    try (var r = ParquetFileReader.open(new LocalInputFile(file), readOptions(ringPath, file))) {
      assertEquals(4, r.getRowGroups().size(), "row groups of 40, 40, 40, 10 rows");
      assertEquals(
          CompressionCodecName.GZIP, r.getRowGroups().get(0).getColumns().get(0).getCodec());
    }

    // Only the new key: still readable. Only the old key: not any more.
    KeyToolkit.removeCacheEntriesForAllTokens();
    Path onlyNew = TestKeyBundles.write(dir.resolve("new-only.json"), TestKeyBundles.doc(newKey));
    assertEquals(ParquetFixtures.expected(130), ParquetFixtures.read(onlyNew, file));
    Path onlyOld =
        TestKeyBundles.write(
            dir.resolve("old-only.json"),
            TestKeyBundles.doc(TestKeyBundles.withState(oldKey, "Primary")));
    KeyToolkit.removeCacheEntriesForAllTokens();
    assertThrows(Exception.class, () -> ParquetFixtures.read(onlyOld, file));
    try (var s = Files.list(dir)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().contains(".keyops-tmp.")),
          "no temporary files left");
    }

    ParquetRebuilder.Outcome again =
        rebuilder(ring, ringPath, mode, RebuildCheckpoints.NONE).rebuild(file);
    assertEquals(Status.ALREADY_ON_TARGET, again.status());
  }

  static org.apache.parquet.ParquetReadOptions readOptions(Path ring, Path file) {
    return org.apache.parquet.ParquetReadOptions.builder()
        .withDecryption(ParquetCrypto.decryption(ParquetCrypto.configuration(ring), file))
        .build();
  }

  @Test
  void aFileWhoseKeyIsGoneIsUntouchedAndPlaintextParquetIsNeverEncrypted() throws Exception {
    Path file = dir.resolve("f.parquet");
    writeOld(ParquetFixtures.Layout.of("ring-test"), file, 20);
    byte[] before = Files.readAllBytes(file);
    Path plain = dir.resolve("plain.parquet");
    ParquetFixtures.write(null, null, plain, 20, 10, CompressionCodecName.SNAPPY);
    byte[] plainBefore = Files.readAllBytes(plain);
    KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(newKey));
    Path ringPath = TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(newKey));
    for (Mode mode : Mode.values()) {
      ParquetRebuilder r = rebuilder(ring, ringPath, mode, RebuildCheckpoints.NONE);
      ParquetRebuilder.Outcome gone = r.rebuild(file);
      assertEquals(Status.UNRECOVERABLE, gone.status());
      assertEquals(Set.of(oldKey.keyId()), gone.keysBefore());
      assertTrue(gone.reason().contains("not in the keyring"), gone.reason());
      ParquetRebuilder.Outcome p = r.rebuild(plain);
      assertEquals(Status.FOREIGN, p.status());
      assertTrue(p.plaintext());
    }
    assertArrayEquals(before, Files.readAllBytes(file));
    assertArrayEquals(plainBefore, Files.readAllBytes(plain));
  }

  @Test
  void aWriterReplacingTheFileDuringTheRebuildWins() throws Exception {
    for (boolean internal : new boolean[] {true, false}) {
      Path file = dir.resolve("w" + internal + ".parquet");
      writeOld(ParquetFixtures.Layout.of("ring-test").internal(internal), file, 50);
      Path ringPath =
          TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(newKey, oldKey));
      KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(newKey, oldKey));
      Path writersCopy = dir.resolve("writer-" + internal);
      RebuildCheckpoints writer =
          new RebuildCheckpoints() {
            @Override
            public void reached(String point) {}

            @Override
            public void reached(String point, Path f) throws java.io.IOException {
              if (point.endsWith("verified")) {
                // The writer's contract: write a new file, rename it over the old one.
                writeOld(ParquetFixtures.Layout.of("ring-test").internal(internal), writersCopy, 7);
                Files.move(
                    writersCopy,
                    f,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                if (!internal) {
                  Files.move(
                      ParquetFile.sidecarOf(writersCopy),
                      ParquetFile.sidecarOf(f),
                      java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
              }
            }
          };
      for (Mode mode : Mode.values()) {
        ParquetRebuilder.Outcome o = rebuilder(ring, ringPath, mode, writer).rebuild(file);
        assertEquals(Status.CHANGED, o.status(), internal + " " + mode + ": " + o.reason());
        KeyToolkit.removeCacheEntriesForAllTokens();
        assertEquals(ParquetFixtures.expected(7), ParquetFixtures.read(ringPath, file));
      }
    }
  }
}
