package dev.keyops.rekey.bench;

import dev.keyops.parquet.MasterKeyId;
import dev.keyops.parquet.ParquetCopy;
import dev.keyops.parquet.ParquetCrypto;
import dev.keyops.parquet.ParquetFile;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.crypto.keytools.PropertiesDrivenCryptoFactory;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The Parquet part of the rekey benchmark: Parquet Modular Encryption files written by parquet-java
 * with the keyops KmsClient, rebuilt by the real worker process ({@code rekey}) onto a new ring
 * key, in its two Parquet paths.
 *
 * <ul>
 *   <li>rewrite: files of 32 MiB (five row groups of about 6.5 MiB: the writer's row-group size of
 *       8 MiB is counted before compression; six columns of mixed types, snappy, one uniform key,
 *       internal key material, double wrapping, encrypted footer), {@code --mode reencrypt}: every
 *       file decoded and encoded again with fresh data keys, verified and renamed. Default 256 MiB
 *       in all ({@code KEYOPS_BENCH_PARQUET_MIB}).
 *   <li>sidecar re-wrap: small files (1,000 rows, about 100 KiB) with external key material (a
 *       footer key and two column keys in {@code _KEY_MATERIAL_FOR_<file>.json}), {@code --mode
 *       rewrap}: only the sidecars are rewritten. Default 1,000 files ({@code
 *       KEYOPS_BENCH_PARQUET_SIDECARS}).
 * </ul>
 *
 * A run counts only if the worker's JSON result says every file was rebuilt onto the new key and
 * none failed; afterwards every file is opened (footer and first row group) with a keyring that
 * holds only the new key, and the re-wrapped files are checked byte-identical.
 */
final class ParquetRekeyBenchmark {

  private static final int MIB = 1 << 20;
  private static final long FILE_BYTES = 32L * MIB;
  private static final long ROW_GROUP_BYTES = 8L * MIB;
  private static final int SMALL_FILE_ROWS = 1000;

