package dev.keyops.partition.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.testing.TestKeyBundles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding guide (docs/embedding.md) quotes {@link PartitionStore} verbatim, and the example
 * works: it writes and reads partitions with the keyring Secret mounted the way the kubelet mounts
 * it, and follows a rotation when the Secret changes.
 */
class EmbeddingGuideTest {

  static final Path REPO = Path.of(System.getProperty("keyops.repoRoot", ".."));

  @TempDir Path dir;

  @Test
  void theGuideQuotesTheExampleAsItIs() throws Exception {
    String source =
        Files.readString(
            REPO.resolve(
                "partition/src/test/java/dev/keyops/partition/example/PartitionStore.java"));
    String begin = "// [embedding-example]\n";
    String end = "// [/embedding-example]";
    String example =
        source.substring(source.indexOf(begin) + begin.length(), source.indexOf(end)).strip();
    String guide = Files.readString(REPO.resolve("docs/embedding.md"));
    assertTrue(
        guide.contains("```java\n" + example + "\n```"),
        "docs/embedding.md must quote PartitionStore.java between its markers, unchanged");
  }

  @Test
  void writesReadsAndFollowsARotation() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("keyring-volume"));
    KeyBundleDocument.Entry a = TestKeyBundles.key("events-1", "Primary");
    KeyBundleDocument.Entry b = TestKeyBundles.key("events-2", "Primary");
    mountSecret(volume, "..2026_11_01", TestKeyBundles.doc(a));
    Files.createSymbolicLink(volume.resolve("keyring.json"), Path.of("..data/keyring.json"));
    Path data = Files.createDirectories(dir.resolve("data"));

    PartitionStore store = new PartitionStore(volume.resolve("keyring.json"));
    byte[] first = "rows of November".getBytes(StandardCharsets.UTF_8);
    store.write(data.resolve("p1"), first);
    assertEquals(a.keyId(), PartitionStore.keyOf(data.resolve("p1")));
    assertArrayEquals(first, store.read(data.resolve("p1")));

    // keyops rotates: B becomes Primary, A Retired; the kubelet swaps the volume's ..data link.
    mountSecret(
        volume, "..2026_12_01", TestKeyBundles.doc(b, TestKeyBundles.withState(a, "Retired")));
    Thread.sleep(1_100); // KeyBundleFile checks the file at most once a second

    byte[] second = "rows of December".getBytes(StandardCharsets.UTF_8);
    store.write(data.resolve("p2"), second);
    assertEquals(b.keyId(), PartitionStore.keyOf(data.resolve("p2")));
    assertArrayEquals(second, store.read(data.resolve("p2")));
    assertArrayEquals(first, store.read(data.resolve("p1")), "a Retired key still decrypts");
  }

  /** Writes the Secret the way the kubelet does: a new directory, then an atomic link swap. */
  private static void mountSecret(Path volume, String version, KeyBundleDocument doc)
      throws Exception {
    Path target = Files.createDirectories(volume.resolve(version));
    TestKeyBundles.write(target.resolve("keyring.json"), doc);
    Path link = volume.resolve("..data_tmp");
    Files.createSymbolicLink(link, Path.of(version));
    Files.move(link, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
  }
}
