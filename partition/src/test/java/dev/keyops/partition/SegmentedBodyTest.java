package dev.keyops.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Our segment driver and Tink's own streams produce and accept the same bytes. */
class SegmentedBodyTest {

  @TempDir Path dir;

  static java.util.stream.IntStream sizes() throws Exception {
    return PartitionCodecTest.sizes();
  }

  private final byte[] key = new byte[32];
  private final byte[] aad = "partition-prefix".getBytes();

  @ParameterizedTest(name = "{0} bytes")
  @MethodSource("sizes")
  void tinkReadsWhatWeWriteAndWeReadWhatTinkWrites(int size) throws Exception {
    new Random(9).nextBytes(key);
    byte[] plain = new byte[size];
    new Random(size).nextBytes(plain);
    AesGcmHkdfStreaming aead = PartitionCodec.bodyAead(key);
    byte[] prefix = new byte[PartitionFormat.HEADER_SIZE];

    Path ours = dir.resolve("ours");
    try (FileChannel ch =
        FileChannel.open(ours, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(prefix));
      SegmentedBody.encrypt(
          new ByteArrayInputStream(plain),
          aead,
          aad,
          ch,
          new SegmentedBody.EncryptBuffers(PartitionFormat.SEGMENT_SIZE));
    }
    try (InputStream in = Files.newInputStream(ours)) {
      in.skipNBytes(PartitionFormat.HEADER_SIZE);
      assertArrayEquals(plain, aead.newDecryptingStream(in, aad).readAllBytes());
    }

    Path tinks = dir.resolve("tinks");
    try (OutputStream out = Files.newOutputStream(tinks)) {
      out.write(prefix);
      try (OutputStream enc = aead.newEncryptingStream(out, aad)) {
        enc.write(plain);
      }
    }
    assertSameLength(Files.readAllBytes(tinks).length, Files.readAllBytes(ours).length);
    try (FileChannel ch = FileChannel.open(tinks, StandardOpenOption.READ)) {
      assertArrayEquals(
          plain, SegmentedBody.decrypt(ch, PartitionFormat.HEADER_SIZE, aead, aad).readAllBytes());
      assertThrows(
          IOException.class,
          () ->
              SegmentedBody.decrypt(ch, PartitionFormat.HEADER_SIZE, aead, "other".getBytes())
                  .readAllBytes());
    }
  }

  private static void assertSameLength(int a, int b) {
    org.junit.jupiter.api.Assertions.assertEquals(a, b, "ciphertext lengths differ from Tink's");
  }
}
