package dev.keyops.rekey;

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
    return cleanUpTemporaryFiles(new Location(Location.DEFAULT_NAME, dataDir), true, shard);
  }

  private static int cleanUpTemporaryFiles(Location location, boolean single, Shard shard)
      throws IOException {
    Path dataDir = location.root();
    List<Path> temps =
        regularFiles(dataDir).stream()
            .filter(p -> p.getFileName().toString().startsWith(PartitionRebuilder.TEMP_PREFIX))
            .filter(
                p -> {
                  String target =
                      p.getFileName().toString().substring(PartitionRebuilder.TEMP_PREFIX.length());
                  return shard.owns(
                      key(location, single, relative(dataDir, p.resolveSibling(target))));
                })
            .toList();
    for (Path t : temps) {
      Files.deleteIfExists(t);
      LOG.info("removed temporary file {} left by an interrupted run", relative(dataDir, t));
    }
    return temps.size();
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
            if (file.getFileName().toString().startsWith(PartitionRebuilder.TEMP_PREFIX)) {
              return FileVisitResult.CONTINUE;
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
    Map<String, WorkerResult.LocationResult> byLocation = new LinkedHashMap<>();
    List<Candidate> files = new ArrayList<>();
    for (Location location : locations) {
      byLocation.put(location.name(), new WorkerResult.LocationResult(location.name()));
      if (!dryRun) {
        cleanUpTemporaryFiles(location, single, shard);
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
      Outcome o = rebuild(rebuilder, file);
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
        Outcome o = rebuild(rebuilder, file);
        if (o.status() == Status.CHANGED && retry < CHANGE_RETRIES) {
          again.add(file);
        } else if (o.status() == Status.CHANGED) {
          record(
              result,
              byLocation.get(file.location().name()),
              file,
              new Outcome(
                  Status.FAILED,
                  o.keyBefore(),
                  o.keyAfter(),
                  "still changing after "
                      + CHANGE_RETRIES
                      + " retries: left as the writer wrote it; rebuild it again",
                  o.bytes()));
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
  private static boolean vanished(Candidate file, Outcome o) {
    if (o.status() != Status.UNREADABLE || file.unreadable() != null) {
      return false;
    }
    if (Files.exists(file.path(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    LOG.info("{} vanished after it was listed; skipped", file.key());
    return true;
  }

  private static Outcome rebuild(PartitionRebuilder rebuilder, Candidate file) {
    if (file.unreadable() != null) {
      return new Outcome(Status.UNREADABLE, null, null, file.unreadable(), file.size());
    }
    return rebuilder.rebuild(file.path());
  }

  private void record(WorkerResult r, WorkerResult.LocationResult loc, Candidate file, Outcome o) {
    String path = file.key();
    if (o.status() == Status.FOREIGN) {
      r.foreign++;
      loc.foreign++;
      LOG.info("{} is a {}; left untouched", path, o.reason());
      return;
    }
    r.total++;
    loc.total++;
    r.bytes += o.bytes();
    if (o.status() == Status.UNREADABLE) {
      r.addUnreadable(file.relative(), o.reason());
      loc.unreadable++;
      LOG.warn("{} cannot be read, its key is unknown: {}", path, o.reason());
      return;
    }
    if (o.keyTemporarilyUnavailable() && o.keyBefore() != null) {
      keysTemporarilyUnavailable.add(o.keyBefore());
    }
    if ("none".equals(o.keyBefore())) {
      r.unencrypted++;
      loc.unencrypted++;
    }
    String before = o.keyBefore() == null ? "unknown" : o.keyBefore();
    String after = o.keyAfter() == null ? "unknown" : o.keyAfter();
    r.byKeyBefore.merge(before, 1L, Long::sum);
    r.byKeyAfter.merge(after, 1L, Long::sum);
    loc.byKeyBefore.merge(before, 1L, Long::sum);
    loc.byKeyAfter.merge(after, 1L, Long::sum);
    switch (o.status()) {
      case ALREADY_ON_TARGET -> r.alreadyOnTarget++;
      case REBUILT -> r.rebuilt++;
      case PENDING -> r.pending++;
      case FAILED -> {
        r.failed++;
        r.addFailure(path, o.keyBefore(), o.reason(), true);
        LOG.warn("partition {} failed: {}", path, o.reason());
      }
      case UNRECOVERABLE -> {
        r.unrecoverable++;
        r.addFailure(path, o.keyBefore(), o.reason(), false);
        LOG.warn("partition {} is unrecoverable and was left untouched: {}", path, o.reason());
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
