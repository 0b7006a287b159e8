package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.testing.TestKeyBundles;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The inspector reads every key id a file uses from its footer or sidecar, in every variant. */
class ParquetInspectorTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry footerKey = TestKeyBundles.key("footer", "Primary");
  final KeyBundleDocument.Entry columnKey = TestKeyBundles.key("column", "Retired");

  static java.util.stream.Stream<ParquetFixtures.Layout> layouts() {
    return KeyopsKmsClientRoundTripTest.layouts();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void readsEveryKeyIdOfEveryVariant(ParquetFixtures.Layout layout) throws Exception {
    // Write with the column key as a Primary (writers only use the Primary), then inspect with a
    // keyring where it is Retired and the footer key Primary.
    Path writeRing =
        TestKeyBundles.write(
            dir.resolve("w.json"),
            TestKeyBundles.doc(columnKey, TestKeyBundles.withState(footerKey, "Retired")));
    Path readRing =
        TestKeyBundles.write(dir.resolve("r.json"), TestKeyBundles.doc(footerKey, columnKey));
    ParquetFixtures.Layout l =
        layout.columnKeys().isEmpty()
            ? layout.columns(Map.of())
            : layout.columns(Map.of("ssn", columnKey.keyId()));
    Path file = dir.resolve("f.parquet");
    ParquetFixtures.write(writeRing, l, file, 40, 10, CompressionCodecName.GZIP);

    ParquetFile info = new ParquetInspector(ParquetCrypto.configuration(readRing)).inspect(file);
    assertTrue(info.encrypted());
    assertEquals(l.plaintextFooter(), info.plaintextFooter());
    assertEquals(!l.internalKeyMaterial(), info.externalKeyMaterial());
    assertFalse(info.columnKeysUnknown());
    // The writer's Primary wraps the footer (ring-test) and the pinned column key alike.
    assertEquals(Set.of(KeyId.parse(columnKey.keyId())), info.keyIds());
    assertEquals(l.columnKeys().isEmpty() ? 1 : 2, info.keys().size(), info.keys().toString());
    assertEquals(
        l.doubleWrapping(), info.keys().get(0).material().doubleWrapping(), "wrapping mode");
  }

  @Test
  void aColumnKeyOnAnotherRingKeyIsReportedBesideTheFooterKey() throws Exception {
    KeyBundleDocument.Entry older = TestKeyBundles.key("older", "Retired");
    KeyBundleDocument.Entry newer = TestKeyBundles.key("newer", "Primary");
    Path ring = TestKeyBundles.write(dir.resolve("k.json"), TestKeyBundles.doc(newer, older));
    Path file = dir.resolve("mixed.parquet");
    ParquetFixtures.Layout l =
        ParquetFixtures.Layout.of("ring-test")
            .columns(Map.of("ssn", newer.keyId()))
            .internal(false);
    ParquetFixtures.write(ring, l, file, 20, 10, CompressionCodecName.UNCOMPRESSED);
    // Move only the column key's material onto the older ring key (as a half-done rotation by
    // another tool would leave it).
    Path sidecar = ParquetFile.sidecarOf(file);
    var root =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            KeyMaterial.JSON.readTree(sidecar.toFile());
    KeyMaterial column = KeyMaterial.parse(root.get("columnKey0").asText());
    var keyring = TestKeyBundles.ring(TestKeyBundles.doc(newer, older));
    root.put("columnKey0", column.rewrapped(keyring, KeyId.parse(older.keyId())).toJson());
    Files.write(sidecar, KeyMaterial.JSON.writeValueAsBytes(root));

    ParquetFile info = new ParquetInspector(null).inspect(file);
    assertEquals(Set.of(KeyId.parse(newer.keyId()), KeyId.parse(older.keyId())), info.keyIds());
    assertEquals("ring-test", info.keys().get(0).material().masterKeyId());
    assertEquals(older.keyId(), info.keys().get(1).material().masterKeyId());
    // Still readable: the column's data key is the same, only wrapped by another ring key.
    assertEquals(ParquetFixtures.expected(20), ParquetFixtures.read(ring, file));
  }

  @Test
  void anEncryptedFootersColumnKeysAreUnknownWithoutItsFooterKey() throws Exception {
    Path ring = TestKeyBundles.write(dir.resolve("k.json"), TestKeyBundles.doc(footerKey));
    Path file = dir.resolve("f.parquet");
    ParquetFixtures.write(
        ring,
        ParquetFixtures.Layout.of("ring-test").columns(Map.of("ssn", footerKey.keyId())),
        file,
        20,
        10,
        CompressionCodecName.SNAPPY);
    KeyToolkit.removeCacheEntriesForAllTokens();
    Path other =
        TestKeyBundles.write(
            dir.resolve("o.json"), TestKeyBundles.doc(TestKeyBundles.key("x", "P")));
    ParquetFile info = new ParquetInspector(ParquetCrypto.configuration(other)).inspect(file);
    assertTrue(info.columnKeysUnknown());
    assertEquals(Set.of(KeyId.parse(footerKey.keyId())), info.keyIds());
    ParquetFile noConf = new ParquetInspector(null).inspect(file);
    assertTrue(noConf.columnKeysUnknown());
  }

  @Test
  void plaintextParquetIsNotEncryptedAndBrokenFilesAreUnreadable() throws Exception {
    Path plain = dir.resolve("plain.parquet");
    ParquetFixtures.write(null, null, plain, 30, 10, CompressionCodecName.SNAPPY);
    ParquetFile info = new ParquetInspector(null).inspect(plain);
    assertFalse(info.encrypted());
    assertTrue(info.keys().isEmpty());
    try (FileChannel ch = FileChannel.open(plain, StandardOpenOption.READ)) {
      assertTrue(ParquetInspector.isParquet(ch));
    }

    byte[] bytes = Files.readAllBytes(plain);
    Path truncated = dir.resolve("truncated.parquet");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 3));
    var t =
        assertThrows(
            ParquetInspector.UnreadableParquetException.class,
            () -> new ParquetInspector(null).inspect(truncated));
    assertTrue(t.getMessage().contains("not a complete Parquet file"), t.getMessage());

    Path badLength = dir.resolve("badlength.parquet");
    byte[] copy = bytes.clone();
    copy[copy.length - 5] = (byte) 0x7f; // footer length's high byte
    Files.write(badLength, copy);
    assertThrows(
        ParquetInspector.UnreadableParquetException.class,
        () -> new ParquetInspector(null).inspect(badLength));

    Path garbage = dir.resolve("garbage.parquet");
    byte[] g = bytes.clone();
    int footerLen =
        (g[g.length - 8] & 0xff)
            | (g[g.length - 7] & 0xff) << 8
            | (g[g.length - 6] & 0xff) << 16
            | (g[g.length - 5] & 0xff) << 24;
    Arrays.fill(g, g.length - 8 - footerLen, g.length - 8, (byte) 0xff);
    Files.write(garbage, g);
    var e =
        assertThrows(
            ParquetInspector.UnreadableParquetException.class,
            () -> new ParquetInspector(null).inspect(garbage));
    assertTrue(e.getMessage().contains("cannot be parsed"), e.getMessage());
  }

  @Test
  void aMissingOrForeignSidecarMakesTheFileUnreadable() throws Exception {
    Path ring = TestKeyBundles.write(dir.resolve("k.json"), TestKeyBundles.doc(footerKey));
    Path file = dir.resolve("f.parquet");
    ParquetFixtures.write(
        ring,
        ParquetFixtures.Layout.of("ring-test").internal(false),
        file,
        20,
        10,
        CompressionCodecName.SNAPPY);
    Path sidecar = ParquetFile.sidecarOf(file);
    String good = Files.readString(sidecar);
    Files.writeString(sidecar, good.replace("keyops1:", "otherkms:"));
    var foreign =
        assertThrows(
            ParquetInspector.UnreadableParquetException.class,
            () -> new ParquetInspector(null).inspect(file));
    assertTrue(
        foreign.getMessage().contains("not wrapped by a keyops ring key"), foreign.getMessage());
    Files.delete(sidecar);
    var missing =
        assertThrows(
            ParquetInspector.UnreadableParquetException.class,
            () -> new ParquetInspector(null).inspect(file));
    assertTrue(missing.getMessage().contains("sidecar"), missing.getMessage());
  }
}
