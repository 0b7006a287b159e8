package dev.keyops.partition;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.Random;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Encrypts, decrypts and inspects partitions (see {@link PartitionFormat}). All cryptography is
 * Tink's: AES-256-GCM to wrap data keys, AES-GCM-HKDF streaming AEAD for the body.
 *
 * <p>An instance owns the buffers it encrypts through (about 3 MiB, allocated on first use and
 * reused for every partition it writes) and holds no other state: use one instance per thread, or
 * give each thread its own. A decrypting stream allocates its own buffers, sized to the partition,
 * so any number of them may be open at once. Nothing is kept per process or per thread.
 */
public final class PartitionCodec {

  static final int BUFFER_SIZE = 1 << 20;

  private final long flushEvery;
  private SegmentedBody.EncryptBuffers encryptBuffers;
  private byte[] verifyBuffer;

  /** A codec; its buffers are allocated when it first encrypts. */
  public PartitionCodec() {
    this(WriteBehind.FLUSH_EVERY);
  }

  /**
   * @param flushEvery bytes written between background writebacks (tests use less than 32 MiB)
   */
  PartitionCodec(long flushEvery) {
    this.flushEvery = flushEvery;
  }

  /** This codec's buffer for reading a partition back (verification); reused across files. */
  byte[] verifyBuffer() {
    if (verifyBuffer == null) {
      verifyBuffer = new byte[BUFFER_SIZE];
    }
    return verifyBuffer;
  }

  private SegmentedBody.EncryptBuffers encryptBuffers(AesGcmHkdfStreaming aead) {
    if (encryptBuffers == null || !encryptBuffers.fits(aead)) {
      encryptBuffers =
          new SegmentedBody.EncryptBuffers(
              Math.max(aead.getPlaintextSegmentSize(), aead.getCiphertextSegmentSize()));
    }
    return encryptBuffers;
  }

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
  public static Opened open(PartitionHeader header, KeyBundle ring, Path file) {
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
        // A slot that may open later (KMS outage) outranks one that cannot: never conclude lost.
        if (first == null || (e.transientFailure() && !first.transientFailure())) {
          first = e;
        }
      }
    }
    throw new PartitionException(
        first.kind(), file + ": " + first.getMessage(), first.transientFailure());
  }

  private static byte[] unwrap(PartitionHeader header, KeySlot slot, KeyBundle ring) {
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
  static KeySlot wrap(byte[] prefix, byte[] dataKey, KeyId keyId, long generation, KeyBundle ring) {
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

  static AesGcmHkdfStreaming bodyAead(byte[] dataKey) {
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
  static KeyId requirePrimary(KeyBundle ring) {
    return ring.primary()
        .orElseThrow(
            () ->
                new PartitionException(
                    PartitionException.Kind.NO_PRIMARY,
                    "the keyring has no Primary key: activate an EncryptionKey of this key ring"));
  }

  /**
   * Encrypts plaintext into an open, empty file channel with the ring's Primary key and a new data
   * key, then fsyncs it. A failed writeback (a background one included) fails the call: Linux
   * reports a writeback error once per descriptor, so a later fsync may succeed over lost pages.
   *
   * @return CRC32C of the plaintext written
   */
  public long encrypt(InputStream plain, FileChannel out, KeyBundle ring) throws IOException {
    KeyId primary = requirePrimary(ring);
    byte[] dataKey = Random.randBytes(PartitionFormat.DATA_KEY_SIZE);
    byte[] prefix = PartitionHeader.newPrefix(Random.randBytes(PartitionFormat.PARTITION_ID_SIZE));
    KeySlot slot = wrap(prefix, dataKey, primary, 1, ring);
    ByteBuffer header = ByteBuffer.allocate(PartitionFormat.HEADER_SIZE);
    header.put(prefix).put(slot.toBytes()).put(new byte[PartitionFormat.SLOT_SIZE]).flip();
    while (header.hasRemaining()) {
      out.write(header);
    }
    AesGcmHkdfStreaming aead = bodyAead(dataKey);
    long crc;
    try (WriteBehind raw = new WriteBehind(out, flushEvery)) {
      crc = SegmentedBody.encrypt(plain, aead, prefix, raw, encryptBuffers(aead));
      raw.awaitFlush();
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
    out.force(true);
    return crc;
  }

  /**
   * Opens a decrypting stream over a partition's body. Reading fails with an IOException when a
   * segment is tampered with or the file is truncated; callers must treat output as valid only
   * after reading to the end without error.
   */
  public InputStream decrypt(Path file, KeyBundle ring) throws IOException {
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
      InputStream body =
          SegmentedBody.decrypt(
              ch, PartitionFormat.HEADER_SIZE, bodyAead(opened.dataKey()), header.prefix());
      return new FilterInputStream(body) {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          return in.read(b, off, len);
        }

        @Override
        public void close() throws IOException {
          ch.close();
        }
      };
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Decrypting stream over a body already opened (used by the rekey worker). */
  static InputStream decryptBody(FileChannel ch, Opened opened) throws IOException {
    return SegmentedBody.decrypt(
        ch, PartitionFormat.HEADER_SIZE, bodyAead(opened.dataKey()), opened.header().prefix());
  }

  /**
   * Writes to a file channel without closing it, and starts writing dirty pages back to disk in a
   * background thread every 32 MiB, so the final fsync does not wait for the whole file while the
   * CPU idles: disk and AES work at the same time. The thread is started only for a file that
   * reaches 32 MiB and ends with {@link #close()}: small partitions never start one.
   */
  static final class WriteBehind implements java.nio.channels.WritableByteChannel {
    static final long FLUSH_EVERY = 32L << 20;

    private final FileChannel out;
    private final long flushEvery;
    private ExecutorService flusher;
    private long sinceFlush;
    private Future<?> inFlight;

    WriteBehind(FileChannel out, long flushEvery) {
      this.out = out;
      this.flushEvery = flushEvery;
    }

    @Override
    public int write(ByteBuffer buf) throws IOException {
      int n = out.write(buf);
      sinceFlush += n;
      if (sinceFlush >= flushEvery && (inFlight == null || inFlight.isDone())) {
        awaitFlush(); // a finished flush that failed fails the write, before a new one hides it
        sinceFlush = 0;
        if (flusher == null) {
          flusher =
              Executors.newSingleThreadExecutor(
                  r -> {
                    Thread t = new Thread(r, "keyops-write-behind");
                    t.setDaemon(true);
                    return t;
                  });
        }
        inFlight =
            flusher.submit(
                () -> {
                  out.force(false);
                  return null;
                });
      }
      return n;
    }

    /**
     * Waits for a background flush still running and rethrows its failure: the kernel reports a
     * writeback error to one fsync only, so the final fsync could succeed over pages never written.
     */
    void awaitFlush() throws IOException {
      if (inFlight == null) {
        return;
      }
      Future<?> f = inFlight;
      inFlight = null;
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while flushing");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof IOException io
            ? new IOException("background writeback failed: " + io.getMessage(), io)
            : new IOException("background writeback failed", cause);
      }
    }

    @Override
    public boolean isOpen() {
      return out.isOpen();
    }

    /** Stops the background thread; the owner fsyncs and closes the channel. */
    @Override
    public void close() {
      if (flusher != null) {
        flusher.shutdown();
      }
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
