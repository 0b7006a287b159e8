package dev.keyops.partition;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.Random;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Encrypts, decrypts and inspects partitions (see {@link PartitionFormat}). All cryptography is
 * Tink's: AES-256-GCM to wrap data keys, AES-GCM-HKDF streaming AEAD for the body.
 */
public final class PartitionCodec {

  static final int BUFFER_SIZE = 1 << 20;

  private PartitionCodec() {}

  /** An opened partition: its header, the slot that opened it and its data key. */
  public record Opened(PartitionHeader header, KeySlot slot, byte[] dataKey) {
    @Override
    public String toString() {
      return "Opened[partition=" + header.partitionIdHex() + ", slot=" + slot + "]";
    }
  }

  /** What {@link #inspect} sees without decrypting. */
  public record Info(
      boolean encrypted, int formatVersion, String partitionId, KeySlot slot0, KeySlot slot1) {
    /** Key id of the newest non-empty slot, or null. */
    public KeyId keyId() {
      if (!encrypted) {
        return null;
      }
      KeySlot s =
          new PartitionHeader(new byte[PartitionFormat.PREFIX_SIZE], slot0, slot1).newestSlot();
      return s == null ? null : s.keyId();
    }
  }

  /** Reads the header only: encrypted or not, format version, partition id, slots. */
  public static Info inspect(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      PartitionHeader h = PartitionHeader.read(ch);
      if (h == null) {
        return new Info(false, 0, null, null, null);
      }
      return new Info(true, PartitionFormat.VERSION, h.partitionIdHex(), h.slot0(), h.slot1());
    }
  }

  /**
   * Opens a partition's header with the ring: the newest slot whose key is in the ring and whose
   * wrapped key authenticates. A torn or corrupted slot falls back to the other one.
   */
  public static Opened open(PartitionHeader header, Keyring ring, Path file) {
    KeySlot newest = header.newestSlot();
    if (newest == null) {
      throw new PartitionException(
          PartitionException.Kind.CORRUPT, file + ": both key slots are empty");
    }
    KeySlot other = newest == header.slot0() ? header.slot1() : header.slot0();
    PartitionException first = null;
    for (KeySlot slot : other == null ? new KeySlot[] {newest} : new KeySlot[] {newest, other}) {
      try {
        return new Opened(header, slot, unwrap(header, slot, ring));
      } catch (PartitionException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    throw new PartitionException(first.kind(), file + ": " + first.getMessage());
  }

  private static byte[] unwrap(PartitionHeader header, KeySlot slot, Keyring ring) {
    if (!ring.contains(slot.keyId())) {
      throw new PartitionException(
          PartitionException.Kind.UNKNOWN_KEY,
          "key " + slot.keyId() + " is not in the keyring (dropped, or another key ring's)");
    }
    Aead aead = ring.wrappingAead(slot.keyId());
    try {
      byte[] key =
          aead.decrypt(
              slot.wrappedKey(),
              KeySlot.associatedData(header.prefix(), slot.keyId(), slot.generation()));
      if (key.length != PartitionFormat.DATA_KEY_SIZE) {
        throw new GeneralSecurityException("bad data key length");
      }
      return key;
    } catch (GeneralSecurityException e) {
      throw new PartitionException(
          PartitionException.Kind.CORRUPT,
          "key slot (key "
              + slot.keyId()
              + ", generation "
              + slot.generation()
              + ") fails authentication");
    }
  }

  /** Wraps a data key with a ring key into a slot. */
  static KeySlot wrap(byte[] prefix, byte[] dataKey, KeyId keyId, long generation, Keyring ring) {
    try {
      byte[] wrapped =
          ring.wrappingAead(keyId)
              .encrypt(dataKey, KeySlot.associatedData(prefix, keyId, generation));
      return new KeySlot(keyId, generation, wrapped);
    } catch (GeneralSecurityException e) {
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE, "cannot wrap with key " + keyId, e);
    }
  }

  static StreamingAead bodyAead(byte[] dataKey) {
    try {
      return new AesGcmHkdfStreaming(
          dataKey,
          "HmacSha256",
          PartitionFormat.DATA_KEY_SIZE,
          PartitionFormat.SEGMENT_SIZE,
          PartitionFormat.HEADER_SIZE);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Tink rejected the streaming AEAD parameters", e);
    }
  }

  /** The ring's Primary key id, or an error that says the ring has none. */
  static KeyId requirePrimary(Keyring ring) {
    return ring.primary()
        .orElseThrow(
            () ->
                new PartitionException(
                    PartitionException.Kind.NO_PRIMARY,
                    "the keyring has no Primary key: activate an EncryptionKey of this key ring"));
  }

  /**
   * Encrypts plaintext into an open, empty file channel with the ring's Primary key and a new data
   * key, then fsyncs it.
   *
   * @return CRC32C of the plaintext written
   */
  public static long encrypt(InputStream plain, FileChannel out, Keyring ring) throws IOException {
    KeyId primary = requirePrimary(ring);
    byte[] dataKey = Random.randBytes(PartitionFormat.DATA_KEY_SIZE);
    byte[] prefix = PartitionHeader.newPrefix(Random.randBytes(PartitionFormat.PARTITION_ID_SIZE));
    KeySlot slot = wrap(prefix, dataKey, primary, 1, ring);
    ByteBuffer header = ByteBuffer.allocate(PartitionFormat.HEADER_SIZE);
    header.put(prefix).put(slot.toBytes()).put(new byte[PartitionFormat.SLOT_SIZE]).flip();
    while (header.hasRemaining()) {
      out.write(header);
    }
    CRC32C crc = new CRC32C();
    OutputStream raw = new NonClosing(Channels.newOutputStream(out));
    try (OutputStream enc = bodyAead(dataKey).newEncryptingStream(raw, prefix)) {
      byte[] buf = new byte[BUFFER_SIZE];
      int n;
      while ((n = plain.readNBytes(buf, 0, buf.length)) > 0) {
        crc.update(buf, 0, n);
        enc.write(buf, 0, n);
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("Tink could not start the encrypting stream", e);
    }
    Arrays.fill(dataKey, (byte) 0);
    out.force(true);
    return crc.getValue();
  }

  /**
   * Opens a decrypting stream over a partition's body. Reading fails with an IOException when a
   * segment is tampered with or the file is truncated; callers must treat output as valid only
   * after reading to the end without error.
   */
  public static InputStream decrypt(Path file, Keyring ring) throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      PartitionHeader header = PartitionHeader.read(ch);
      if (header == null) {
        throw new PartitionException(
            PartitionException.Kind.NOT_ENCRYPTED,
            file
                + " is not encrypted, but its key ring has keys: rebuild it with a ReencryptionJob"
                + " (or `keyops rekey`) before reading it");
      }
      Opened opened = open(header, ring, file);
      ch.position(PartitionFormat.HEADER_SIZE);
      return bodyAead(opened.dataKey())
          .newDecryptingStream(Channels.newInputStream(ch), header.prefix());
    } catch (GeneralSecurityException e) {
      ch.close();
      throw new IOException(file + ": cannot start decrypting", e);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Decrypting stream over a body already opened (used by the rekey worker). */
  static InputStream decryptBody(FileChannel ch, Opened opened) throws IOException {
    ch.position(PartitionFormat.HEADER_SIZE);
    try {
      return bodyAead(opened.dataKey())
          .newDecryptingStream(
              new NonClosingIn(Channels.newInputStream(ch)), opened.header().prefix());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot start decrypting", e);
    }
  }

  /** Keeps Tink's close() from closing the file channel, so the caller can fsync it. */
  static final class NonClosing extends FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }

  static final class NonClosingIn extends java.io.FilterInputStream {
    NonClosingIn(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // the owner closes the channel
    }
  }
}
