package dev.keyops.parquet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.crypto.keytools.PropertiesDrivenCryptoFactory;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes and reads small Parquet tables through parquet-java's own writer and reader (the record
 * API with the key tools), for tests here and in the worker.
 */
public final class ParquetFixtures {

  /** id, name, ssn (the column a test encrypts with its own key), a repeated tag. */
  public static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          "message people { required int64 id; optional binary name (UTF8);"
              + " optional binary ssn (UTF8); repeated int32 tag; }");

  private ParquetFixtures() {}

  /** How a test file is encrypted. */
  public record Layout(
      String footerKey,
      Map<String, String> columnKeys,
      boolean plaintextFooter,
      boolean doubleWrapping,
      boolean internalKeyMaterial) {

    public static Layout of(String footerKey) {
      return new Layout(footerKey, Map.of(), false, true, true);
    }

    public Layout columns(Map<String, String> keys) {
      return new Layout(footerKey, keys, plaintextFooter, doubleWrapping, internalKeyMaterial);
    }

    public Layout plaintextFooter(boolean v) {
      return new Layout(footerKey, columnKeys, v, doubleWrapping, internalKeyMaterial);
    }

    public Layout doubleWrapping(boolean v) {
      return new Layout(footerKey, columnKeys, plaintextFooter, v, internalKeyMaterial);
    }

    public Layout internal(boolean v) {
      return new Layout(footerKey, columnKeys, plaintextFooter, doubleWrapping, v);
    }

    @Override
    public String toString() {
      return (internalKeyMaterial ? "internal" : "external")
          + (doubleWrapping ? "-double" : "-single")
          + (plaintextFooter ? "-plainfooter" : "-encfooter")
          + (columnKeys.isEmpty() ? "" : "-columnkeys");
    }
  }

  /** A configuration that encrypts as {@code layout} says, with the keyops KmsClient. */
  public static Configuration configuration(Path keyring, Layout layout) {
    Configuration conf = ParquetCrypto.configuration(keyring);
    if (!layout.columnKeys().isEmpty()) {
      conf.set(PropertiesDrivenCryptoFactory.FOOTER_KEY_PROPERTY_NAME, layout.footerKey());
      StringBuilder sb = new StringBuilder();
      layout
          .columnKeys()
          .forEach(
              (column, key) -> {
                if (sb.length() > 0) {
                  sb.append(';');
                }
                sb.append(key).append(':').append(column);
              });
      conf.set(PropertiesDrivenCryptoFactory.COLUMN_KEYS_PROPERTY_NAME, sb.toString());
    } else {
      conf.set(PropertiesDrivenCryptoFactory.UNIFORM_KEY_PROPERTY_NAME, layout.footerKey());
    }
    conf.setBoolean(
        PropertiesDrivenCryptoFactory.PLAINTEXT_FOOTER_PROPERTY_NAME, layout.plaintextFooter());
    conf.setBoolean(KeyToolkit.DOUBLE_WRAPPING_PROPERTY_NAME, layout.doubleWrapping());
    conf.setBoolean(KeyToolkit.KEY_MATERIAL_INTERNAL_PROPERTY_NAME, layout.internalKeyMaterial());
    return conf;
  }

  /** The i-th row of the test table. */
  public static Group row(int i) {
    Group g = new SimpleGroupFactory(SCHEMA).newGroup();
    g.add("id", (long) i);
    if (i % 7 != 0) {
      g.add("name", "name-" + i);
    }
    g.add("ssn", String.format("%03d-%02d-%04d", i % 1000, i % 100, i));
    for (int t = 0; t < i % 3; t++) {
      g.add("tag", i * 10 + t);
    }
    return g;
  }

  /**
   * Writes {@code rows} rows to {@code file} encrypted as {@code layout} says ({@code layout} null:
   * unencrypted), in row groups of {@code rowsPerGroup} rows, with {@code codec}.
   */
  public static void write(
      Path keyring,
      Layout layout,
      Path file,
      int rows,
      int rowsPerGroup,
      CompressionCodecName codec)
      throws IOException {
    var builder =
        ExampleParquetWriter.builder(new LocalOutputFile(file))
            .withType(SCHEMA)
            .withCompressionCodec(codec)
            .withRowGroupRowCountLimit(rowsPerGroup)
            .withPageRowCountLimit(Math.max(1, rowsPerGroup / 2));
    if (layout != null) {
      Configuration conf = configuration(keyring, layout);
      builder.withConf(conf).withEncryption(ParquetCrypto.encryption(conf, file));
    }
    try (ParquetWriter<Group> w = builder.build()) {
      for (int i = 0; i < rows; i++) {
        w.write(row(i));
      }
    }
  }

  /**
   * Reads every row back through parquet-java's Hadoop reader with the key tools ({@code
   * parquet.crypto.factory.class}), as Spark does: each row's toString.
   */
  public static List<String> read(Path keyring, Path file) throws IOException {
    Configuration conf = ParquetCrypto.configuration(keyring);
    List<String> rows = new ArrayList<>();
    try (ParquetReader<Group> r =
        ParquetReader.builder(new GroupReadSupport(), ParquetCrypto.hadoopPath(file))
            .withConf(conf)
            .build()) {
      Group g;
      while ((g = r.read()) != null) {
        rows.add(g.toString());
      }
    }
    return rows;
  }

  /** The rows {@link #write} writes, as {@link #read} returns them. */
  public static List<String> expected(int rows) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      out.add(row(i).toString());
    }
    return out;
  }
}
