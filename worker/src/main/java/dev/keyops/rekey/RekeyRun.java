package dev.keyops.rekey;

import dev.keyops.parquet.KeyringSource;
import dev.keyops.parquet.ParquetFile;
import dev.keyops.parquet.ParquetInspector;
import dev.keyops.parquet.ParquetRebuilder;
import dev.keyops.parquet.PlaintextEncryption;
import dev.keyops.partition.CryptoWarmup;
import dev.keyops.partition.FileOpener;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.PartitionRebuilder.Outcome;
import dev.keyops.partition.PartitionRebuilder.Status;
import dev.keyops.partition.RebuildCheckpoints;
import dev.keyops.partition.RebuildPacer;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run of the rekey worker over a data directory (or one shard of it). */
public final class RekeyRun {

  private static final Logger LOG = LoggerFactory.getLogger(RekeyRun.class);
  private static final long PROGRESS_EVERY_NANOS = Duration.ofSeconds(5).toNanos();

  /** How many times a partition a writer replaced during its rebuild is rebuilt again. */
  static final int CHANGE_RETRIES = 3;

  private final KeyBundle ring;
  private final List<Location> locations;
  private final Selection selection;
  private final PartitionRebuilder.Mode mode;
  private final Shard shard;
  private final boolean dryRun;
  private final RebuildCheckpoints checkpoints;
  private final ByteRateLimiter limiter;
  private final FileOpener files;
  private final Clock clock;
  private PlaintextEncryption plaintextParquet;
  private final SortedSet<String> keysTemporarilyUnavailable = new TreeSet<>();

  public RekeyRun(
      KeyBundle ring, Path dataDir, PartitionRebuilder.Mode mode, Shard shard, boolean dryRun) {
    this(ring, dataDir, mode, shard, dryRun, RebuildCheckpoints.NONE);
  }

  /**
   * @param checkpoints told each point of every rebuild (the crash-safety tests' seam)
   */
  public RekeyRun(
      KeyBundle ring,
      Path dataDir,
      PartitionRebuilder.Mode mode,
      Shard shard,
      boolean dryRun,
      RebuildCheckpoints checkpoints) {
    this(ring, dataDir, mode, shard, dryRun, checkpoints, null);
  }

  /**
   * @param checkpoints told each point of every rebuild (the crash-safety tests' seam)
   * @param limiter paces the bytes the rebuilds stream ({@code --bytes-per-second}), or null for no
   *     limit
   */
  public RekeyRun(
      KeyBundle ring,
      Path dataDir,
      PartitionRebuilder.Mode mode,
      Shard shard,
      boolean dryRun,
      RebuildCheckpoints checkpoints,
      ByteRateLimiter limiter) {
    this(
        ring,
        List.of(new Location(Location.DEFAULT_NAME, dataDir)),
        Selection.ALL,
        mode,
        shard,
        dryRun,
        checkpoints,
        limiter,
        FileOpener.DEFAULT,
        Clock.systemUTC());
  }

  /**
   * @param locations the data roots, each reported under its name; a shard owns a file by its path
   *     relative to its root, prefixed by the location's name when there are several
   * @param selection which files of a location are partitions ({@code --include}, {@code
   *     --exclude})
   * @param checkpoints told each point of every rebuild (the crash-safety tests' seam)
   * @param limiter paces the bytes the rebuilds stream, or null for no limit
   * @param files opens the files the rebuilds read and write (the I/O failure tests' seam)
   * @param clock gives {@code startedAt}
   */
  public RekeyRun(
      KeyBundle ring,
      List<Location> locations,
      Selection selection,
      PartitionRebuilder.Mode mode,
      Shard shard,
      boolean dryRun,
      RebuildCheckpoints checkpoints,
      ByteRateLimiter limiter,
      FileOpener files,
      Clock clock) {
    this.ring = ring;
    this.locations = List.copyOf(locations);
    this.selection = selection;
    this.mode = mode;
    this.shard = shard;
    this.dryRun = dryRun;
    this.checkpoints = checkpoints;
    this.limiter = limiter;
    this.files = files;
    this.clock = clock;
  }

  /**
   * A file of this shard.
   *
   * @param key what the shard owns it by and failures name it by: the relative path, prefixed by
   *     the location name when the run has several locations
   * @param unreadable why it cannot be read even before opening it (a directory that cannot be
   *     listed, not a regular file), or null
   */
  record Candidate(
      Location location, Path path, String relative, String key, long size, String unreadable) {}

