package dev.keyops.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writeback error reported to the background flush (force(false)) and not to the final fsync must
 * still fail the write: the rebuild fails and the original partition stays byte-identical.
 */
class WritebackFailureTest {

  @TempDir Path dir;

  private final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Primary");
  private final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  private final byte[] plain = new byte[3 << 20];

  {
    new Random(7).nextBytes(plain);
  }

  @Test
  void aFailedBackgroundFlushFailsTheEncryption() throws IOException {
    KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(old));
    Path p = dir.resolve("p");
    try (FileChannel ch =
        new FaultyChannel(
            FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            true,
            false)) {
      IOException e =
          assertThrows(
              IOException.class,
              () -> new PartitionCodec(1 << 20).encrypt(new ByteArrayInputStream(plain), ch, ring));
      assertTrue(e.getMessage().contains("writeback"), e.getMessage());
    }
  }

  @Test
  void aRebuildWhoseWritebackFailsLeavesTheOriginalByteIdentical() throws IOException {
    Path p = dir.resolve("p");
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec()
          .encrypt(
              new ByteArrayInputStream(plain), ch, TestKeyBundles.ring(TestKeyBundles.doc(old)));
    }
    byte[] before = Files.readAllBytes(p);
    KeyBundle full =
        TestKeyBundles.ring(TestKeyBundles.doc(target, TestKeyBundles.withState(old, "Retired")));
    FileOpener failingWrites =
        (file, options) -> {
          FileChannel ch = FileChannel.open(file, options);
          boolean writes = java.util.Arrays.asList(options).contains(StandardOpenOption.WRITE);
          return writes ? new FaultyChannel(ch, true, false) : ch;
        };
    PartitionRebuilder rebuilder =
        new PartitionRebuilder(
            full,
            PartitionRebuilder.Mode.REENCRYPT,
            false,
            new PartitionCodec(1 << 20),
            RebuildCheckpoints.NONE,
            RebuildPacer.NONE,
            failingWrites);

    PartitionRebuilder.Outcome o = rebuilder.rebuild(p);

    assertEquals(PartitionRebuilder.Status.FAILED, o.status(), o.toString());
    assertTrue(o.reason().contains("writeback"), o.reason());
    assertArrayEquals(before, Files.readAllBytes(p), "the original changed");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count(), "the temporary file was left behind");
    }
    assertFalse(Files.exists(dir.resolve(PartitionRebuilder.TEMP_PREFIX + "p")));
  }
}
