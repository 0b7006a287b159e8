package dev.keyops.parquet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.crypto.FileEncryptionProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.GroupWriter;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * Decodes a Parquet file and encodes it again into another, row group by row group: the same
 * schema, the same rows in the same row groups, the same compression codec and key-value metadata;
 * the encryption is whatever the caller's properties say (fresh data keys). Also reads a file's
 * {@link Digest} (row counts per row group and a SHA-256 over every record) to verify a copy.
 */
public final class ParquetCopy {

  private ParquetCopy() {}

  /**
   * What a file holds, to compare a copy with its source.
   *
   * @param rowGroups rows per row group
   * @param sha256 over every record's text form, in order
   */
  public record Digest(List<Long> rowGroups, String sha256) {}

  /**
   * Copies {@code source} (decrypted with {@code decryption}, or null if not encrypted) to {@code
   * target} (encrypted with what {@code encryption} gives for the schema, or null), and returns the
   * source's digest.
   */
  public static Digest copy(
      Path source,
      FileDecryptionProperties decryption,
      Path target,
      java.util.function.Function<MessageType, FileEncryptionProperties> encryption,
      Configuration conf)
      throws IOException {
    ParquetReadOptions options = ParquetReadOptions.builder().withDecryption(decryption).build();
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(source), options)) {
      ParquetMetadata footer = reader.getFooter();
      MessageType schema = footer.getFileMetaData().getSchema();
      Map<String, String> extra = footer.getFileMetaData().getKeyValueMetaData();
      CompressionCodecName codec = codecOf(footer);
      ParquetProperties props = ParquetProperties.builder().build();
      ParquetFileWriter writer =
          new ParquetFileWriter(
              new LocalOutputFile(target),
              schema,
              ParquetFileWriter.Mode.CREATE,
              Long.MAX_VALUE,
              0,
              encryption.apply(schema),
              props);
      CodecFactory codecs = new CodecFactory(conf, props.getPageSizeThreshold());
      MessageDigest sha = sha256();
      List<Long> groups = new ArrayList<>();
      try {
        writer.start();
        MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
        PageReadStore rowGroup;
        int ordinal = 0;
        while ((rowGroup = reader.readNextRowGroup()) != null) {
          long rows = rowGroup.getRowCount();
          ColumnChunkPageWriteStore pages =
              new ColumnChunkPageWriteStore(
                  codecs.getCompressor(codec),
                  schema,
                  props.getAllocator(),
                  props.getColumnIndexTruncateLength(),
                  props.getPageWriteChecksumEnabled(),
                  writer.getEncryptor(),
                  ordinal);
          ColumnWriteStore columns = props.newColumnWriteStore(schema, pages, pages);
          RecordConsumer consumer = io.getRecordWriter(columns);
          GroupWriter groupWriter = new GroupWriter(consumer, schema);
          RecordReader<Group> records =
              io.getRecordReader(rowGroup, new GroupRecordConverter(schema));
          for (long i = 0; i < rows; i++) {
            Group g = records.read();
            sha.update(g.toString().getBytes(StandardCharsets.UTF_8));
            groupWriter.write(g);
          }
          consumer.flush();
          writer.startBlock(rows);
          columns.flush();
          pages.flushToFileWriter(writer);
          writer.endBlock();
          columns.close();
          pages.close();
          groups.add(rows);
          ordinal++;
        }
        writer.end(extra);
      } finally {
        codecs.release();
      }
      return new Digest(groups, java.util.HexFormat.of().formatHex(sha.digest()));
    }
  }

  /** Reads every record of {@code file} for its digest (the verification of a copy). */
  public static Digest digest(Path file, FileDecryptionProperties decryption) throws IOException {
    ParquetReadOptions options = ParquetReadOptions.builder().withDecryption(decryption).build();
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), options)) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
      MessageDigest sha = sha256();
      List<Long> groups = new ArrayList<>();
      PageReadStore rowGroup;
      while ((rowGroup = reader.readNextRowGroup()) != null) {
        RecordReader<Group> records =
            io.getRecordReader(rowGroup, new GroupRecordConverter(schema));
        for (long i = 0; i < rowGroup.getRowCount(); i++) {
          sha.update(records.read().toString().getBytes(StandardCharsets.UTF_8));
        }
        groups.add(rowGroup.getRowCount());
      }
      return new Digest(groups, java.util.HexFormat.of().formatHex(sha.digest()));
    }
  }

  /** The file's schema, from its footer (decrypted with {@code decryption} when encrypted). */
  public static MessageType schema(Path file, FileDecryptionProperties decryption)
      throws IOException {
    ParquetReadOptions options = ParquetReadOptions.builder().withDecryption(decryption).build();
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), options)) {
      return reader.getFooter().getFileMetaData().getSchema();
    }
  }

  /** Opens the file's footer with {@code decryption} (verifying a plaintext footer's signature). */
  public static ParquetMetadata footer(Path file, FileDecryptionProperties decryption)
      throws IOException {
    ParquetReadOptions options = ParquetReadOptions.builder().withDecryption(decryption).build();
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), options)) {
      ParquetMetadata footer = reader.getFooter();
      // A plaintext footer is only signed: decrypt the first column's first page to prove the key.
      reader.readNextRowGroup();
      return footer;
    }
  }

  /** The codec of the file's first column chunk (writers use one codec per file). */
  static CompressionCodecName codecOf(ParquetMetadata footer) {
    for (BlockMetaData b : footer.getBlocks()) {
      if (!b.getColumns().isEmpty()) {
        return b.getColumns().get(0).getCodec();
      }
    }
    return CompressionCodecName.UNCOMPRESSED;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
