package dev.keyops.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PartitionCodecTest {

  @TempDir Path dir;

  private final KeyBundleDocument.Entry k1 = TestKeyBundles.key("k1", "Primary");
  private final KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(k1));

  static IntStream sizes() throws Exception {
    AesGcmHkdfStreaming s =
        new AesGcmHkdfStreaming(
            new byte[32],
            "HmacSha256",
            32,
            PartitionFormat.SEGMENT_SIZE,
            PartitionFormat.HEADER_SIZE);
    int seg = s.getPlaintextSegmentSize();
    int first = seg - s.getHeaderLength() - s.getFirstSegmentOffset();
    return IntStream.of(
        0, 1, first - 1, first, first + 1, seg - 1, seg, seg + 1, first + 3 * seg + 17);
  }

  @ParameterizedTest(name = "{0} bytes")
  @MethodSource("sizes")
  void roundTrips(int size) throws IOException {
    byte[] plain = random(size);
    Path p = encrypt(plain, ring);
    assertArrayEquals(plain, readAll(p, ring));
    PartitionCodec.Info info = PartitionCodec.inspect(p);
    assertTrue(info.encrypted());
    assertEquals(1, info.formatVersion());
    assertEquals(k1.keyId(), info.keyId().hex());
  }

  @Test
  void theBodyIsNotThePlaintext() throws IOException {
    byte[] plain = new byte[4096]; // zeros: any leak would show as a zero run
    Path p = encrypt(plain, ring);
    byte[] file = Files.readAllBytes(p);
    int zeros = 0;
    int longest = 0;
    for (int i = PartitionFormat.HEADER_SIZE; i < file.length; i++) {
      zeros = file[i] == 0 ? zeros + 1 : 0;
      longest = Math.max(longest, zeros);
    }
    assertTrue(longest < 16, "the ciphertext contains a run of " + longest + " zero bytes");
  }

  @Test
  void anyKeyOfTheRingDecryptsAfterRotation() throws IOException {
    byte[] plain = random(5000);
    Path p = encrypt(plain, ring);
    KeyBundleDocument.Entry k2 = TestKeyBundles.key("k2", "Primary");
    KeyBundle rotated =
        TestKeyBundles.ring(TestKeyBundles.doc(k2, TestKeyBundles.withState(k1, "Retired")));
    assertArrayEquals(plain, readAll(p, rotated));
  }

  @Test
  void theWrongKeyFails() throws IOException {
    Path p = encrypt(random(100), ring);
    // Same key id, other material: the slot fails authentication.
    KeyBundleDocument.Entry impostor =
        new KeyBundleDocument.Entry(
            k1.keyId(),
            "k1",
            "Primary",
            "managed",
            TestKeyBundles.key("x", "Primary").material(),
            null,
            null,
            null);
    PartitionException e =
        assertThrows(
            PartitionException.class,
            () -> readAll(p, TestKeyBundles.ring(TestKeyBundles.doc(impostor))));
    assertEquals(PartitionException.Kind.CORRUPT, e.kind());
  }

  @Test
  void anUnknownKeyIdFailsAndSaysSo() throws IOException {
    Path p = encrypt(random(100), ring);
    KeyBundle other = TestKeyBundles.ring(TestKeyBundles.doc(TestKeyBundles.key("k9", "Primary")));
    PartitionException e = assertThrows(PartitionException.class, () -> readAll(p, other));
    assertEquals(PartitionException.Kind.UNKNOWN_KEY, e.kind());
    assertTrue(e.getMessage().contains(k1.keyId()), e.getMessage());
  }

  @Test
  void aTamperedHeaderFails() throws IOException {
    Path p = encrypt(random(3000), ring);
    flip(p, PartitionFormat.PARTITION_ID_OFFSET + 3); // partition id: bound into slots and body
    assertThrows(PartitionException.class, () -> readAll(p, ring));
  }

  @Test
  void aTamperedSegmentFails() throws IOException {
    Path p = encrypt(random(3 * PartitionFormat.SEGMENT_SIZE), ring);
    flip(p, PartitionFormat.HEADER_SIZE + PartitionFormat.SEGMENT_SIZE + 100);
    assertThrows(IOException.class, () -> readAll(p, ring));
  }

  @Test
  void aTruncatedFileFails() throws IOException {
    Path p = encrypt(random(2 * PartitionFormat.SEGMENT_SIZE + 5), ring);
    long size = Files.size(p);
    for (long cut :
        new long[] {
          size - 1, size - PartitionFormat.SEGMENT_SIZE / 2, PartitionFormat.HEADER_SIZE + 10
        }) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.truncate(cut);
      }
      assertThrows(IOException.class, () -> readAll(p, ring), "truncated at " + cut);
    }
  }

  @Test
  void aTruncatedHeaderIsReportedCorrupt() throws IOException {
    Path p = encrypt(random(10), ring);
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.truncate(100);
    }
    PartitionException e = assertThrows(PartitionException.class, () -> readAll(p, ring));
    assertEquals(PartitionException.Kind.CORRUPT, e.kind());
  }

  @Test
  void aPlainFileIsAnErrorThatNamesTheFile() throws IOException {
    Path p = dir.resolve("plain.bin");
    Files.write(p, random(50));
    PartitionException e = assertThrows(PartitionException.class, () -> readAll(p, ring));
    assertEquals(PartitionException.Kind.NOT_ENCRYPTED, e.kind());
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("not encrypted"));
    assertFalse(PartitionCodec.inspect(p).encrypted());
  }

  @Test
  void aCorruptedSlotFallsBackToTheOtherSlot() throws IOException {
    byte[] plain = random(7000);
    Path p = encrypt(plain, ring);
    KeyBundleDocument.Entry k2 = TestKeyBundles.key("k2", "Primary");
    KeyBundle rotated =
        TestKeyBundles.ring(TestKeyBundles.doc(k2, TestKeyBundles.withState(k1, "Retired")));
    // Rewrap writes slot 1 (generation 2) and wipes slot 0; restore slot 0 to get both slots.
    byte[] slot0 = slotBytes(p, 0);
    assertEquals(
        PartitionRebuilder.Status.REBUILT,
        new PartitionRebuilder(rotated, PartitionRebuilder.Mode.REWRAP, false).rebuild(p).status());
    writeAt(p, PartitionFormat.slotOffset(0), slot0);
    // Tear the newest slot (slot 1): the old one still opens the partition.
    flip(p, PartitionFormat.slotOffset(1) + 30);
    assertArrayEquals(plain, readAll(p, rotated));
    // And the other way round: corrupt slot 0, slot 1 intact.
    flip(p, PartitionFormat.slotOffset(1) + 30);
    flip(p, PartitionFormat.slotOffset(0) + 40);
    assertArrayEquals(plain, readAll(p, rotated));
  }

  @Test
  void encryptWithoutPrimaryIsRefused() {
    KeyBundle noPrimary =
        TestKeyBundles.ring(TestKeyBundles.doc(null, TestKeyBundles.key("s", "Staged")));
    PartitionException e =
        assertThrows(PartitionException.class, () -> encrypt(random(1), noPrimary));
    assertEquals(PartitionException.Kind.NO_PRIMARY, e.kind());
  }

  @Test
  void keyringErrorsNeverQuoteMaterial() {
    String json = "{\"format\":1,\"keys\":[{\"keyId\":\"zz\",\"material\":\"SECRETSECRET\"}]}";
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KeyBundle.parse(json.getBytes(), DataKeyUnwrapper.NONE));
    assertFalse(e.getMessage().contains("SECRETSECRET"), e.getMessage());
    String broken = "{\"format\":1,\"keys\":[{\"material\":SECRETSECRET}]}";
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KeyBundle.parse(broken.getBytes(), DataKeyUnwrapper.NONE));
    assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
  }

  @Test
  void eachPartitionGetsItsOwnIdAndDataKey() throws IOException {
    byte[] plain = random(100);
    Path a = encrypt(plain, ring);
    Path b = encrypt(plain, ring);
    assertNotEquals(
        PartitionCodec.inspect(a).partitionId(), PartitionCodec.inspect(b).partitionId());
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)));
  }

  private Path encrypt(byte[] plain, KeyBundle r) throws IOException {
    Path p = Files.createTempFile(dir, "part", ".bin");
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(plain), ch, r);
    }
    return p;
  }

  static byte[] readAll(Path p, KeyBundle r) throws IOException {
    try (InputStream in = new PartitionCodec().decrypt(p, r)) {
      return in.readAllBytes();
    }
  }

  static void flip(Path p, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x01);
    }
  }

  private static byte[] slotBytes(Path p, int slot) throws IOException {
    byte[] all = Files.readAllBytes(p);
    return java.util.Arrays.copyOfRange(
        all,
        PartitionFormat.slotOffset(slot),
        PartitionFormat.slotOffset(slot) + PartitionFormat.SLOT_SIZE);
  }

  private static void writeAt(Path p, long offset, byte[] bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.seek(offset);
      f.write(bytes);
    }
  }

  static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(size * 31L + 7).nextBytes(b);
    return b;
  }
}
