package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RekeyRunTest {

  @TempDir Path dir;

  final KeyBundleDocument.Entry old1 = TestKeyBundles.key("old1", "Primary");
  final KeyBundleDocument.Entry old2 = TestKeyBundles.key("old2", "Primary");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");

  @ParameterizedTest
  @EnumSource(Mode.class)
  void rotatesARingWithTwoOldKeysAndPlainFiles(Mode mode) throws IOException {
    Map<Path, byte[]> originals = new HashMap<>();
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(data.resolve("sub"));
    for (int i = 0; i < 6; i++) {
      originals.put(
          write(data.resolve("a" + i), TestKeyBundles.ring(TestKeyBundles.doc(old1)), 1000 + i),
          null);
      originals.put(
          write(
              data.resolve("sub/b" + i), TestKeyBundles.ring(TestKeyBundles.doc(old2)), 70_000 + i),
          null);
    }
    for (int i = 0; i < 3; i++) {
      Path plain = data.resolve("plain" + i);
      Files.write(plain, bytes(500 + i));
    }
    originals.replaceAll((p, v) -> decrypt(p, full()));
    KeyBundle ring = full();

    WorkerResult r = new RekeyRun(ring, data, mode, Shard.ALL, false).run();

    assertEquals(15, r.total);
    assertEquals(15, r.rebuilt);
    assertEquals(3, r.unencrypted);
    assertEquals(0, r.failed + r.unrecoverable);
    assertEquals(Map.of(old1.keyId(), 6L, old2.keyId(), 6L, "none", 3L), r.byKeyBefore);
    assertEquals(Map.of(target.keyId(), 15L), r.byKeyAfter);
    for (var e : originals.entrySet()) {
      assertArrayEquals(
          e.getValue(), decrypt(e.getKey(), TestKeyBundles.ring(TestKeyBundles.doc(target))));
    }
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(
          bytes(500 + i),
          decrypt(data.resolve("plain" + i), TestKeyBundles.ring(TestKeyBundles.doc(target))));
    }
    WorkerResult again = new RekeyRun(ring, data, mode, Shard.ALL, false).run();
    assertEquals(15, again.alreadyOnTarget);
    assertEquals(0, again.rebuilt);
  }

  @Test
  void rewrapRewritesNoData() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path p = write(data.resolve("p"), TestKeyBundles.ring(TestKeyBundles.doc(old1)), 3 << 20);
    byte[] before = Files.readAllBytes(p);
    new RekeyRun(full(), data, Mode.REWRAP, Shard.ALL, false).run();
    byte[] after = Files.readAllBytes(p);
    assertEquals(before.length, after.length);
    int body = dev.keyops.partition.PartitionFormat.HEADER_SIZE;
    assertArrayEquals(
        java.util.Arrays.copyOfRange(before, body, before.length),
        java.util.Arrays.copyOfRange(after, body, after.length),
        "rewrap changed the body");
    assertEquals(target.keyId(), PartitionCodec.inspect(p).keyId().hex());
    assertTrue(
        PartitionCodec.inspect(p).slot0() == null || PartitionCodec.inspect(p).slot1() == null,
        "old slot not wiped");
  }

  @Test
  void partitionsOnAMissingKeyStayUntouchedAndAreReportedUnrecoverable() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    KeyBundleDocument.Entry dropped = TestKeyBundles.key("dropped", "Primary");
    Path lost = write(data.resolve("lost"), TestKeyBundles.ring(TestKeyBundles.doc(dropped)), 2000);
    Path ok = write(data.resolve("ok"), TestKeyBundles.ring(TestKeyBundles.doc(old1)), 2000);
    byte[] lostBytes = Files.readAllBytes(lost);

    WorkerResult r = new RekeyRun(full(), data, Mode.REENCRYPT, Shard.ALL, false).run();

    assertArrayEquals(
        lostBytes, Files.readAllBytes(lost), "an unrecoverable partition was modified");
    assertEquals(1, r.unrecoverable);
    assertEquals(1, r.rebuilt);
    assertEquals(1, r.failures.size());
    assertEquals("lost", r.failures.get(0).partition());
    assertEquals(dropped.keyId(), r.failures.get(0).keyId());
    assertTrue(
        r.failures.get(0).reason().contains("not in the keyring"), r.failures.get(0).reason());
    assertFalse(r.failures.get(0).retryable());
    assertEquals(target.keyId(), PartitionCodec.inspect(ok).keyId().hex());
  }

  @Test
  void aTamperedPartitionIsUnrecoverableAndUntouched() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path p = write(data.resolve("p"), TestKeyBundles.ring(TestKeyBundles.doc(old1)), 3 << 20);
    dev.keyops.partition.PartitionCodecTestAccess.flip(p, (2L << 20) + 5);
    byte[] before = Files.readAllBytes(p);
    WorkerResult r = new RekeyRun(full(), data, Mode.REENCRYPT, Shard.ALL, false).run();
    assertEquals(1, r.unrecoverable);
    assertArrayEquals(before, Files.readAllBytes(p));
    try (var s = Files.list(data)) {
      assertEquals(List.of(p), s.toList(), "a temporary file was left behind");
    }
  }

  @Test
  void aDryRunReportsTheInventoryAndChangesNothing() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    write(data.resolve("a"), TestKeyBundles.ring(TestKeyBundles.doc(old1)), 100);
    write(data.resolve("b"), TestKeyBundles.ring(TestKeyBundles.doc(target)), 100);
    Files.write(data.resolve("c"), bytes(10));
    Map<Path, byte[]> before = snapshot(data);
    WorkerResult r = new RekeyRun(full(), data, Mode.REENCRYPT, Shard.ALL, true).run();
    assertEquals(2, r.pending);
    assertEquals(1, r.alreadyOnTarget);
    assertEquals(0, r.rebuilt);
    assertEquals(Map.of(old1.keyId(), 1L, target.keyId(), 1L, "none", 1L), r.byKeyBefore);
    Map<Path, byte[]> after = snapshot(data);
    assertEquals(before.keySet(), after.keySet());
    before.forEach((k, v) -> assertArrayEquals(v, after.get(k)));
  }

  @Test
  void shardsCoverEveryFileExactlyOnce() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int i = 0; i < 200; i++) {
      Files.createDirectories(data.resolve("d" + (i % 7)));
      Files.write(data.resolve("d" + (i % 7) + "/f" + i), new byte[0]);
    }
    for (int n : new int[] {1, 2, 3, 8}) {
      Set<Path> seen = new HashSet<>();
      int sum = 0;
      for (int i = 0; i < n; i++) {
        List<Path> part = RekeyRun.partitions(data, new Shard(i, n));
        sum += part.size();
        seen.addAll(part);
        if (n > 1) {
          assertTrue(part.size() < 200, "shard " + i + "/" + n + " took everything");
        }
      }
      assertEquals(200, sum, "files counted twice or missed with " + n + " shards");
      assertEquals(200, seen.size());
    }
  }

  @Test
  void temporaryFilesOfACrashedRunAreRemovedOnlyForTheirShard() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Shard s0 = new Shard(0, 2);
    String mine = null;
    String theirs = null;
    for (int i = 0; mine == null || theirs == null; i++) {
      if (s0.owns("p" + i)) {
        mine = mine == null ? "p" + i : mine;
      } else {
        theirs = theirs == null ? "p" + i : theirs;
      }
    }
    Files.write(data.resolve(PartitionRebuilder.TEMP_PREFIX + mine), bytes(10));
    Files.write(data.resolve(PartitionRebuilder.TEMP_PREFIX + theirs), bytes(10));
    assertEquals(1, RekeyRun.cleanUpTemporaryFiles(data, s0));
    assertFalse(Files.exists(data.resolve(PartitionRebuilder.TEMP_PREFIX + mine)));
    assertTrue(Files.exists(data.resolve(PartitionRebuilder.TEMP_PREFIX + theirs)));
  }

  @Test
  void theResultFitsTheTerminationMessageLimit() {
    WorkerResult r = new WorkerResult();
    for (int i = 0; i < 500; i++) {
      r.addFailure(
          "some/long/path/to/partition-" + "x".repeat(200) + i,
          target.keyId(),
          "reason ".repeat(40),
          true);
      r.byKeyBefore.put(Integer.toHexString(i), 1L);
      if (i > 10) {
        r.byKeyBefore.remove(Integer.toHexString(i));
      }
    }
    String json = r.toJson();
    assertTrue(
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= WorkerResult.MAX_BYTES,
        json.length() + " bytes");
    assertTrue(r.failuresOmitted >= 480);
    assertFalse(r.failures.isEmpty());
  }

  private KeyBundle full() {
    return TestKeyBundles.ring(
        TestKeyBundles.doc(
            target,
            TestKeyBundles.withState(old1, "Retired"),
            TestKeyBundles.withState(old2, "Retired")));
  }

  private static Path write(Path p, KeyBundle ring, int size) throws IOException {
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(bytes(size)), ch, ring);
    }
    return p;
  }

  static byte[] decrypt(Path p, KeyBundle ring) {
    try (InputStream in = new PartitionCodec().decrypt(p, ring)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Map<Path, byte[]> snapshot(Path data) throws IOException {
    Map<Path, byte[]> m = new HashMap<>();
    try (var s = Files.walk(data)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        m.put(p, Files.readAllBytes(p));
      }
    }
    return m;
  }

  static byte[] bytes(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }
}