  /** Six columns of mixed types; customer and note are the sensitive ones. */
  static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          "message events { required int64 id; required int64 ts (TIMESTAMP(MILLIS,true));"
              + " required double amount; required int32 category;"
              + " optional binary customer (UTF8); optional binary note (UTF8); }");

  private ParquetRekeyBenchmark() {}

  /** The sizes, from the environment (smaller ones for a loaded machine). */
  record Sizes(long rewriteBytes, int sidecarFiles) {
    static Sizes fromEnvironment() {
      return new Sizes(
          positive("KEYOPS_BENCH_PARQUET_MIB", 256) * MIB,
          (int) positive("KEYOPS_BENCH_PARQUET_SIDECARS", 1000));
    }

    private static long positive(String name, long fallback) {
      String v = System.getenv(name);
      if (v == null || v.isBlank()) {
        return fallback;
      }
      try {
        long n = Long.parseLong(v.trim());
        if (n > 0 && n <= 1_000_000) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          name + "='" + v + "' is not a whole number from 1 to 1000000: unset it for the default");
    }
  }

  /** Generates both sets under {@code root}, runs the worker on each, returns the report lines. */
  static List<String> run(Path root, String jar) throws Exception {
    Sizes sizes = Sizes.fromEnvironment();
    Path rewrite = Files.createDirectories(root.resolve("parquet-rewrite"));
    Path sidecar = Files.createDirectories(root.resolve("parquet-sidecar"));
    KeyBundleDocument.Entry oldKey = TestKeyBundles.key("parquet-old", "Primary");
    KeyBundleDocument.Entry newKey = TestKeyBundles.key("parquet-new", "Primary");
    Path writerKeyring = TestKeyBundles.write(root.resolve("parquet-writer.json"), ring(oldKey));
    String alias = MasterKeyId.ring(TestKeyBundles.doc(oldKey).keyRing());

    System.out.println("generating Parquet data in " + root + " ...");
    int files = (int) Math.max(1, (sizes.rewriteBytes() + FILE_BYTES - 1) / FILE_BYTES);
    long perFile = sizes.rewriteBytes() / files;
    Map<Path, Long> rows = new HashMap<>();
    List<Integer> rowGroups = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(42);
    long nextId = 0;
    for (int i = 0; i < files; i++) {
      Path f = rewrite.resolve(String.format(Locale.ROOT, "events-%03d.parquet", i));
      Written w =
          write(
              f, rewriteEncryption(writerKeyring, alias), perFile, Long.MAX_VALUE, nextId, random);
      nextId += w.rows();
      rows.put(f, w.rows());
      rowGroups.add(w.rowGroups());
    }
    for (int i = 0; i < sizes.sidecarFiles(); i++) {
      Path f = sidecar.resolve(String.format(Locale.ROOT, "small-%05d.parquet", i));
      Written w =
          write(
              f,
              sidecarEncryption(writerKeyring, alias),
              Long.MAX_VALUE,
              SMALL_FILE_ROWS,
              nextId,
              random);
      nextId += w.rows();
      rows.put(f, w.rows());
    }
    long rewriteBytes = parquetBytes(rewrite);
    long sidecarBytes = parquetBytes(sidecar);
    long rewriteRows = rowsIn(rows, rewrite);
    List<String> report = new ArrayList<>();
    report.add(
        String.format(
            Locale.ROOT,
            "parquet data: rewrite %d files, %.0f MiB, %d rows, %d-%d row groups a file, 6 columns"
                + " (int64, timestamp, double, int32, 2 strings), snappy, uniform key, internal key"
                + " material",
            files,
            rewriteBytes / (double) MIB,
            rewriteRows,
            rowGroups.stream().mapToInt(Integer::intValue).min().orElse(0),
            rowGroups.stream().mapToInt(Integer::intValue).max().orElse(0)));
    report.add(
        String.format(
            Locale.ROOT,
            "parquet data: sidecar %d files, %.0f MiB (%.0f KiB a file), footer key + 2 column keys"
                + " in external key material",
            sizes.sidecarFiles(),
            sidecarBytes / (double) MIB,
            sidecarBytes / 1024.0 / Math.max(1, sizes.sidecarFiles())));

    Map<Path, String> sidecarFilesBefore = sha256(sidecar, false);
    Map<Path, String> sidecarsBefore = sha256(sidecar, true);
    Path workerKeyring =
        TestKeyBundles.write(
            root.resolve("parquet-worker.json"),
            ring(newKey, TestKeyBundles.withState(oldKey, "Retired")));
    RekeyBenchmark.Run rw =
        RekeyBenchmark.checked(
            RekeyBenchmark.runWorker(jar, workerKeyring, rewrite, "reencrypt"),
            files,
            newKey.keyId());
    RekeyBenchmark.Run sc =
        RekeyBenchmark.checked(
            RekeyBenchmark.runWorker(jar, workerKeyring, sidecar, "rewrap"),
            sizes.sidecarFiles(),
            newKey.keyId());

    Path readerKeyring = TestKeyBundles.write(root.resolve("parquet-reader.json"), ring(newKey));
    opensWithNewKeyOnly(readerKeyring, rewrite, rows);
    opensWithNewKeyOnly(readerKeyring, sidecar, rows);
    if (!sha256(sidecar, false).equals(sidecarFilesBefore)) {
      throw new IllegalStateException("a sidecar re-wrap changed a Parquet file");
    }
    Map<Path, String> sidecarsAfter = sha256(sidecar, true);
    for (var e : sidecarsBefore.entrySet()) {
      if (e.getValue().equals(sidecarsAfter.get(e.getKey()))) {
        throw new IllegalStateException("sidecar not rewritten: " + e.getKey());
      }
    }

    report.add(
        String.format(
            Locale.ROOT,
            "rekey %-9s %-15s: %6.1f MB/s, %7.1f files/s, %.0f rows/s, %d rebuilt, %.1f s"
                + " (%.1f s in the worker, %.1f s CPU), peak RSS %d MiB",
            rw.mode(),
            "parquet-rewrite",
            rw.mbPerSecond(),
            rw.files() / rw.seconds(),
            rewriteRows / rw.seconds(),
            rw.result().rebuilt,
            rw.seconds(),
            rw.result().durationMs / 1000.0,
            rw.cpuSeconds(),
            rw.peakRssKb() / 1024));
    report.add(
        String.format(
            Locale.ROOT,
            "rekey %-9s %-15s: %6.1f MB/s of files covered, %7.0f files/s, %.2f ms/file"
                + " (%.2f ms/file in the worker), %d rebuilt, %.1f s (%.1f s CPU), peak RSS %d MiB",
            sc.mode(),
            "parquet-sidecar",
            sc.mbPerSecond(),
            sc.files() / sc.seconds(),
            sc.seconds() * 1000 / sc.files(),
            (double) sc.result().durationMs / sc.files(),
            sc.result().rebuilt,
            sc.seconds(),
            sc.cpuSeconds(),
            sc.peakRssKb() / 1024));
    report.add(
        "parquet check: worker results all rebuilt, none failed; every file opens with a keyring"
            + " holding only the new key; re-wrapped Parquet files byte-identical, sidecars"
            + " rewritten");
    return report;
  }

  private static KeyBundleDocument ring(
      KeyBundleDocument.Entry primary, KeyBundleDocument.Entry... others) {
    return TestKeyBundles.doc(primary, others);
  }

  /** Every column under the ring's Primary, key material inside the file. */
  private static Configuration rewriteEncryption(Path keyring, String masterKeyId) {
    Configuration conf = ParquetCrypto.configuration(keyring);
    conf.set(PropertiesDrivenCryptoFactory.UNIFORM_KEY_PROPERTY_NAME, masterKeyId);
    conf.setBoolean(KeyToolkit.KEY_MATERIAL_INTERNAL_PROPERTY_NAME, true);
    return conf;
  }

  /** A footer key and a column key each for customer and note, key material in sidecars. */
  private static Configuration sidecarEncryption(Path keyring, String masterKeyId) {
    Configuration conf = ParquetCrypto.configuration(keyring);
    conf.set(PropertiesDrivenCryptoFactory.FOOTER_KEY_PROPERTY_NAME, masterKeyId);
    conf.set(
        PropertiesDrivenCryptoFactory.COLUMN_KEYS_PROPERTY_NAME, masterKeyId + ":customer,note");
    conf.setBoolean(KeyToolkit.KEY_MATERIAL_INTERNAL_PROPERTY_NAME, false);
    return conf;
  }

  record Written(long rows, int rowGroups) {}

  /** Writes rows from {@code firstId} until the file holds {@code bytes} or {@code maxRows}. */
  private static Written write(
      Path file,
      Configuration conf,
      long bytes,
      long maxRows,
      long firstId,
      SplittableRandom random)
      throws IOException {
    SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
    long n = 0;
    ParquetWriter<Group> w =
        ExampleParquetWriter.builder(new LocalOutputFile(file))
            .withType(SCHEMA)
            .withConf(conf)
            .withEncryption(ParquetCrypto.encryption(conf, file))
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withRowGroupSize(ROW_GROUP_BYTES)
            .build();
    try (w) {
      while (n < maxRows && (n % 1024 != 0 || w.getDataSize() < bytes)) {
        w.write(row(groups, firstId + n, random));
        n++;
      }
    }
    return new Written(n, w.getFooter().getBlocks().size());
  }

  /** One row: sequential id and time, random amount, a category, a customer, a random note. */
  private static Group row(SimpleGroupFactory groups, long id, SplittableRandom random) {
    Group g = groups.newGroup();
    g.add("id", id);
    g.add("ts", 1_767_225_600_000L + id * 37);
    g.add("amount", random.nextInt(10_000_000) / 100.0);
    g.add("category", (int) (id % 24));
    if (id % 11 != 0) {
      g.add("customer", "customer-" + random.nextInt(50_000));
    }
    if (id % 5 != 0) {
      byte[] b = new byte[45 + random.nextInt(60)];
      random.nextBytes(b);
      g.add("note", Base64.getEncoder().encodeToString(b));
    }
    return g;
  }

  private static long rowsIn(Map<Path, Long> rows, Path dir) {
    long n = 0;
    for (var e : rows.entrySet()) {
      if (e.getKey().getParent().equals(dir)) {
        n += e.getValue();
      }
    }
    return n;
  }

  /**
   * Opens every Parquet file of {@code dir} (footer, then the first row group, which decrypts its
   * pages) with a keyring that holds only the new key, and compares its row count.
   */
  private static void opensWithNewKeyOnly(Path keyring, Path dir, Map<Path, Long> rows)
      throws IOException {
    Configuration conf = ParquetCrypto.configuration(keyring);
    for (Path f : parquetFiles(dir)) {
      ParquetMetadata footer = ParquetCopy.footer(f, ParquetCrypto.decryption(conf, f));
      long n = footer.getBlocks().stream().mapToLong(BlockMetaData::getRowCount).sum();
      if (n != rows.get(f)) {
        throw new IllegalStateException(f + " holds " + n + " rows, " + rows.get(f) + " written");
      }
    }
  }

  private static List<Path> parquetFiles(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  private static long parquetBytes(Path dir) throws IOException {
    long n = 0;
    for (Path p : parquetFiles(dir)) {
      n += Files.size(p);
    }
    return n;
  }

  /** SHA-256 of each Parquet file of {@code dir}, or of each one's sidecar. */
  private static Map<Path, String> sha256(Path dir, boolean sidecars) throws Exception {
    Map<Path, String> out = new HashMap<>();
    byte[] buf = new byte[MIB];
    for (Path f : parquetFiles(dir)) {
      Path p = sidecars ? ParquetFile.sidecarOf(f) : f;
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Files.newInputStream(p)) {
        int r;
        while ((r = in.read(buf)) > 0) {
          sha.update(buf, 0, r);
        }
      }
      out.put(f, java.util.HexFormat.of().formatHex(sha.digest()));
    }
    return out;
  }
}
