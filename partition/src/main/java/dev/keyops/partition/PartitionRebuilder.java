package dev.keyops.partition;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Moves one partition onto the ring's Primary key without ever losing it.
 *
 * <ul>
 *   <li>Reencrypt: new data key, new ciphertext in a temporary file of the same directory, fsync,
 *       verify (decrypt it, compare the CRC32C of the plaintext), atomic rename, fsync the
 *       directory.
 *   <li>Rewrap: the data key wrapped by the Primary into the other slot with the next generation,
 *       fsync, verify, then the old slot wiped, fsync. Unencrypted files are re-encrypted in full.
 * </ul>
 *
 * A partition whose key is missing or unusable is left byte-for-byte untouched.
 */
public final class PartitionRebuilder {

  /** Prefix of the temporary files a rebuild writes; a later run deletes leftovers. */
  public static final String TEMP_PREFIX = ".keyops-tmp.";

  /** Rotation mode. */
  public enum Mode {
    REENCRYPT,
    REWRAP
  }

  /** How a partition came out. */
  public enum Status {
    ALREADY_ON_TARGET,
    REBUILT,
    /** Dry run: would be rebuilt. */
    PENDING,
    /** Could not be rebuilt this time (I/O, verification); safe to retry. */
    FAILED,
    /** Its key is missing or unusable, or its data is corrupt; left untouched. */
    UNRECOVERABLE
  }

  /**
   * @param keyBefore key id before, or "none" for an unencrypted file, or null if unreadable
   * @param keyAfter key id after
   * @param bytes bytes of the partition file before
   * @param keyTemporarilyUnavailable FAILED because Cloud KMS could not unwrap its ring key for now
   *     (UNAVAILABLE, DEADLINE_EXCEEDED): the run should be retried
   */
  public record Outcome(
      Status status,
      String keyBefore,
      String keyAfter,
      String reason,
      long bytes,
      boolean keyTemporarilyUnavailable) {

    public Outcome(Status status, String keyBefore, String keyAfter, String reason, long bytes) {
      this(status, keyBefore, keyAfter, reason, bytes, false);
    }
  }

  private final Keyring ring;
  private final Mode mode;
  private final boolean dryRun;
  private final PartitionCodec codec;
  private final RebuildCheckpoints checkpoints;
  private final RebuildPacer pacer;
  private final FileOpener files;

  /** A rebuilder with a codec of its own; like the codec, use it from one thread at a time. */
  public PartitionRebuilder(Keyring ring, Mode mode, boolean dryRun) {
    this(ring, mode, dryRun, new PartitionCodec(), RebuildCheckpoints.NONE);
  }

  /**
   * @param codec the codec (and so the buffers) this rebuilder writes through
   * @param checkpoints told each point of a rebuild it passes (a seam for crash tests)
   */
  public PartitionRebuilder(
      Keyring ring,
      Mode mode,
      boolean dryRun,
      PartitionCodec codec,
      RebuildCheckpoints checkpoints) {
    this(ring, mode, dryRun, codec, checkpoints, RebuildPacer.NONE);
  }

  /**
   * @param codec the codec (and so the buffers) this rebuilder writes through
   * @param checkpoints told each point of a rebuild it passes (a seam for crash tests)
   * @param pacer told each chunk a re-encryption streams, and may block it (a rate limit)
   */
  public PartitionRebuilder(
      Keyring ring,
      Mode mode,
      boolean dryRun,
      PartitionCodec codec,
      RebuildCheckpoints checkpoints,
      RebuildPacer pacer) {
    this(ring, mode, dryRun, codec, checkpoints, pacer, FileOpener.DEFAULT);
  }

