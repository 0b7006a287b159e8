package dev.keyops.rekey.bench;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.testing.TestKeyBundles;
import dev.keyops.rekey.RekeyRun;
import dev.keyops.rekey.Shard;
import dev.keyops.rekey.WorkerResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Rekey benchmark (not a test). Run with {@code dev/bench-rekey [DIR]}, or {@code dev/bench-rekey
 * --throttle [RATE] [DIR]} for the {@code --bytes-per-second} measurement alone. Generates 1 GiB +
 * 4 x 256 MiB large partitions and 2,000 partitions of 64 KiB, then prints, in one run: the I/O
 * baseline (copy + fsync + read-back + rename, no crypto), rekey throughput of the real worker
 * process in both modes with its peak RSS, crypto-only throughput beside `openssl speed`, and the
 * number of Cloud KMS unwraps for a ring of gcpKms keys; then the Parquet figures ({@link
 * ParquetRekeyBenchmark}), which {@code dev/bench-rekey --parquet [DIR]} measures alone. Every
 * worker run must rebuild every file onto the new key with no failure ({@link #checked}).
 */
public final class RekeyBenchmark {

  private static final int MIB = 1 << 20;

  private RekeyBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--throttle")) {
      throttled(args[1], Path.of(args[2]), args[3]);
      return;
    }
    if (args.length > 0 && args[0].equals("--parquet")) {
      parquetOnly(Path.of(args[1]), args[2]);
      return;
    }
    Path root =
        Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir") + "/keyops-bench");
    String jar = args.length > 1 ? args[1] : "operator/target/keyops.jar";
    deleteTree(root);
    Path large = Files.createDirectories(root.resolve("large"));
    Path small = Files.createDirectories(root.resolve("small"));
    KeyBundleDocument.Entry k1 = TestKeyBundles.key("k1", "Primary");
    KeyBundleDocument.Entry k2 = TestKeyBundles.key("k2", "Primary");
    KeyBundleDocument.Entry k3 = TestKeyBundles.key("k3", "Primary");
    KeyBundle ring1 = TestKeyBundles.ring(TestKeyBundles.doc(k1));

    System.out.println("generating data in " + root + " ...");
    long[] largeSizes = {1024L * MIB, 256L * MIB, 256L * MIB, 256L * MIB, 256L * MIB};
    for (int i = 0; i < largeSizes.length; i++) {
      encryptRandom(large.resolve("large-" + i), largeSizes[i], ring1);
    }
    for (int i = 0; i < 2000; i++) {
      encryptRandom(small.resolve("small-" + i), 64 * 1024, ring1);
    }
    long largeBytes = dirBytes(large);
    long smallBytes = dirBytes(small);
    System.out.printf(
        Locale.ROOT,
        "data: large %d files %.0f MiB, small 2000 files %.0f MiB%n",
        largeSizes.length,
        largeBytes / (double) MIB,
        smallBytes / (double) MIB);

    List<String> report = new ArrayList<>();
    settle();
    double ioLarge = ioBaseline(large);
    settle();
    double ioSmallFiles = ioBaselineFilesPerSecond(small);
    double ioSmall = ioSmallFiles * 64 * 1024 / MIB;
    report.add(
        String.format(
            Locale.ROOT, "I/O baseline (copy+fsync+read-back+rename), large: %.0f MB/s", ioLarge));
    report.add(
        String.format(
            Locale.ROOT, "I/O baseline, 64 KiB: %.0f MB/s, %.0f files/s", ioSmall, ioSmallFiles));

    Path keyring = root.resolve("keyring.json");
    TestKeyBundles.write(keyring, TestKeyBundles.doc(k2, TestKeyBundles.withState(k1, "Retired")));
    Run rl = checked(runWorker(jar, keyring, large, "reencrypt"), largeSizes.length, k2.keyId());
    Run rs = checked(runWorker(jar, keyring, small, "reencrypt"), 2000, k2.keyId());
    TestKeyBundles.write(
        keyring,
        TestKeyBundles.doc(
            k3, TestKeyBundles.withState(k2, "Retired"), TestKeyBundles.withState(k1, "Retired")));
    Run wl = checked(runWorker(jar, keyring, large, "rewrap"), largeSizes.length, k3.keyId());
    Run ws = checked(runWorker(jar, keyring, small, "rewrap"), 2000, k3.keyId());
    for (Run r : List.of(rl, rs, wl, ws)) {
      report.add(r.describe());
    }
    report.add(
        String.format(
            Locale.ROOT,
            "ratio reencrypt/I-O baseline: large %.2f (target >= 0.7), 64 KiB %.2f (target >= 0.5)",
            rl.mbPerSecond() / ioLarge,
            rs.mbPerSecond() / ioSmall));

    double crypto =
        cryptoOnly(
            large.resolve("large-1"),
            TestKeyBundles.ring(TestKeyBundles.doc(k3, TestKeyBundles.withState(k2, "Retired"))));
    double openssl = opensslGcm16k();
    report.add(
        String.format(
            Locale.ROOT, "crypto only (decrypt + encrypt in memory, 1 core): %.0f MB/s", crypto));
    report.add(
        String.format(
            Locale.ROOT,
            "openssl speed -evp aes-256-gcm, 16 KiB: %.0f MB/s -> target >= %.0f MB/s (half of openssl/2)",
            openssl,
            openssl / 4));

    report.add(kmsCalls(root.resolve("kms")));
    report.addAll(ParquetRekeyBenchmark.run(root.resolve("parquet"), jar));
    System.out.println();
    System.out.println(header("keyops rekey benchmark"));
    report.forEach(System.out::println);
    deleteTree(root);
  }

  /**
   * {@code --bytes-per-second} measured on the real worker process: about 100 MiB (one 64 MiB
   * partition and 36 of 1 MiB) re-encrypted at the given rate; the rate is the worker's own
   * (partition bytes over its duration, JVM start excluded), and the largest partition shows the
   * pacing holds within one file.
   */
  private static void throttled(String rate, Path root, String jar) throws Exception {
    deleteTree(root);
    Path data = Files.createDirectories(root.resolve("data"));
    KeyBundleDocument.Entry k1 = TestKeyBundles.key("k1", "Primary");
    KeyBundleDocument.Entry k2 = TestKeyBundles.key("k2", "Primary");
    KeyBundle ring1 = TestKeyBundles.ring(TestKeyBundles.doc(k1));
    System.out.println("generating data in " + root + " ...");
    encryptRandom(data.resolve("large"), 64L * MIB, ring1);
    for (int i = 0; i < 36; i++) {
      encryptRandom(data.resolve("small-" + i), MIB, ring1);
    }
    Path keyring = root.resolve("keyring.json");
    TestKeyBundles.write(keyring, TestKeyBundles.doc(k2, TestKeyBundles.withState(k1, "Retired")));
    long limit = dev.keyops.rekey.ByteRate.parse(rate);
    Run r =
        checked(
            runWorker(jar, keyring, data, "reencrypt", "--bytes-per-second", rate), 37, k2.keyId());
    double measured = r.bytes() / (r.result().durationMs / 1000.0);
    System.out.println();
    System.out.println(header("keyops rekey --bytes-per-second"));
    System.out.printf(
        Locale.ROOT,
        "reencrypt %d partitions, %.1f MiB, limit %s: measured %.2f MiB/s (%.1f%% of the limit),"
            + " %.1f s in the worker, %.1f s wall with JVM start%n",
        r.result().rebuilt,
        r.bytes() / (double) MIB,
        rate,
        measured / MIB,
        100 * measured / limit,
        r.result().durationMs / 1000.0,
        r.seconds());
    deleteTree(root);
  }

  /**
   * {@code --parquet}: only the Parquet part (rewrite and sidecar re-wrap through the real worker).
   */
  private static void parquetOnly(Path root, String jar) throws Exception {
    deleteTree(root);
    List<String> report = ParquetRekeyBenchmark.run(root, jar);
    System.out.println();
    System.out.println(header("keyops rekey benchmark, Parquet"));
    report.forEach(System.out::println);
    deleteTree(root);
  }

  /**
   * {@code run}, once its worker result says all {@code files} were rebuilt onto {@code target} and
   * nothing failed, was unrecoverable or unreadable: a benchmark of failures measures nothing.
   */
  static Run checked(Run run, long files, String target) {
    WorkerResult r = run.result();
    if (r.total != files
        || r.rebuilt != files
        || r.failed != 0
        || r.unrecoverable != 0
        || r.unreadable != 0
        || r.unencrypted != 0
        || !r.byKeyAfter.equals(java.util.Map.of(target, files))) {
      throw new IllegalStateException(
          "rekey "
              + run.mode()
              + " of "
              + run.set()
              + ": expected "
              + files
              + " files rebuilt onto "
              + target
              + " and none failed; the worker reported "
              + r.toJson());
    }
    return run;
  }

  static String header(String title) {
    return "== "
        + title
        + " ("
        + System.getProperty("java.vm.name")
        + " "
        + Runtime.version()
        + ", "
        + Runtime.getRuntime().availableProcessors()
        + " cores)";
  }

  record Run(
      String mode,
      String set,
      long bytes,
      long files,
      double seconds,
      long peakRssKb,
      double cpuSeconds,
      WorkerResult result) {
    double mbPerSecond() {
      return bytes / seconds / MIB;
    }

    String describe() {
      return String.format(
          Locale.ROOT,
          "rekey %-9s %-5s: %6.0f MB/s, %7.0f partitions/s, %d rebuilt, %.1f s, peak RSS %d MiB",
          mode,
          set,
          mbPerSecond(),
          files / seconds,
          result.rebuilt,
          seconds,
          peakRssKb / 1024);
    }
  }

  /**
   * Lets the disk write back what earlier phases left dirty, so phases do not pay for each other.
   */
  static void settle() throws Exception {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    Thread.sleep(2000);
  }

  /** The unit of utime and stime in /proc/PID/stat. */
  private static final long CLOCK_TICKS = clockTicks();

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (Exception e) {
      return 100; // USER_HZ on every Linux architecture keyops runs on
    }
  }

  /**
   * Runs the worker process on {@code data}; measures wall time (JVM start included), peak RSS and
   * CPU time (user + system, sampled every 20 ms like the RSS, so up to 20 ms short: a figure that
   * a loaded machine changes less than wall time).
   */
  static Run runWorker(String jar, Path keyring, Path data, String mode, String... more)
      throws Exception {
    settle();
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-XX:ActiveProcessorCount=1",
                "-jar",
                jar,
                "rekey",
                "--keyring",
                keyring.toString(),
                "--data",
                data.toString(),
                "--mode",
                mode,
                "--result",
                data.resolveSibling(data.getFileName() + ".result.json").toString()));
    command.addAll(List.of(more));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(data.resolveSibling(data.getFileName() + "." + mode + ".log").toFile());
    long start = System.nanoTime();
    Process p = pb.start();
    long peak = 0;
    long cpuTicks = 0;
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    Path stat = Path.of("/proc", Long.toString(p.pid()), "stat");
    while (p.isAlive()) {
      try {
        Matcher m = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(Files.readString(status));
        if (m.find()) {
          peak = Math.max(peak, Long.parseLong(m.group(1)));
        }
        // utime and stime, the 14th and 15th fields; the command name (2nd) ends with ')'.
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        cpuTicks = Math.max(cpuTicks, Long.parseLong(f[11]) + Long.parseLong(f[12]));
      } catch (IOException e) {
        // exited between the check and the read
      }
      Thread.sleep(20);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "worker failed: "
              + Files.readString(data.resolveSibling(data.getFileName() + "." + mode + ".log")));
    }
    WorkerResult r =
        WorkerResult.parse(
            Files.readString(data.resolveSibling(data.getFileName() + ".result.json")));
    return new Run(
        mode,
        data.getFileName().toString(),
        r.bytes,
        r.total,
        seconds,
        peak,
        cpuTicks / (double) CLOCK_TICKS,
        r);
  }

  private static double ioBaseline(Path dir) throws IOException {
    List<Path> files = list(dir);
    long bytes = 0;
    long start = System.nanoTime();
    for (Path f : files) {
      bytes += copyFsyncReadBackRename(f);
    }
    return bytes / ((System.nanoTime() - start) / 1e9) / MIB;
  }

  private static double ioBaselineFilesPerSecond(Path dir) throws IOException {
    List<Path> files = list(dir);
    long start = System.nanoTime();
    for (Path f : files) {
      copyFsyncReadBackRename(f);
    }
    return files.size() / ((System.nanoTime() - start) / 1e9);
  }

  private static long copyFsyncReadBackRename(Path f) throws IOException {
    Path tmp = f.resolveSibling(".copy." + f.getFileName());
    byte[] buf = new byte[MIB];
    long n = 0;
    try (InputStream in = Files.newInputStream(f);
        FileChannel out =
            FileChannel.open(
                tmp,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream os = java.nio.channels.Channels.newOutputStream(out);
      int r;
      while ((r = in.readNBytes(buf, 0, buf.length)) > 0) {
        os.write(buf, 0, r);
        n += r;
      }
      out.force(true);
    }
    try (InputStream in = Files.newInputStream(tmp)) {
      while (in.readNBytes(buf, 0, buf.length) > 0) {
        // read back, as the rekey verification does
      }
    }
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    PartitionRebuilder.fsyncDirectory(f.getParent());
    return n;
  }

  private static double cryptoOnly(Path partition, KeyBundle ring) throws Exception {
    long size = Files.size(partition);
    byte[] plain = new byte[(int) Math.min(size, 256L * MIB)];
    double best = 0;
    for (int round = 0; round < 3; round++) {
      long start = System.nanoTime();
      try (InputStream in = CODEC.decrypt(partition, ring)) {
        in.readNBytes(plain, 0, plain.length);
      }
      Path sink = Files.createTempFile("keyops-bench", ".sink");
      // Encrypt into memory: a channel that discards what it is given.
      try (FileChannel ignored = FileChannel.open(sink, StandardOpenOption.WRITE)) {
        CODEC.encrypt(new java.io.ByteArrayInputStream(plain), new DiscardingChannel(), ring);
      }
      Files.delete(sink);
      best = Math.max(best, plain.length / ((System.nanoTime() - start) / 1e9) / MIB);
    }
    return best;
  }

  private static double opensslGcm16k() {
    try {
      Process p =
          new ProcessBuilder("openssl", "speed", "-seconds", "3", "-evp", "aes-256-gcm")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      for (String line : out.split("\n")) {
        if (line.startsWith("AES-256-GCM") || line.startsWith("aes-256-gcm")) {
          String[] cols = line.trim().split("\\s+");
          String k16 = cols[cols.length - 1].replace("k", "");
          return Double.parseDouble(k16) * 1000 / MIB; // openssl prints 1000s of bytes per second
        }
      }
    } catch (Exception e) {
      System.out.println("openssl speed failed: " + e.getMessage());
    }
    return 0;
  }

  /** Two gcpKms-style keys unwrapped through a counting stand-in for Cloud KMS. */
  private static String kmsCalls(Path dir) throws Exception {
    Files.createDirectories(dir);
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Aead kms = new AesGcmJce(kek);
    AtomicInteger calls = new AtomicInteger();
    DataKeyUnwrapper unwrapper =
        (name, wrapped, aad) -> {
          calls.incrementAndGet();
          try {
            return kms.decrypt(wrapped, aad);
          } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
          }
        };
    List<KeyBundleDocument.Entry> entries = new ArrayList<>();
    for (String name : List.of("gcp-old", "gcp-new")) {
      byte[] dek = new byte[32];
      new SecureRandom().nextBytes(dek);
      byte[] aad = ("keyops/default/bench/" + name).getBytes(StandardCharsets.UTF_8);
      entries.add(
          new KeyBundleDocument.Entry(
              KeyId.fromUid(name).hex(),
              name,
              "Primary",
              "gcpKms",
              null,
              "projects/p/locations/l/keyRings/r/cryptoKeys/" + name,
              Base64.getEncoder().encodeToString(kms.encrypt(dek, aad)),
              new String(aad, StandardCharsets.UTF_8)));
    }
    KeyBundle before =
        KeyBundle.parse(KeyBundle.toJson(TestKeyBundles.doc(entries.get(0))), unwrapper);
    for (int i = 0; i < 500; i++) {
      encryptRandom(dir.resolve("p" + i), 4096, before);
    }
    calls.set(0);
    KeyBundle after =
        KeyBundle.parse(
            KeyBundle.toJson(
                TestKeyBundles.doc(
                    entries.get(1), TestKeyBundles.withState(entries.get(0), "Retired"))),
            unwrapper);
    WorkerResult r =
        new RekeyRun(after, dir, PartitionRebuilder.Mode.REENCRYPT, Shard.ALL, false).run();
    return String.format(
        Locale.ROOT,
        "Cloud KMS unwraps for 2 gcpKms keys over %d partitions in one process: %d (target: 2)",
        r.rebuilt,
        calls.get());
  }

  /** The benchmark's setup runs on one thread: one codec, one set of buffers. */
  private static final PartitionCodec CODEC = new PartitionCodec();

  private static void encryptRandom(Path p, long size, KeyBundle ring) throws IOException {
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      CODEC.encrypt(new RandomStream(size), ch, ring);
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  private static long dirBytes(Path dir) throws IOException {
    long n = 0;
    for (Path p : list(dir)) {
      n += Files.size(p);
    }
    return n;
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Pseudo-random bytes, cheap to produce. */
  private static final class RandomStream extends InputStream {
    private static final byte[] BLOCK = new byte[MIB];

    static {
      new SecureRandom().nextBytes(BLOCK);
    }

    private long remaining;
    private int offset;

    RandomStream(long size) {
      this.remaining = size;
      this.offset = (int) (size % 4093);
    }

    @Override
    public int read() {
      byte[] b = new byte[1];
      return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(Math.min(len, remaining), BLOCK.length - offset);
      System.arraycopy(BLOCK, offset, b, off, n);
      offset = (offset + n) % BLOCK.length;
      remaining -= n;
      return n;
    }
  }

  /** A FileChannel stand-in that discards writes (crypto-only measurement). */
  private static final class DiscardingChannel extends FileChannel {
    private long position;

    @Override
    public int read(java.nio.ByteBuffer dst) {
      return -1;
    }

    @Override
    public long read(java.nio.ByteBuffer[] dsts, int offset, int length) {
      return -1;
    }

    @Override
    public int write(java.nio.ByteBuffer src) {
      int n = src.remaining();
      src.position(src.limit());
      position += n;
      return n;
    }

    @Override
    public long write(java.nio.ByteBuffer[] srcs, int offset, int length) {
      long n = 0;
      for (int i = offset; i < offset + length; i++) {
        n += write(srcs[i]);
      }
      return n;
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public FileChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() {
      return position;
    }

    @Override
    public FileChannel truncate(long size) {
      return this;
    }

    @Override
    public void force(boolean metaData) {}

    @Override
    public long transferTo(
        long position, long count, java.nio.channels.WritableByteChannel target) {
      return 0;
    }

    @Override
    public long transferFrom(java.nio.channels.ReadableByteChannel src, long position, long count) {
      return 0;
    }

    @Override
    public int read(java.nio.ByteBuffer dst, long position) {
      return -1;
    }

    @Override
    public int write(java.nio.ByteBuffer src, long position) {
      return write(src);
    }

    @Override
    public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.nio.channels.FileLock lock(long position, long size, boolean shared) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.nio.channels.FileLock tryLock(long position, long size, boolean shared) {
      throw new UnsupportedOperationException();
    }

    @Override
    protected void implCloseChannel() {}
  }
}