  /**
   * Whether this process can create files in the data directory, found by creating one (the only
   * test that covers permissions, fsGroup, read-only mounts and ACLs alike): null when it can, else
   * what is wrong and what to do. A rebuild writes each partition's new version next to it, so a
   * directory it cannot write would fail every partition one by one.
   */
  static String unwritable(Path dataDir) {
    Path probe = null;
    try {
      // Named like the rebuild's temporary files, so other shards listing meanwhile skip it.
      probe = Files.createTempFile(dataDir, PartitionRebuilder.TEMP_PREFIX + "write-probe-", "");
      return null;
    } catch (IOException e) {
      return "the data directory "
          + dataDir
          + " is not writable by this worker (uid "
          + uid()
          + "): "
          + e.getClass().getSimpleName()
          + ". A volume whose files belong to another user needs fsGroup to apply (a hostPath"
          + " volume never applies it; use a `local` PersistentVolume or one from a CSI"
          + " driver, or make the directory group-writable for the pod's fsGroup), and must"
          + " not be mounted read-only";
    } finally {
      if (probe != null) {
        try {
          Files.deleteIfExists(probe);
        } catch (IOException ignored) {
          // a leftover probe is an empty temporary file; the next run removes it
        }
      }
    }
  }

  private static String uid() {
    try {
      return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return System.getProperty("user.name", "?");
    }
  }

  /** The partitions of this shard, by relative path, sorted. Temporary files are not partitions. */
  public static List<Path> partitions(Path dataDir, Shard shard) throws IOException {
    return list(new Location(Location.DEFAULT_NAME, dataDir), true, Selection.ALL, shard).stream()
        .filter(c -> c.unreadable() == null)
        .map(Candidate::path)
        .sorted()
        .toList();
  }

  /** The key a shard owns a file by. */
  private static String key(Location location, boolean single, String relative) {
    return single ? relative : location.name() + "/" + relative;
  }

  /** Deletes temporary files a crashed run of this shard left behind; the originals are intact. */
  static int cleanUpTemporaryFiles(Path dataDir, Shard shard) throws IOException {
    return cleanUpTemporaryFiles(new Location(Location.DEFAULT_NAME, dataDir), true, shard, null);
  }

  /**
   * The file a shard owns a temporary file by: the file it replaces, and for a temporary sidecar
   * ({@code .keyops-tmp._KEY_MATERIAL_FOR_F.json}) the Parquet file F it belongs to.
   */
  private static Path ownedVia(Path target) {
    String name = target.getFileName().toString();
    return ParquetFile.isSidecarName(name) ? ParquetFile.fileOfSidecar(target) : target;
  }

  private static int cleanUpTemporaryFiles(
      Location location, boolean single, Shard shard, ParquetRebuilder parquet) throws IOException {
    Path dataDir = location.root();
    int recovered = 0;
    // First the Parquet rewrites that crashed between renaming the file and its sidecar: the
    // pending sidecar is named after the temporary file, which the cleanup below removes.
    for (Path p : regularFiles(dataDir)) {
      if (ParquetRebuilder.isTempSidecar(p.getFileName().toString())
          && shard.owns(key(location, single, relative(dataDir, ParquetRebuilder.original(p))))) {
        if (parquet == null) {
          continue; // dry run: change nothing
        }
        if (parquet.recover(p)) {
          LOG.info(
              "completed the interrupted rewrite of {}: its new sidecar is in place",
              relative(dataDir, ParquetRebuilder.original(p)));
        }
        recovered++;
      }
    }
    List<Path> temps =
        regularFiles(dataDir).stream()
            .filter(p -> p.getFileName().toString().startsWith(PartitionRebuilder.TEMP_PREFIX))
            .filter(
                p -> {
                  String target =
                      p.getFileName().toString().substring(PartitionRebuilder.TEMP_PREFIX.length());
                  return shard.owns(
                      key(location, single, relative(dataDir, ownedVia(p.resolveSibling(target)))));
                })
            .toList();
    for (Path t : temps) {
      Files.deleteIfExists(t);
      LOG.info("removed temporary file {} left by an interrupted run", relative(dataDir, t));
    }
    return temps.size() + recovered;
  }

  /**
   * Every regular file below {@code dir}. Other shards work in the same directory at the same time:
   * their temporary files appear and vanish (renamed over their partitions) while we list, so an
   * entry that is gone by the time it is read is skipped, not an error (Files.walk would throw
   * NoSuchFileException and end the shard).
   */
  static List<Path> regularFiles(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
              out.add(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException && !file.equals(dir)) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
    return out;
  }