  /**
   * @param codec the codec (and so the buffers) this rebuilder writes through
   * @param checkpoints told each point of a rebuild it passes (a seam for crash tests)
   * @param pacer told each chunk a re-encryption streams, and may block it (a rate limit)
   * @param files opens every file the rebuild reads or writes (a seam for I/O failure tests)
   */
  public PartitionRebuilder(
      Keyring ring,
      Mode mode,
      boolean dryRun,
      PartitionCodec codec,
      RebuildCheckpoints checkpoints,
      RebuildPacer pacer,
      FileOpener files) {
    this.files = files;
    this.ring = ring;
    this.mode = mode;
    this.dryRun = dryRun;
    this.codec = codec;
    this.checkpoints = checkpoints;
    this.pacer = pacer;
  }

  public Outcome rebuild(Path file) {
    KeyId primary = PartitionCodec.requirePrimary(ring);
    long size;
    PartitionHeader header;
    try (FileChannel ch = files.open(file, StandardOpenOption.READ)) {
      size = ch.size();
      header = PartitionHeader.read(ch);
    } catch (PartitionException e) {
      return new Outcome(Status.UNRECOVERABLE, null, null, e.getMessage(), sizeOf(file));
    } catch (IOException e) {
      return new Outcome(Status.FAILED, null, null, "cannot read: " + e.getMessage(), sizeOf(file));
    }
    if (header == null) {
      if (dryRun) {
        return new Outcome(Status.PENDING, "none", "none", null, size);
      }
      return reencrypt(file, null, "none", size, primary);
    }
    PartitionCodec.Opened opened;
    try {
      opened = PartitionCodec.open(header, ring, file);
    } catch (PartitionException e) {
      KeySlot newest = header.newestSlot();
      String before = newest == null ? null : newest.keyId().hex();
      // A KMS outage is no verdict on the key: fail retryably, never report it unrecoverable.
      Status status = e.transientFailure() ? Status.FAILED : Status.UNRECOVERABLE;
      return new Outcome(status, before, before, reasonOf(e), size, e.transientFailure());
    }
    String before = opened.slot().keyId().hex();
    if (opened.slot().keyId().equals(primary)) {
      KeySlot stale = header.slot(1 - header.indexOf(opened.slot()));
      if (stale != null && !dryRun) {
        try {
          wipeSlot(file, 1 - header.indexOf(opened.slot()));
        } catch (IOException e) {
          return new Outcome(
              Status.FAILED,
              before,
              before,
              "cannot wipe the old key slot: " + e.getMessage(),
              size);
        }
      }
      return new Outcome(Status.ALREADY_ON_TARGET, before, before, null, size);
    }
    if (dryRun) {
      return new Outcome(Status.PENDING, before, before, null, size);
    }
    return mode == Mode.REWRAP
        ? rewrap(file, opened, before, size, primary)
        : reencrypt(file, opened, before, size, primary);
  }

