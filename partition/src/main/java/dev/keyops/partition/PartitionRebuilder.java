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
    UNRECOVERABLE,
    /**
     * Cannot be read or its header cannot be parsed (EACCES, EIO, a truncated header, both slots
     * empty, not a regular file): its key is unknown, so it may hold data on any key. Untouched.
     */
    UNREADABLE,
    /** A file in a format keyops knows and never wraps (Parquet); left byte-identical. */
    FOREIGN,
    /**
     * A writer replaced or modified it while it was being rebuilt: the rebuild's copy was discarded
     * and the writer's file left alone. Rebuild it again.
     */
    CHANGED
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

  private final KeyBundle ring;
  private final Mode mode;
  private final boolean dryRun;
  private final PartitionCodec codec;
  private final RebuildCheckpoints checkpoints;
  private final RebuildPacer pacer;
  private final FileOpener files;

  /** A rebuilder with a codec of its own; like the codec, use it from one thread at a time. */
  public PartitionRebuilder(KeyBundle ring, Mode mode, boolean dryRun) {
    this(ring, mode, dryRun, new PartitionCodec(), RebuildCheckpoints.NONE);
  }

  /**
   * @param codec the codec (and so the buffers) this rebuilder writes through
   * @param checkpoints told each point of a rebuild it passes (a seam for crash tests)
   */
  public PartitionRebuilder(
      KeyBundle ring,
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
      KeyBundle ring,
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
      KeyBundle ring,
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

  /**
   * Rebuilds one partition. The partition is replaced (or edited in place by a rewrap) only while
   * it is the same file it was when the rebuild started (see {@link FileIdentity}); otherwise the
   * rebuild discards its work and returns {@link Status#CHANGED}, leaving the writer's file alone.
   */
  public Outcome rebuild(Path file) {
    KeyId primary = PartitionCodec.requirePrimary(ring);
    FileIdentity identity;
    FileChannel pinned;
    try {
      identity = FileIdentity.of(file);
      // Held open to the end: while it is, the file's inode cannot be reused by a new file.
      pinned = files.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      return new Outcome(Status.UNREADABLE, null, null, describe(e, file), 0);
    }
    try (pinned) {
      return rebuild(file, pinned, identity, primary);
    } catch (IOException e) {
      return new Outcome(Status.FAILED, null, null, describe(e, file), identity.size());
    }
  }

  private Outcome rebuild(Path file, FileChannel ch, FileIdentity identity, KeyId primary) {
    long size = identity.size();
    PartitionHeader header;
    String foreign = null;
    try {
      if (!identity.equals(FileIdentity.of(file))) {
        return changed(null, size); // replaced while we opened it
      }
      header = PartitionHeader.read(ch);
      if (header == null) {
        foreign = ForeignFormats.detect(ch);
      }
    } catch (PartitionException e) {
      return new Outcome(Status.UNREADABLE, null, null, reasonOf(e), size);
    } catch (IOException e) {
      return new Outcome(Status.UNREADABLE, null, null, describe(e, file), size);
    }
    if (header == null) {
      if (foreign != null) {
        return new Outcome(Status.FOREIGN, null, null, foreign + " file: never wrapped", size);
      }
      if (dryRun) {
        return new Outcome(Status.PENDING, "none", "none", null, size);
      }
      return reencrypt(file, ch, identity, null, "none", primary);
    }
    if (header.newestSlot() == null) {
      return new Outcome(Status.UNREADABLE, null, null, "both key slots are empty", size);
    }
    PartitionCodec.Opened opened;
    try {
      opened = PartitionCodec.open(header, ring, file);
    } catch (PartitionException e) {
      String before = header.newestSlot().keyId().hex();
      // A KMS outage is no verdict on the key: fail retryably, never report it unrecoverable.
      Status status = e.transientFailure() ? Status.FAILED : Status.UNRECOVERABLE;
      return new Outcome(status, before, before, reasonOf(e), size, e.transientFailure());
    }
    String before = opened.slot().keyId().hex();
    if (opened.slot().keyId().equals(primary)) {
      int stale = 1 - header.indexOf(opened.slot());
      if (header.slot(stale) != null && !dryRun) {
        try {
          Edited wiped =
              editInPlace(
                  file,
                  identity,
                  rw -> {
                    wipe(rw, stale);
                    return null;
                  });
          if (!wiped.stands()) {
            return changed(before, size);
          }
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
        ? rewrap(file, identity, opened, before, primary)
        : reencrypt(file, ch, identity, opened, before, primary);
  }

  private static Outcome changed(String before, long size) {
    return new Outcome(
        Status.CHANGED,
        before,
        before,
        "changed while it was being rebuilt (a writer replaced it): left as the writer wrote it",
        size);
  }

  private Outcome reencrypt(
      Path file,
      FileChannel src,
      FileIdentity identity,
      PartitionCodec.Opened opened,
      String before,
      KeyId primary) {
    long size = identity.size();
    Path temp = file.resolveSibling(TEMP_PREFIX + file.getFileName());
    try {
      Files.deleteIfExists(temp);
      long crc;
      try (FileChannel dst =
          files.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        checkpoints.reached("reencrypt.temp-created", file);
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
      checkpoints.reached("reencrypt.temp-synced", file);
      long check = crcOf(temp);
      if (check != crc) {
        Files.deleteIfExists(temp);
        return new Outcome(
            Status.FAILED, before, before, "verification of the new ciphertext failed", size);
      }
      checkpoints.reached("reencrypt.verified", file);
      // Compare before replace: only the file we read may be replaced. The window between this
      // check and the rename is a few system calls long (see docs/embedding.md).
      if (!unchanged(file, identity)) {
        Files.deleteIfExists(temp);
        return changed(before, size);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      checkpoints.reached("reencrypt.renamed", file);
      fsyncDirectory(file.toAbsolutePath().getParent());
      return new Outcome(Status.REBUILT, before, primary.hex(), null, size);
    } catch (IOException | UncheckedIOException | PartitionException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // a later run removes it
      }
      boolean kms = e instanceof PartitionException pe && pe.transientFailure();
      return new Outcome(Status.FAILED, before, before, e.getMessage(), size, kms);
    }
  }

  /** Whether {@code file} still is the file with {@code identity}; a vanished file is not. */
  private static boolean unchanged(Path file, FileIdentity identity) throws IOException {
    try {
      return identity.equals(FileIdentity.of(file));
    } catch (java.nio.file.NoSuchFileException e) {
      return false; // deleted by its writer: never bring it back
    }
  }

  /** Edits a partition's header through a descriptor opened on the file itself. */
  @FunctionalInterface
  private interface Edit {
    /**
     * @return why the edit failed, or null
     */
    String apply(FileChannel rw) throws IOException;
  }

  /**
   * @param stands the path still names the file edited
   * @param failure why the edit failed, or null
   */
  private record Edited(boolean stands, String failure) {}

  /**
   * Applies an in-place edit (a slot write or wipe) only to the file the rebuild read, and tells
   * whether the edit stands. The descriptor is opened first and the path checked after: if the path
   * still names the same, unmodified file, the descriptor is on it. A writer that renames a new
   * file over the path later makes the edit land on the replaced file, never on the writer's: the
   * check after the edit sees the new file and the caller retries.
   *
   * @return not standing when the file was replaced or modified (nothing written, or written to the
   *     replaced file only)
   */
  private Edited editInPlace(Path file, FileIdentity identity, Edit edit) throws IOException {
    try (FileChannel rw = files.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (!unchanged(file, identity)) {
        return new Edited(false, null);
      }
      String failure = edit.apply(rw);
      try {
        return new Edited(identity.sameFile(FileIdentity.of(file)), failure);
      } catch (java.nio.file.NoSuchFileException e) {
        return new Edited(false, failure);
      }
    }
  }

  private Outcome rewrap(
      Path file,
      FileIdentity identity,
      PartitionCodec.Opened opened,
      String before,
      KeyId primary) {
    long size = identity.size();
    PartitionHeader header = opened.header();
    int current = header.indexOf(opened.slot());
    int free = 1 - current;
    long generation = opened.slot().generation();
    KeySlot other = header.slot(free);
    if (other != null && Long.compareUnsigned(other.generation(), generation) > 0) {
      generation = other.generation(); // a torn newer slot: go past it
    }
    try {
      KeySlot slot =
          PartitionCodec.wrap(header.prefix(), opened.dataKey(), primary, generation + 1, ring);
      Edited edited =
          editInPlace(
              file,
              identity,
              ch -> {
                writeFully(ch, ByteBuffer.wrap(slot.toBytes()), PartitionFormat.slotOffset(free));
                ch.force(true);
                checkpoints.reached("rewrap.new-slot-synced", file);
                PartitionCodec.Opened check =
                    PartitionCodec.open(PartitionHeader.read(ch), ring, file);
                if (!check.slot().keyId().equals(primary)
                    || !Arrays.equals(check.dataKey(), opened.dataKey())) {
                  return "verification of the new key slot failed";
                }
                wipe(ch, current);
                checkpoints.reached("rewrap.old-slot-wiped", file);
                return null;
              });
      if (!edited.stands()) {
        return changed(before, size);
      }
      if (edited.failure() != null) {
        return new Outcome(Status.FAILED, before, before, edited.failure(), size);
      }
      return new Outcome(Status.REBUILT, before, primary.hex(), null, size);
    } catch (IOException | PartitionException e) {
      boolean kms = e instanceof PartitionException pe && pe.transientFailure();
      return new Outcome(Status.FAILED, before, before, e.getMessage(), size, kms);
    }
  }

  private static void wipe(FileChannel ch, int index) throws IOException {
    writeFully(
        ch, ByteBuffer.allocate(PartitionFormat.SLOT_SIZE), PartitionFormat.slotOffset(index));
    ch.force(true);
  }

  /** A short description of an I/O error, without the path (the caller names the file). */
  static String describe(IOException e, Path file) {
    String kind = e.getClass().getSimpleName();
    if (e instanceof java.nio.file.FileSystemException fse) {
      return fse.getReason() == null ? kind : kind + ": " + fse.getReason();
    }
    String m = e.getMessage();
    return m == null || m.contains(file.toString()) ? kind : kind + ": " + m;
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
