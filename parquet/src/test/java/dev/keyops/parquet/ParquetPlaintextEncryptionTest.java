package dev.keyops.parquet;

import static java.nio.charset.StandardCharsets.UTF_8;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A plaintext Parquet file is encrypted only when the job asks ({@code
 * spec.parquet.encryptPlaintext}), in the layout it asks for, and read back equal with the ring's
 * key; a layout that does not fit the file leaves it as it was.
 */
class ParquetPlaintextEncryptionTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry primary = TestKeyBundles.key("new", "Primary");
  final KeyId target = KeyId.parse(primary.keyId());

  static Stream<PlaintextEncryption> layouts() {
    return Stream.of(
        PlaintextEncryption.UNIFORM,
        new PlaintextEncryption(List.of(), false, false, true),
        new PlaintextEncryption(List.of("ssn"), true, true, false),
        new PlaintextEncryption(List.of("ssn", "name"), false, false, true));
  }

  Path plain(String name, int rows) throws IOException {
    Path file = dir.resolve(name);
    ParquetFixtures.write(null, null, file, rows, 25, CompressionCodecName.SNAPPY);
    return file;
  }

  ParquetRebuilder rebuilder(PlaintextEncryption layout, boolean dryRun, RebuildCheckpoints cp)
      throws IOException {
    Path ringPath = TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(primary));
    KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(primary));
    return new ParquetRebuilder(ring, ringPath, target, Mode.REWRAP, dryRun, cp, layout);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void encryptsAPlaintextFileInTheLayoutAskedFor(PlaintextEncryption layout) throws Exception {
    Path file = plain("part-0.parquet", 80);
    Path ringPath = TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(primary));

    ParquetRebuilder.Outcome o = rebuilder(layout, false, RebuildCheckpoints.NONE).rebuild(file);

    assertEquals(Status.REBUILT, o.status(), o.reason());
    assertEquals(Set.of(ParquetRebuilder.UNENCRYPTED), o.keysBefore());
    assertEquals(Set.of(primary.keyId()), o.keysAfter());
    assertFalse(o.plaintext(), "an encrypted file is no longer reported as plaintext");
    ParquetFile after = new ParquetInspector(ParquetCrypto.configuration(ringPath)).inspect(file);
    assertTrue(after.encrypted());
    assertEquals(Set.of(target), after.keyIds());
    assertEquals(layout.plaintextFooter(), after.plaintextFooter());
    assertEquals(layout.externalKeyMaterial(), after.externalKeyMaterial());
    assertEquals(layout.doubleWrapping(), after.keys().get(0).material().doubleWrapping());
    assertEquals("ring-test", after.keys().get(0).material().masterKeyId());
    MessageType schema =
        ParquetCopy.schema(
            file, ParquetCrypto.decryption(ParquetCrypto.configuration(ringPath), file));
    List<String> how =
        new ParquetInspector(ParquetCrypto.configuration(ringPath)).layout(file, after).columns();
    assertEquals(schema.getColumns().size(), how.size());
    for (int i = 0; i < how.size(); i++) {
      String column = String.join(".", schema.getColumns().get(i).getPath());
      boolean asked = layout.uniform() || layout.columns().contains(column);
      assertEquals(asked, how.get(i) != null, column + " encrypted only if asked: " + how);
    }
    if (!layout.externalKeyMaterial()) {
      List<String> columnKeys =
          after.keys().stream().skip(1).map(ParquetFile.KeyUse::where).sorted().toList();
      assertEquals(layout.columns().stream().sorted().toList(), columnKeys);
    }
    try (var r =
        ParquetFileReader.open(
            new LocalInputFile(file), ParquetRebuilderTest.readOptions(ringPath, file))) {
      assertEquals(4, r.getRowGroups().size(), "row groups of 25, 25, 25, 5 rows");
      assertEquals(
          CompressionCodecName.SNAPPY, r.getRowGroups().get(0).getColumns().get(0).getCodec());
    }
    KeyToolkit.removeCacheEntriesForAllTokens();
    assertEquals(ParquetFixtures.expected(80), ParquetFixtures.read(ringPath, file));
    Path otherRing =
        TestKeyBundles.write(
            dir.resolve("other.json"), TestKeyBundles.doc(TestKeyBundles.key("other", "Primary")));
    KeyToolkit.removeCacheEntriesForAllTokens();
    assertThrows(Exception.class, () -> ParquetFixtures.read(otherRing, file));
    try (var s = Files.list(dir)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().contains(".keyops-tmp.")),
          "no temporary files left");
    }

    ParquetRebuilder.Outcome again =
        rebuilder(layout, false, RebuildCheckpoints.NONE).rebuild(file);
    assertEquals(Status.ALREADY_ON_TARGET, again.status(), again.reason());
  }

  @Test
  void aDryRunAndAJobThatDoesNotAskLeaveThePlaintextFileAsItWas() throws Exception {
    Path file = plain("p.parquet", 30);
    byte[] before = Files.readAllBytes(file);

    ParquetRebuilder.Outcome dry =
        rebuilder(PlaintextEncryption.UNIFORM, true, RebuildCheckpoints.NONE).rebuild(file);
    ParquetRebuilder.Outcome notAsked =
        rebuilder(null, false, RebuildCheckpoints.NONE).rebuild(file);

    assertEquals(Status.PENDING, dry.status());
    assertEquals(Set.of(ParquetRebuilder.UNENCRYPTED), dry.keysBefore());
    assertEquals(Status.FOREIGN, notAsked.status());
    assertTrue(notAsked.plaintext());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void aDryRunFailsAColumnTheFileLacksAsTheRealRunWould() throws Exception {
    Path file = plain("p.parquet", 30);
    byte[] before = Files.readAllBytes(file);
    PlaintextEncryption layout =
        new PlaintextEncryption(List.of("ssn", "salary"), false, true, false);

    ParquetRebuilder.Outcome dry = rebuilder(layout, true, RebuildCheckpoints.NONE).rebuild(file);
    ParquetRebuilder.Outcome fits =
        rebuilder(
                new PlaintextEncryption(List.of("ssn"), false, true, false),
                true,
                RebuildCheckpoints.NONE)
            .rebuild(file);

    assertEquals(Status.FAILED, dry.status());
    assertTrue(dry.reason().contains("salary"), dry.reason());
    assertTrue(dry.reason().contains("spec.parquet.encryptPlaintext.columns"), dry.reason());
    assertEquals(Status.PENDING, fits.status(), fits.reason());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void aSidecarAWriterPutsBesideThePlaintextFileMeanwhileIsNeverOverwritten() throws Exception {
    Path file = plain("p.parquet", 30);
    byte[] before = Files.readAllBytes(file);
    Path sidecar = ParquetFile.sidecarOf(file);
    byte[] writers = "{\"a writer's key material\": true}".getBytes(UTF_8);
    RebuildCheckpoints writer =
        new RebuildCheckpoints() {
          @Override
          public void reached(String point) {}

          @Override
          public void reached(String point, Path f) throws IOException {
            if (point.equals("parquet.rewrite.temp-written")) {
              Files.write(sidecar, writers);
            }
          }
        };
    PlaintextEncryption external = new PlaintextEncryption(List.of(), false, true, true);

    ParquetRebuilder.Outcome o = rebuilder(external, false, writer).rebuild(file);

    assertEquals(Status.CHANGED, o.status(), o.reason());
    assertArrayEquals(writers, Files.readAllBytes(sidecar));
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void aStaleSidecarBesideAPlaintextFileIsReplacedByTheNewOne() throws Exception {
    Path file = plain("p.parquet", 30);
    Path ringPath = TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(primary));
    Files.write(ParquetFile.sidecarOf(file), "{}".getBytes(UTF_8));
    PlaintextEncryption external = new PlaintextEncryption(List.of(), false, true, true);

    ParquetRebuilder.Outcome o = rebuilder(external, false, RebuildCheckpoints.NONE).rebuild(file);

    assertEquals(Status.REBUILT, o.status(), o.reason());
    KeyToolkit.removeCacheEntriesForAllTokens();
    assertEquals(ParquetFixtures.expected(30), ParquetFixtures.read(ringPath, file));
  }

  @Test
  void aColumnTheFileLacksFailsTheFileWhichStaysPlaintext() throws Exception {
    Path file = plain("p.parquet", 30);
    byte[] before = Files.readAllBytes(file);
    PlaintextEncryption layout =
        new PlaintextEncryption(List.of("ssn", "salary"), false, true, false);

    ParquetRebuilder.Outcome o = rebuilder(layout, false, RebuildCheckpoints.NONE).rebuild(file);

    assertEquals(Status.FAILED, o.status());
    assertTrue(o.reason().contains("salary"), o.reason());
    assertTrue(o.reason().contains("spec.parquet.encryptPlaintext.columns"), o.reason());
    assertArrayEquals(before, Files.readAllBytes(file));
    try (var s = Files.list(dir)) {
      assertEquals(
          Set.of("p.parquet", "ring.json"),
          s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
    }
  }

  @Test
  void withASidecarTheKeyMaterialIsInPlaceBeforeTheFileIsEncrypted() throws Exception {
    Path file = plain("p.parquet", 30);
    Path ringPath = TestKeyBundles.write(dir.resolve("ring.json"), TestKeyBundles.doc(primary));
    List<String> seen = new java.util.ArrayList<>();
    RebuildCheckpoints watch =
        new RebuildCheckpoints() {
          @Override
          public void reached(String point) {}

          @Override
          public void reached(String point, Path f) throws IOException {
            if (point.equals("parquet.encrypt.sidecar-renamed")) {
              // Between the two renames: the sidecar is there and the file is still plaintext,
              // readable by anyone who could read it before.
              assertTrue(Files.exists(ParquetFile.sidecarOf(f)));
              assertFalse(
                  new ParquetInspector(ParquetCrypto.configuration(ringPath))
                      .inspect(f)
                      .encrypted());
              assertEquals(ParquetFixtures.expected(30), ParquetFixtures.read(ringPath, f));
            }
            seen.add(point);
          }
        };
    PlaintextEncryption external = new PlaintextEncryption(List.of(), false, true, true);

    ParquetRebuilder.Outcome o = rebuilder(external, false, watch).rebuild(file);

    assertEquals(Status.REBUILT, o.status(), o.reason());
    assertTrue(
        seen.indexOf("parquet.encrypt.sidecar-renamed") >= 0
            && seen.indexOf("parquet.encrypt.sidecar-renamed")
                < seen.indexOf("parquet.rewrite.renamed"),
        "sidecar first: " + seen);
    assertFalse(seen.contains("parquet.rewrite.sidecar-renamed"), "one sidecar rename: " + seen);
  }

  @Test
  void aLayoutWithSeparatorsOrRepeatsIsRefusedWithWhatToDo() {
    IllegalArgumentException sep =
        assertThrows(
            IllegalArgumentException.class,
            () -> new PlaintextEncryption(List.of("a,b"), false, true, false));
    assertTrue(sep.getMessage().contains("without ':', ';' or ','"), sep.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new PlaintextEncryption(List.of("ssn", "ssn"), false, true, false));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PlaintextEncryption(List.of(" "), false, true, false));
  }
}