  private Outcome reencrypt(
      Path file, PartitionCodec.Opened opened, String before, long size, KeyId primary) {
    Path temp = file.resolveSibling(TEMP_PREFIX + file.getFileName());
    try {
      Files.deleteIfExists(temp);
      long crc;
      try (FileChannel src = files.open(file, StandardOpenOption.READ);
          FileChannel dst =
              files.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        checkpoints.reached("reencrypt.temp-created");
        InputStream plain =
            opened == null
                ? new PartitionCodec.NonClosingIn(Channels.newInputStream(src.position(0)))
                : PartitionCodec.decryptBody(src, opened);
        try {
          // Paced outside SourceErrors: a pacer's failure is no sign of corrupt data.
          crc = codec.encrypt(new Paced(new SourceErrors(plain), pacer), dst, ring);
        } catch (SourceError e) {
          Files.deleteIfExists(temp);
          return new Outcome(
              Status.UNRECOVERABLE,
              before,
              before,
              "its data fails authentication (tampered or truncated)",
              size);
        }
      }
      checkpoints.reached("reencrypt.temp-synced");
      long check = crcOf(temp);
      if (check != crc) {
        Files.deleteIfExists(temp);
        return new Outcome(
            Status.FAILED, before, before, "verification of the new ciphertext failed", size);
      }
      checkpoints.reached("reencrypt.verified");
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      checkpoints.reached("reencrypt.renamed");
      fsyncDirectory(file.toAbsolutePath().getParent());
      return new Outcome(Status.REBUILT, before, primary.hex(), null, size);
    } catch (IOException | UncheckedIOException | PartitionException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // a later run removes it
      }
      return new Outcome(Status.FAILED, before, before, e.getMessage(), size);
    }
  }

  private Outcome rewrap(
      Path file, PartitionCodec.Opened opened, String before, long size, KeyId primary) {
    PartitionHeader header = opened.header();
    int current = header.indexOf(opened.slot());
    int free = 1 - current;
    long generation = opened.slot().generation();
    KeySlot other = header.slot(free);
    if (other != null && Long.compareUnsigned(other.generation(), generation) > 0) {
      generation = other.generation(); // a torn newer slot: go past it
    }
    KeySlot slot =
        PartitionCodec.wrap(header.prefix(), opened.dataKey(), primary, generation + 1, ring);
    try (FileChannel ch = files.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      writeFully(ch, ByteBuffer.wrap(slot.toBytes()), PartitionFormat.slotOffset(free));
      ch.force(true);
      checkpoints.reached("rewrap.new-slot-synced");
      PartitionCodec.Opened check = PartitionCodec.open(PartitionHeader.read(ch), ring, file);
      if (!check.slot().keyId().equals(primary)
          || !Arrays.equals(check.dataKey(), opened.dataKey())) {
        return new Outcome(
            Status.FAILED, before, before, "verification of the new key slot failed", size);
      }
      writeFully(
          ch, ByteBuffer.allocate(PartitionFormat.SLOT_SIZE), PartitionFormat.slotOffset(current));
      ch.force(true);
      checkpoints.reached("rewrap.old-slot-wiped");
      return new Outcome(Status.REBUILT, before, primary.hex(), null, size);
    } catch (IOException | PartitionException e) {
      return new Outcome(Status.FAILED, before, before, e.getMessage(), size);
    }
  }

  private void wipeSlot(Path file, int index) throws IOException {
    try (FileChannel ch = files.open(file, StandardOpenOption.WRITE)) {
      writeFully(
          ch, ByteBuffer.allocate(PartitionFormat.SLOT_SIZE), PartitionFormat.slotOffset(index));
      ch.force(true);
    }
  }

  private long crcOf(Path temp) throws IOException {
    CRC32C crc = new CRC32C();
    try (InputStream in = codec.decrypt(temp, ring)) {
      byte[] buf = codec.verifyBuffer();
      int n;
      while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
        crc.update(buf, 0, n);
      }
    }
    return crc.getValue();
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
  }

  /** fsync of a directory, so a rename survives a power loss. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  private static String reasonOf(PartitionException e) {
    String m = e.getMessage();
    int colon = m.indexOf(": ");
    return colon > 0 && m.startsWith("/") ? m.substring(colon + 2) : m;
  }

  /** Marks read failures of the source, to tell corrupt data from a failing destination. */
  private static final class SourceError extends IOException {
    SourceError(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** Reports every chunk read to the pacer, which may block before the next one. */
  private static final class Paced extends java.io.FilterInputStream {
    private final RebuildPacer pacer;

    Paced(InputStream in, RebuildPacer pacer) {
      super(in);
      this.pacer = pacer;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        pacer.streamed(n);
      }
      return n;
    }

    @Override
    public int read() throws IOException {
      int c = in.read();
      if (c >= 0) {
        pacer.streamed(1);
      }
      return c;
    }
  }

  private static final class SourceErrors extends java.io.FilterInputStream {
    SourceErrors(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (SourceError e) {
        throw e;
      } catch (IOException e) {
        throw new SourceError(e);
      }
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw new SourceError(e);
      }
    }
  }
}
