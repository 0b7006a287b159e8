package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.testing.TestKeyBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * parquet-java writes and reads PME files with the keyops KmsClient in every variant, and a file
 * cannot be read once its ring key is gone from the keyring.
 */
class KeyopsKmsClientRoundTripTest {

  @TempDir Path dir;

  static Stream<ParquetFixtures.Layout> layouts() {
    Stream.Builder<ParquetFixtures.Layout> all = Stream.builder();
    for (boolean internal : new boolean[] {true, false}) {
      for (boolean dbl : new boolean[] {true, false}) {
        for (boolean plain : new boolean[] {false, true}) {
          for (boolean columns : new boolean[] {false, true}) {
            ParquetFixtures.Layout l =
                ParquetFixtures.Layout.of("ring-test")
                    .internal(internal)
                    .doubleWrapping(dbl)
                    .plaintextFooter(plain);
            all.add(columns ? l.columns(Map.of("ssn", "COLUMNKEY")) : l);
          }
        }
      }
    }
    return all.build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void writesAndReadsBackEveryVariant(ParquetFixtures.Layout layout) throws Exception {
    KeyBundleDocument.Entry a = TestKeyBundles.key("a", "Primary");
    KeyBundleDocument.Entry col = TestKeyBundles.key("col", "Primary");
    KeyBundleDocument.Entry other = TestKeyBundles.key("other", "Retired");
    // "COLUMNKEY" stands for the column key's id: the ring has two usable keys but one Primary,
    // so the column key here is the Primary's id written out (pinning a key id).
    ParquetFixtures.Layout l =
        layout.columnKeys().isEmpty() ? layout : layout.columns(Map.of("ssn", a.keyId()));
    Path keyring = TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(a, other));
    Path file = dir.resolve("part-0.parquet");
    ParquetFixtures.write(keyring, l, file, 250, 100, CompressionCodecName.SNAPPY);

    assertEquals(ParquetFixtures.expected(250), ParquetFixtures.read(keyring, file));
    assertEquals(
        !l.internalKeyMaterial(),
        Files.exists(dir.resolve("_KEY_MATERIAL_FOR_part-0.parquet.json")),
        "sidecar presence");
    assertTrue(!Files.exists(dir.resolve(".part-0.parquet.crc")), "no .crc files");

    // A keyring without the ring key cannot read it (once the key tools' KEK cache, which would
    // keep a double-wrapped file readable in this process for its lifetime, is emptied).
    org.apache.parquet.crypto.keytools.KeyToolkit.removeCacheEntriesForAllTokens();
    Path without =
        TestKeyBundles.write(dir.resolve("without.json"), TestKeyBundles.doc(col, other));
    Exception e =
        assertThrows(Exception.class, () -> ParquetFixtures.read(without, file), l.toString());
    assertTrue(
        messages(e).contains("not in the keyring") || l.plaintextFooter(),
        "expected a missing-key message, got " + messages(e));
  }

  static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(" / ");
    }
    return sb.toString();
  }
}