  /**
   * The files of one location this shard owns, selected files only, temporary files left out. What
   * cannot be inventoried is listed as unreadable, never skipped: a subdirectory that cannot be
   * listed (its files are unknown, so the shard that owns the directory's path reports it), and an
   * entry that is not a regular file (a symbolic link, a FIFO, a device).
   */
  static List<Candidate> list(Location location, boolean single, Selection selection, Shard shard)
      throws IOException {
    Path root = location.root();
    List<Candidate> out = new ArrayList<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            // The filesystem's own directory at the root of an ext4/xfs volume (root-only, so a
            // non-root worker could not list it): never data, never unreadable data.
            return dir.getParent() != null
                    && dir.getParent().equals(root)
                    && dir.getFileName().toString().equals("lost+found")
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String name = file.getFileName().toString();
            if (name.startsWith(PartitionRebuilder.TEMP_PREFIX)
                || ParquetRebuilder.isTempSidecar(name)) {
              return FileVisitResult.CONTINUE;
            }
            if (ParquetFile.isSidecarName(name)
                && Files.exists(
                    ParquetFile.fileOfSidecar(file), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
              return FileVisitResult.CONTINUE; // part of its Parquet file, rebuilt with it
            }
            String rel = relative(root, file);
            String key = key(location, single, rel);
            if (!selection.selects(rel) || !shard.owns(key)) {
              return FileVisitResult.CONTINUE;
            }
            String unreadable =
                attrs.isRegularFile()
                    ? null
                    : "not a regular file ("
                        + (attrs.isSymbolicLink() ? "a symbolic link" : "a special file")
                        + ")";
            out.add(new Candidate(location, file, rel, key, attrs.size(), unreadable));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (file.equals(root)) {
              throw e;
            }
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            String rel = relative(root, file);
            String key = key(location, single, rel);
            if (shard.owns(key)) {
              out.add(new Candidate(location, file, rel, key, 0, describe(e)));
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return out;
  }

  private static String describe(IOException e) {
    String kind = e.getClass().getSimpleName();
    if (e instanceof FileSystemException fse) {
      return fse.getReason() == null ? kind : kind + ": " + fse.getReason();
    }
    return kind;
  }

  public WorkerResult run() throws IOException {
    long start = System.nanoTime();
    WorkerResult result = new WorkerResult();
    result.startedAt = clock.instant().toString(); // before listing: an inventory's lower bound
    result.shard = shard.toString();
    result.mode = mode.name().toLowerCase(Locale.ROOT);
    result.dryRun = dryRun;
    result.targetKeyId = ring.primary().map(Object::toString).orElse(null);
    boolean single = locations.size() == 1;
    ParquetRebuilder parquet = parquetRebuilder();
    Map<String, WorkerResult.LocationResult> byLocation = new LinkedHashMap<>();
    List<Candidate> files = new ArrayList<>();
    for (Location location : locations) {
      byLocation.put(location.name(), new WorkerResult.LocationResult(location.name()));
      if (!dryRun) {
        cleanUpTemporaryFiles(location, single, shard, parquet);
      }
      files.addAll(list(location, single, selection, shard));
    }
    result.locations.addAll(byLocation.values());
    files.sort(Comparator.comparing(Candidate::key));
    long totalBytes = files.stream().mapToLong(Candidate::size).sum();
    LOG.info(
        "rekey shard {}: {} files in {} location(s) ({}), {} MiB, mode {}{}{}",
        shard,
        files.size(),
        locations.size(),
        selection,
        totalBytes >> 20,
        result.mode,
        dryRun ? " (dry run)" : "",
        limiter == null ? "" : ", re-encryption throttled to " + limiter);
    if (!dryRun) {
      CryptoWarmup.run();
    }
    PartitionRebuilder rebuilder =
        new PartitionRebuilder(
            ring,
            mode,
            dryRun,
            new PartitionCodec(),
            checkpoints,
            limiter == null ? RebuildPacer.NONE : limiter,
            this.files);
    long lastLog = System.nanoTime();
    int done = 0;
    List<Candidate> changed = new ArrayList<>();
    for (Candidate file : files) {
      Done o = rebuild(rebuilder, parquet, file);
      if (vanished(file, o)) {
        continue;
      }
      if (o.status() == Status.CHANGED) {
        result.changedDuringRebuild++;
        changed.add(file);
        LOG.info(
            "partition {} changed during its rebuild: left as written, retried later", file.key());
      } else {
        record(result, byLocation.get(file.location().name()), file, o);
      }
      done++;
      long now = System.nanoTime();
      if (now - lastLog > PROGRESS_EVERY_NANOS) {
        lastLog = now;
        logProgress(done, files.size(), result.bytes, totalBytes, now - start);
      }
    }
    for (int retry = 1; !changed.isEmpty(); retry++) {
      List<Candidate> again = new ArrayList<>();
      for (Candidate file : changed) {
        Done o = rebuild(rebuilder, parquet, file);
        if (o.status() == Status.CHANGED && retry < CHANGE_RETRIES) {
          again.add(file);
        } else if (o.status() == Status.CHANGED) {
          record(
              result,
              byLocation.get(file.location().name()),
              file,
              new Done(
                  Status.FAILED,
                  o.before(),
                  o.after(),
                  "still changing after "
                      + CHANGE_RETRIES
                      + " retries: left as the writer wrote it; rebuild it again",
                  o.bytes(),
                  false,
                  o.kind()));
        } else {
          record(result, byLocation.get(file.location().name()), file, o);
        }
      }
      changed = again;
    }
    if (!keysTemporarilyUnavailable.isEmpty()) {
      result.error =
          "Cloud KMS could not unwrap ring key(s) "
              + String.join(", ", keysTemporarilyUnavailable)
              + " for now (UNAVAILABLE or DEADLINE_EXCEEDED): their partitions were left untouched;"
              + " the shard is retried";
      result.errorReason = WorkerResult.KEY_TEMPORARILY_UNAVAILABLE;
    }
    result.durationMs = (System.nanoTime() - start) / 1_000_000;
    logProgress(done, files.size(), result.bytes, totalBytes, System.nanoTime() - start);
    return result;
  }

  /**
   * Whether a file listed could not be opened because it is gone (a writer's temporary file renamed
   * meanwhile, a partition deleted): not a partition any more, so neither counted nor unreadable.
   */
  private static boolean vanished(Candidate file, Done o) {
    if (o.status() != Status.UNREADABLE || file.unreadable() != null) {
      return false;
    }
    if (Files.exists(file.path(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    LOG.info("{} vanished after it was listed; skipped", file.key());
    return true;
  }

  /** What kind of file an outcome is about. */
  enum Kind {
    PARTITION,
    /** A Parquet file with Parquet Modular Encryption. */
    PARQUET,
    /** A Parquet file without encryption: reported, never wrapped. */
    PLAINTEXT_PARQUET
  }

  /**
   * How one file came out, partition or Parquet file alike.
   *
   * @param before the ring key ids it was on ({@code none} for an unencrypted partition; empty when
   *     unknown); a Parquet file with column keys may be on several
   * @param after the ring key ids it is on now
   */
  record Done(
      Status status,
      Set<String> before,
      Set<String> after,
      String reason,
      long bytes,
      boolean keyTemporarilyUnavailable,
      Kind kind) {

    static Done of(Outcome o) {
      return new Done(
          o.status(),
          o.keyBefore() == null ? Set.of() : Set.of(o.keyBefore()),
          o.keyAfter() == null ? Set.of() : Set.of(o.keyAfter()),
          o.reason(),
          o.bytes(),
          o.keyTemporarilyUnavailable(),
          Kind.PARTITION);
    }

    static Done of(ParquetRebuilder.Outcome o) {
      return new Done(
          o.status(),
          o.keysBefore(),
          o.keysAfter(),
          o.reason(),
          o.bytes(),
          o.keyTemporarilyUnavailable(),
          o.plaintext() ? Kind.PLAINTEXT_PARQUET : Kind.PARQUET);
    }

    String keyBefore() {
      return before.isEmpty() ? null : String.join(",", before);
    }
  }

  /**
   * Encrypts the plaintext Parquet files this run finds, in {@code layout} ({@code
   * --parquet-encrypt-plaintext}); null (the default) reports them and leaves them as they are.
   */
  public RekeyRun encryptPlaintextParquet(PlaintextEncryption layout) {
    this.plaintextParquet = layout;
    return this;
  }

  /**
   * The Parquet rebuilder of this run, on the ring's Primary (none without a Primary: the partition
   * rebuilder refuses to run then). Its KmsClient reads this run's keyring, registered under a path
   * of its own.
   */
  private ParquetRebuilder parquetRebuilder() {
    if (ring.primary().isEmpty()) {
      return null;
    }
    Path id =
        Path.of("/keyops-rekey-keyring/" + Integer.toHexString(System.identityHashCode(ring)));
    KeyringSource.register(id, ring);
    return new ParquetRebuilder(
        ring, id, ring.primary().get(), mode, dryRun, checkpoints, plaintextParquet);
  }

  private static Done rebuild(
      PartitionRebuilder rebuilder, ParquetRebuilder parquet, Candidate file) {
    if (file.unreadable() != null) {
      return Done.of(new Outcome(Status.UNREADABLE, null, null, file.unreadable(), file.size()));
    }
    String name = file.path().getFileName().toString();
    if (ParquetFile.isSidecarName(name)) {
      return new Done(
          Status.FOREIGN,
          Set.of(),
          Set.of(),
          "Parquet key material whose Parquet file is missing: never wrapped",
          file.size(),
          false,
          Kind.PARTITION);
    }
    if (parquet != null && isParquet(file.path())) {
      return Done.of(parquet.rebuild(file.path()));
    }
    return Done.of(rebuilder.rebuild(file.path()));
  }

  /**
   * Whether a file carries a Parquet magic and not the partition magic (a partition's ciphertext
   * may end in PAR1 by chance). A file that cannot be opened is left to the partition path, which
   * reports it unreadable.
   */
  private static boolean isParquet(Path file) {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
      java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(4);
      ch.read(head, 0);
      boolean partition =
          head.position() == 4
              && java.util.Arrays.equals(head.array(), dev.keyops.partition.PartitionFormat.MAGIC);
      return !partition && ParquetInspector.isParquet(ch);
    } catch (IOException e) {
      return false;
    }
  }

  private void record(WorkerResult r, WorkerResult.LocationResult loc, Candidate file, Done o) {
    String path = file.key();
    if (o.status() == Status.FOREIGN) {
      r.foreign++;
      loc.foreign++;
      if (o.kind() == Kind.PLAINTEXT_PARQUET) {
        r.plaintextParquet++;
      }
      LOG.info("{} is a {}; left untouched", path, o.reason());
      return;
    }
    r.total++;
    loc.total++;
    r.bytes += o.bytes();
    if (o.kind() == Kind.PARQUET) {
      r.parquet++;
    }
    if (o.status() == Status.UNREADABLE) {
      r.addUnreadable(file.relative(), o.reason());
      loc.unreadable++;
      LOG.warn("{} cannot be read, its key is unknown: {}", path, o.reason());
      return;
    }
    if (o.keyTemporarilyUnavailable() && o.keyBefore() != null) {
      keysTemporarilyUnavailable.addAll(o.before());
    }
    if (o.before().contains("none")) {
      r.unencrypted++;
      loc.unencrypted++;
    }
    Set<String> before = o.before().isEmpty() ? Set.of("unknown") : o.before();
    Set<String> after = o.after().isEmpty() ? Set.of("unknown") : o.after();
    for (String k : before) {
      r.byKeyBefore.merge(k, 1L, Long::sum);
      loc.byKeyBefore.merge(k, 1L, Long::sum);
    }
    for (String k : after) {
      r.byKeyAfter.merge(k, 1L, Long::sum);
      loc.byKeyAfter.merge(k, 1L, Long::sum);
    }
    switch (o.status()) {
      case ALREADY_ON_TARGET -> r.alreadyOnTarget++;
      case REBUILT -> r.rebuilt++;
      case PENDING -> r.pending++;
      case FAILED -> {
        r.failed++;
        r.addFailure(path, o.keyBefore(), o.reason(), true);
        LOG.warn("{} failed: {}", path, o.reason());
      }
      case UNRECOVERABLE -> {
        r.unrecoverable++;
        r.addFailure(path, o.keyBefore(), o.reason(), false);
        LOG.warn("{} is unrecoverable and was left untouched: {}", path, o.reason());
      }
      default -> throw new IllegalStateException("unexpected outcome " + o.status());
    }
  }

  private void logProgress(int done, int total, long bytes, long totalBytes, long nanos) {
    double seconds = Math.max(nanos / 1e9, 1e-3);
    double rate = bytes / seconds;
    double eta = rate > 0 ? (totalBytes - bytes) / rate : 0;
    LOG.info(
        String.format(
            Locale.ROOT,
            "progress: %d/%d partitions, %.1f/%.1f MiB, %.1f MiB/s%s, %.1f partitions/s, ETA %.0fs",
            done,
            total,
            bytes / 1048576.0,
            totalBytes / 1048576.0,
            rate / 1048576.0,
            limiter == null ? "" : " (limit " + ByteRate.format(limiter.bytesPerSecond()) + ")",
            done / seconds,
            eta));
  }

  static String relative(Path dir, Path file) {
    return dir.relativize(file).toString().replace('\\', '/');
  }
}
