package dev.keyops.partition;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.StreamSegmentDecrypter;
import com.google.crypto.tink.subtle.StreamSegmentEncrypter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.GeneralSecurityException;
import java.util.zip.CRC32C;

/**
 * Drives Tink's AES-GCM-HKDF segment encrypter and decrypter over a partition body, with the exact
 * layout of Tink's own streams (Tink header, then segments; the last segment flagged as last), but
 * with the encrypting buffers supplied by the caller (a {@link PartitionCodec} reuses its own
 * across partitions) and the decrypting buffers sized to the partition: a 64 KiB partition does not
 * allocate two 1 MiB buffers per stream. Tink's decrypting stream reads what this writes, and the
 * reverse (tested).
 */
final class SegmentedBody {

  private static final int TAG = 16;

  private SegmentedBody() {}

  /** Buffers for {@link #encrypt}: one plaintext segment plus one byte, one ciphertext segment. */
  static final class EncryptBuffers {
    final ByteBuffer plain;
    final ByteBuffer cipher;

    EncryptBuffers(int segmentSize) {
      plain = ByteBuffer.allocate(segmentSize + 1);
      cipher = ByteBuffer.allocate(segmentSize);
    }

    boolean fits(AesGcmHkdfStreaming aead) {
      return plain.capacity() >= aead.getPlaintextSegmentSize() + 1
          && cipher.capacity() >= aead.getCiphertextSegmentSize();
    }
  }

  /**
   * Encrypts all of {@code plain} into {@code out} at its current position, through {@code buffers}
   * (which must fit the AEAD's segments).
   *
   * @return CRC32C of the plaintext
   */
  static long encrypt(
      InputStream plain,
      AesGcmHkdfStreaming aead,
      byte[] aad,
      java.nio.channels.WritableByteChannel out,
      EncryptBuffers buffers)
      throws IOException {
    CRC32C crc = new CRC32C();
    try {
      StreamSegmentEncrypter enc = aead.newStreamSegmentEncrypter(aad);
      writeFully(out, enc.getHeader());
      ByteBuffer pt = buffers.plain.clear();
      ByteBuffer ct = buffers.cipher.clear();
      int segmentSize = aead.getPlaintextSegmentSize() - aead.getCiphertextOffset();
      pt.limit(0);
      boolean last = false;
      while (!last) {
        // Fill one segment and look one byte ahead to know whether it is the last.
        pt.compact();
        int want = segmentSize + 1;
        while (pt.position() < want) {
          int n = plain.read(pt.array(), pt.position(), want - pt.position());
          if (n < 0) {
            break;
          }
          crc.update(pt.array(), pt.position(), n);
          pt.position(pt.position() + n);
        }
        pt.flip();
        last = pt.remaining() <= segmentSize;
        ByteBuffer segment = pt.duplicate();
        segment.limit(Math.min(pt.remaining(), segmentSize));
        ct.clear();
        enc.encryptSegment(segment, last, ct);
        ct.flip();
        writeFully(out, ct);
        pt.position(segment.limit());
        segmentSize = aead.getPlaintextSegmentSize();
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("Tink could not encrypt a segment", e);
    }
    return crc.getValue();
  }

  private static void writeFully(java.nio.channels.WritableByteChannel out, ByteBuffer b)
      throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }

  /** A stream of the plaintext of the body that starts at {@code start} of {@code ch}. */
  static InputStream decrypt(FileChannel ch, long start, AesGcmHkdfStreaming aead, byte[] aad)
      throws IOException {
    return new Decrypting(ch, start, aead, aad);
  }

  private static final class Decrypting extends InputStream {
    private final FileChannel ch;
    private final AesGcmHkdfStreaming aead;
    private final StreamSegmentDecrypter dec;
    private final long end;
    private final ByteBuffer ct;
    private final ByteBuffer pt;
    private long position;
    private int segment;
    private boolean done;

    Decrypting(FileChannel ch, long start, AesGcmHkdfStreaming aead, byte[] aad)
        throws IOException {
      this.ch = ch;
      this.aead = aead;
      this.end = ch.size();
      ByteBuffer header = ByteBuffer.allocate(aead.getHeaderLength());
      readFully(header, start);
      header.flip();
      if (header.remaining() < aead.getHeaderLength()) {
        throw new IOException("the body is truncated: its header is incomplete");
      }
      try {
        dec = aead.newStreamSegmentDecrypter();
        dec.init(header, aad);
      } catch (GeneralSecurityException e) {
        throw new IOException("the body header fails authentication", e);
      }
      position = start + aead.getHeaderLength();
      long body = end - position;
      int ctSize = (int) Math.min(aead.getCiphertextSegmentSize(), Math.max(body, TAG));
      ct = ByteBuffer.allocate(ctSize);
      pt = ByteBuffer.allocate(Math.max(ctSize - TAG, 0));
      pt.limit(0);
    }

    private void readFully(ByteBuffer b, long at) throws IOException {
      long pos = at;
      while (b.hasRemaining()) {
        int n = ch.read(b, pos);
        if (n < 0) {
          break;
        }
        pos += n;
      }
    }

    private boolean nextSegment() throws IOException {
      if (done) {
        return false;
      }
      int size =
          segment == 0
              ? aead.getCiphertextSegmentSize() - aead.getCiphertextOffset()
              : aead.getCiphertextSegmentSize();
      long remaining = end - position;
      boolean last = remaining <= size;
      int n = (int) Math.min(remaining, size);
      if (n < TAG) {
        throw new IOException("the body is truncated (segment " + segment + " is incomplete)");
      }
      ct.clear().limit(n);
      readFully(ct, position);
      if (ct.hasRemaining()) {
        throw new IOException("the body is truncated");
      }
      ct.flip();
      pt.clear();
      try {
        dec.decryptSegment(ct, segment, last, pt);
      } catch (GeneralSecurityException e) {
        throw new IOException(
            "segment " + segment + " fails authentication (tampered or truncated)", e);
      }
      pt.flip();
      position += n;
      segment++;
      done = last;
      return true;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (!pt.hasRemaining()) {
        if (!nextSegment()) {
          return -1;
        }
      }
      int n = Math.min(len, pt.remaining());
      pt.get(b, off, n);
      return n;
    }

    @Override
    public void close() {
      // the owner closes the channel
    }
  }
}
