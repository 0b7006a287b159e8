package dev.keyops.rekey;

import dev.keyops.partition.CryptoWarmup;
import dev.keyops.partition.Keyring;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.PartitionRebuilder.Outcome;
import dev.keyops.partition.RebuildCheckpoints;
import dev.keyops.partition.RebuildPacer;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run of the rekey worker over a data directory (or one shard of it). */
public final class RekeyRun {

  private static final Logger LOG = LoggerFactory.getLogger(RekeyRun.class);
  private static final long PROGRESS_EVERY_NANOS = Duration.ofSeconds(5).toNanos();

  private final Keyring ring;
  private final Path dataDir;
  private final PartitionRebuilder.Mode mode;
  private final Shard shard;
  private final boolean dryRun;
  private final RebuildCheckpoints checkpoints;
  private final ByteRateLimiter limiter;
  private final java.util.SortedSet<String> keysTemporarilyUnavailable = new java.util.TreeSet<>();

  public RekeyRun(
      Keyring ring, Path dataDir, PartitionRebuilder.Mode mode, Shard shard, boolean dryRun) {
    this(ring, dataDir, mode, shard, dryRun, RebuildCheckpoints.NONE);
  }

  /**
   * @param checkpoints told each point of every rebuild (the crash-safety tests' seam)
   */
  public RekeyRun(
      Keyring ring,
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
      Keyring ring,
      Path dataDir,
      PartitionRebuilder.Mode mode,
      Shard shard,
      boolean dryRun,
      RebuildCheckpoints checkpoints,
      ByteRateLimiter limiter) {
    this.ring = ring;
    this.dataDir = dataDir;
    this.mode = mode;
    this.shard = shard;
    this.dryRun = dryRun;
    this.checkpoints = checkpoints;
    this.limiter = limiter;
  }

  /** The partitions of this shard, by relative path, sorted. Temporary files are not partitions. */
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

  public static List<Path> partitions(Path dataDir, Shard shard) throws IOException {
    return regularFiles(dataDir).stream()
        .filter(p -> !p.getFileName().toString().startsWith(PartitionRebuilder.TEMP_PREFIX))
        .filter(p -> shard.owns(relative(dataDir, p)))
        .sorted()
        .toList();
  }

  /** Deletes temporary files a crashed run of this shard left behind; the originals are intact. */
  static int cleanUpTemporaryFiles(Path dataDir, Shard shard) throws IOException {
    List<Path> temps =
        regularFiles(dataDir).stream()
            .filter(p -> p.getFileName().toString().startsWith(PartitionRebuilder.TEMP_PREFIX))
            .filter(
                p -> {
                  String target =
                      p.getFileName().toString().substring(PartitionRebuilder.TEMP_PREFIX.length());
                  return shard.owns(relative(dataDir, p.resolveSibling(target)));
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

  public WorkerResult run() throws IOException {
    long start = System.nanoTime();
    WorkerResult result = new WorkerResult();
    result.shard = shard.toString();
    result.mode = mode.name().toLowerCase(Locale.ROOT);
    result.dryRun = dryRun;
    result.targetKeyId = ring.primary().map(Object::toString).orElse(null);
    if (!dryRun) {
      cleanUpTemporaryFiles(dataDir, shard);
    }
    List<Path> files = partitions(dataDir, shard);
    long totalBytes = 0;
    for (Path f : files) {
      totalBytes += Files.size(f);
    }
    LOG.info(
        "rekey shard {}: {} partitions, {} MiB, mode {}{}{}",
        shard,
        files.size(),
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
            limiter == null ? RebuildPacer.NONE : limiter);
    long lastLog = System.nanoTime();
    int done = 0;
    for (Path file : files) {
      Outcome o = rebuilder.rebuild(file);
      record(result, relative(dataDir, file), o);
      done++;
      long now = System.nanoTime();
      if (now - lastLog > PROGRESS_EVERY_NANOS) {
        lastLog = now;
        logProgress(done, files.size(), result.bytes, totalBytes, now - start);
      }
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

  private void record(WorkerResult r, String path, Outcome o) {
    if (o.keyTemporarilyUnavailable() && o.keyBefore() != null) {
      keysTemporarilyUnavailable.add(o.keyBefore());
    }
    r.total++;
    r.bytes += o.bytes();
    if ("none".equals(o.keyBefore())) {
      r.unencrypted++;
    }
    String before = o.keyBefore() == null ? "unknown" : o.keyBefore();
    String after = o.keyAfter() == null ? "unknown" : o.keyAfter();
    r.byKeyBefore.merge(before, 1L, Long::sum);
    r.byKeyAfter.merge(after, 1L, Long::sum);
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
