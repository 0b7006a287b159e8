package dev.keyops.parquet.interop;

import dev.keyops.parquet.ParquetCrypto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The Java half of dev/test-parquet's interop: parquet-java's key tools ({@code
 * PropertiesDrivenCryptoFactory}) with keyops' {@code KeyopsKmsClient}, configured exactly as Spark
 * would be (docs/parquet.md).
 *
 * <pre>
 * PyarrowInterop write DIR KEYRING RING   writes one file per variant into DIR (java-*.parquet)
 * PyarrowInterop read DIR KEYRING         reads every *.parquet in DIR, checks its rows
 * </pre>
 *
 * Rows are those of interop/parquet/pq_interop.py ({@link #ROWS} rows: id, ssn, amount); a file
 * whose rows differ, or that does not decrypt, fails the run with its name.
 */
public final class PyarrowInterop {

  static final int ROWS = 1000;

  private static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          "message interop { optional int64 id; optional binary ssn (UTF8);"
              + " optional double amount; }");

  /** One variant of the key tools: key material place, wrapping, footer, column keys. */
  record Variant(boolean internal, boolean doubleWrapping, boolean plainFooter, boolean columns) {
    String fileName() {
      return "java-"
          + (internal ? "int" : "ext")
          + "-"
          + (doubleWrapping ? "double" : "single")
          + "-"
          + (plainFooter ? "plainfooter" : "encfooter")
          + "-"
          + (columns ? "columnkeys" : "uniform")
          + ".parquet";
    }
  }

  private PyarrowInterop() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 4 && args[0].equals("write")) {
      write(Path.of(args[1]), Path.of(args[2]), args[3]);
    } else if (args.length == 3 && args[0].equals("read")) {
      read(Path.of(args[1]), Path.of(args[2]));
    } else {
      System.err.println("usage: PyarrowInterop write DIR KEYRING RING | read DIR KEYRING");
      System.exit(2);
    }
  }

  static List<Variant> variants() {
    List<Variant> all = new ArrayList<>();
    for (boolean internal : new boolean[] {true, false}) {
      for (boolean dw : new boolean[] {true, false}) {
        for (boolean plain : new boolean[] {false, true}) {
          all.add(new Variant(internal, dw, plain, true));
        }
      }
    }
    all.add(new Variant(true, true, false, false));
    all.add(new Variant(false, false, false, false));
    return all;
  }

  static Configuration configuration(Path keyring) {
    // what docs/parquet.md tells Spark users to set: the keyops KmsClient, the keyring path as the
    // KMS instance id and URL, the raw local file system for sidecars
    Configuration conf = ParquetCrypto.configuration(keyring);
    conf.set("parquet.encryption.cache.lifetime.seconds", "0");
    return conf;
  }

  static void write(Path dir, Path keyring, String ring) throws IOException {
    Files.createDirectories(dir);
    for (Variant v : variants()) {
      Configuration conf = configuration(keyring);
      conf.set("parquet.encryption.footer.key", "ring-" + ring);
      if (v.columns()) {
        conf.set("parquet.encryption.column.keys", "ring-" + ring + ":ssn");
      } else {
        conf.set("parquet.encryption.uniform.key", "ring-" + ring);
        conf.unset("parquet.encryption.footer.key");
      }
      conf.setBoolean("parquet.encryption.double.wrapping", v.doubleWrapping());
      conf.setBoolean("parquet.encryption.key.material.store.internally", v.internal());
      conf.setBoolean("parquet.encryption.plaintext.footer", v.plainFooter());
      Path file = dir.resolve(v.fileName());
      Files.deleteIfExists(file);
      SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
      try (ParquetWriter<Group> writer =
          ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri()))
              .withConf(conf)
              .withType(SCHEMA)
              .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
              .build()) {
        for (int i = 0; i < ROWS; i++) {
          writer.write(
              groups
                  .newGroup()
                  .append("id", (long) i)
                  .append("ssn", String.format("%09d", i * 7919L))
                  .append("amount", i * 0.25));
        }
      }
      System.out.println("wrote " + file.getFileName());
    }
  }

  static void read(Path dir, Path keyring) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no *.parquet files in " + dir);
    }
    for (Path file : files) {
      int n = 0;
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(file.toUri()))
              .withConf(configuration(keyring))
              .build()) {
        for (Group g = reader.read(); g != null; g = reader.read(), n++) {
          long id = g.getLong("id", 0);
          String ssn = g.getString("ssn", 0);
          double amount = g.getDouble("amount", 0);
          if (id != n || !ssn.equals(String.format("%09d", n * 7919L)) || amount != n * 0.25) {
            throw new IllegalStateException(file.getFileName() + ": row " + n + " differs");
          }
        }
      } catch (RuntimeException | IOException e) {
        throw new IllegalStateException(
            file.getFileName() + " does not read back with parquet-java: " + e, e);
      }
      if (n != ROWS) {
        throw new IllegalStateException(file.getFileName() + ": " + n + " rows, not " + ROWS);
      }
      System.out.println("read " + file.getFileName() + " " + n + " rows");
    }
  }
}
