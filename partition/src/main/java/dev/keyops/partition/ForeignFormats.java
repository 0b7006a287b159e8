package dev.keyops.partition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * File formats keyops knows and never wraps in its own: a rebuild leaves such a file byte-identical
 * and reports it as foreign. Parquet: the magic {@code PAR1} at the start or the end of the file,
 * or {@code PARE} at the start (Parquet Modular Encryption with an encrypted footer).
 */
public final class ForeignFormats {

  private ForeignFormats() {}

  /** The name of the foreign format of a file that is not a keyops partition, or null. */
  public static String detect(FileChannel ch) throws IOException {
    long size = ch.size();
    String head = read(ch, 0);
    if ("PAR1".equals(head) || "PARE".equals(head)) {
      return "Parquet";
    }
    if (size >= 4 && "PAR1".equals(read(ch, size - 4))) {
      return "Parquet";
    }
    return null;
  }

  private static String read(FileChannel ch, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(4);
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        return null;
      }
      pos += n;
    }
    return new String(buf.array(), StandardCharsets.ISO_8859_1);
  }
}
