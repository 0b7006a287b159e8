package dev.keyops.parquet;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.AesCipher;
import org.apache.parquet.crypto.InternalFileDecryptor;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnCryptoMetaData;
import org.apache.parquet.format.FileCryptoMetaData;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * Reads which keys a Parquet file uses from its footer and sidecar: the plaintext footer (or the
 * plaintext crypto metadata before an encrypted footer) with parquet-format-structures, and the
 * {@code _KEY_MATERIAL_FOR_<file>.json} sidecar. No data page is read. Only an encrypted footer
 * with internal key material is decrypted (with the footer key, when the keyring has it), since its
 * column keys are inside it.
 */
public final class ParquetInspector {

  /** Largest footer read into memory; a larger length field means a corrupt file. */
  static final int MAX_FOOTER = 64 << 20;

  private final Configuration conf;

  /**
   * @param conf the key tools' configuration ({@link ParquetCrypto#configuration}) used to decrypt
   *     an encrypted footer for its column keys, or null to read plaintext only
   */
  public ParquetInspector(Configuration conf) {
    this.conf = conf;
  }

  /** A file that is Parquet by its magic but cannot be parsed: its keys are unknown. */
  public static final class UnreadableParquetException extends IOException {
    public UnreadableParquetException(String message) {
      super(message);
    }
  }

  /** Whether a file starts or ends with a Parquet magic ({@code PAR1}, {@code PARE}). */
  public static boolean isParquet(FileChannel ch) throws IOException {
    long size = ch.size();
    String head = magic(ch, 0);
    if ("PAR1".equals(head) || "PARE".equals(head)) {
      return true;
    }
    String tail = size >= 8 ? magic(ch, size - 4) : null;
    return "PAR1".equals(tail) || "PARE".equals(tail);
  }

  /** Inspects the Parquet file at {@code file}. */
  public ParquetFile inspect(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return inspect(file, ch);
    }
  }

  /** Inspects an open Parquet file; {@code file} locates its sidecar. */
  public ParquetFile inspect(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 12) {
      throw new UnreadableParquetException(
          "truncated Parquet file (" + size + " bytes; a footer needs at least 12)");
    }
    String head = magic(ch, 0);
    String tail = magic(ch, size - 4);
    if (!("PAR1".equals(head) || "PARE".equals(head)) || !head.equals(tail)) {
      throw new UnreadableParquetException(
          "not a complete Parquet file: starts with "
              + printable(head)
              + " and ends with "
              + printable(tail)
              + " (truncated, or being written)");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, size - 8);
    long footerLength = Integer.toUnsignedLong(lenBuf.getInt(0));
    long footerStart = size - 8 - footerLength;
    if (footerLength == 0 || footerLength > MAX_FOOTER || footerStart < 4) {
      throw new UnreadableParquetException(
          "Parquet footer length " + footerLength + " does not fit a file of " + size + " bytes");
    }
    ByteBuffer footer = ByteBuffer.allocate((int) footerLength);
    readFully(ch, footer, footerStart);
    InputStream in = new ByteArrayInputStream(footer.array());
    try {
      return "PARE".equals(head) ? encryptedFooter(file, in) : plaintextFooter(file, in);
    } catch (IOException | RuntimeException e) {
      if (e instanceof UnreadableParquetException u) {
        throw u;
      }
      throw new UnreadableParquetException(
          "the Parquet footer cannot be parsed (" + e.getClass().getSimpleName() + ")");
    }
  }

  private ParquetFile plaintextFooter(Path file, InputStream in) throws IOException {
    FileMetaData md = Util.readFileMetaData(in);
    if (!md.isSetEncryption_algorithm()) {
      return new ParquetFile(false, false, null, List.of(), false);
    }
    if (!md.isSetFooter_signing_key_metadata()) {
      throw new UnreadableParquetException(
          "plaintext-footer Parquet file without footer key metadata: its keys are unknown");
    }
    List<Raw> raw = new ArrayList<>();
    raw.add(new Raw("footer", bytes(md.footer_signing_key_metadata)));
    raw.addAll(columnKeys(md));
    return resolve(file, true, raw, false);
  }

  private ParquetFile encryptedFooter(Path file, InputStream in) throws IOException {
    FileCryptoMetaData crypto = Util.readFileCryptoMetaData(in);
    if (!crypto.isSetKey_metadata()) {
      throw new UnreadableParquetException(
          "encrypted Parquet footer without key metadata (an explicit-key writer, not the key"
              + " tools): its keys are unknown to keyops");
    }
    List<Raw> raw = new ArrayList<>();
    raw.add(new Raw("footer", crypto.getKey_metadata()));
    KeyMaterial footer = material(crypto.getKey_metadata());
    if (footer.isReference()) {
      // The sidecar holds every key of the file: no need to decrypt the footer.
      return resolve(file, false, raw, false);
    }
    if (conf == null) {
      return resolve(file, false, raw, true);
    }
    FileMetaData md;
    try {
      InternalFileDecryptor decryptor =
          new InternalFileDecryptor(ParquetCrypto.decryption(conf, file));
      decryptor.setFileCryptoMetaData(
          crypto.getEncryption_algorithm(), true, crypto.getKey_metadata());
      md =
          Util.readFileMetaData(
              in,
              decryptor.fetchFooterDecryptor(),
              AesCipher.createFooterAAD(decryptor.getFileAAD()));
    } catch (RuntimeException e) {
      // The footer key is not usable here (dropped, KMS refused): its column keys stay unknown.
      return resolve(file, false, raw, true);
    }
    raw.addAll(columnKeys(md));
    return resolve(file, false, raw, false);
  }

  /**
   * How a file's columns are encrypted, for rewriting it with the same layout: per column (in
   * schema leaf order, as in every row group) null for a plaintext column, {@code ""} for one under
   * the footer key, else the {@code masterKeyID} of its column key. Decrypts an encrypted footer
   * (needs the footer key).
   *
   * @param ctr the file uses AES_GCM_CTR_V1 (else AES_GCM_V1)
   */
  public record Layout(List<String> columns, boolean ctr) {}

  /** The column layout of an encrypted file (see {@link Layout}). */
  public Layout layout(Path file, ParquetFile info) throws IOException {
    FileMetaData md;
    org.apache.parquet.format.EncryptionAlgorithm alg;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      InputStream in = footerStream(ch);
      if (info.plaintextFooter()) {
        md = Util.readFileMetaData(in);
        alg = md.getEncryption_algorithm();
      } else {
        FileCryptoMetaData crypto = Util.readFileCryptoMetaData(in);
        alg = crypto.getEncryption_algorithm();
        InternalFileDecryptor decryptor =
            new InternalFileDecryptor(ParquetCrypto.decryption(conf, file));
        decryptor.setFileCryptoMetaData(alg, true, crypto.getKey_metadata());
        md =
            Util.readFileMetaData(
                in,
                decryptor.fetchFooterDecryptor(),
                AesCipher.createFooterAAD(decryptor.getFileAAD()));
      }
    }
    Map<String, ParquetFile.KeyUse> byReference = new LinkedHashMap<>();
    if (info.externalKeyMaterial()) {
      for (ParquetFile.KeyUse k : sidecar(file)) {
        byReference.put(k.where(), k);
      }
    }
    List<String> columns = new ArrayList<>();
    if (md.getRow_groups() != null && !md.getRow_groups().isEmpty()) {
      for (ColumnChunk c : md.getRow_groups().get(0).getColumns()) {
        ColumnCryptoMetaData cm = c.getCrypto_metadata();
        String how;
        if (cm == null) {
          how = null;
        } else if (cm.isSetENCRYPTION_WITH_FOOTER_KEY()) {
          how = "";
        } else {
          var k = cm.getENCRYPTION_WITH_COLUMN_KEY();
          String path = String.join(".", k.getPath_in_schema());
          KeyMaterial m = material(k.getKey_metadata());
          if (m.isReference()) {
            ParquetFile.KeyUse ref = byReference.get(m.keyReference());
            if (ref == null) {
              throw new UnreadableParquetException(
                  "column "
                      + path
                      + " names key "
                      + m.keyReference()
                      + ", absent from its sidecar");
            }
            m = ref.material();
          }
          how = m.masterKeyId();
        }
        columns.add(how);
      }
    }
    return new Layout(columns, alg != null && alg.isSetAES_GCM_CTR_V1());
  }

  private static InputStream footerStream(FileChannel ch) throws IOException {
    long size = ch.size();
    ByteBuffer lenBuf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, size - 8);
    long footerLength = Integer.toUnsignedLong(lenBuf.getInt(0));
    if (footerLength == 0 || footerLength > MAX_FOOTER || size - 8 - footerLength < 4) {
      throw new UnreadableParquetException("Parquet footer length does not fit the file");
    }
    ByteBuffer footer = ByteBuffer.allocate((int) footerLength);
    readFully(ch, footer, size - 8 - footerLength);
    return new ByteArrayInputStream(footer.array());
  }

  /** Key metadata bytes and where they were found. */
  private record Raw(String where, byte[] keyMetadata) {}

  private static List<Raw> columnKeys(FileMetaData md) {
    Map<String, byte[]> byColumn = new LinkedHashMap<>();
    if (md.getRow_groups() != null) {
      for (RowGroup rg : md.getRow_groups()) {
        for (ColumnChunk c : rg.getColumns()) {
          ColumnCryptoMetaData cm = c.getCrypto_metadata();
          if (cm != null && cm.isSetENCRYPTION_WITH_COLUMN_KEY()) {
            var k = cm.getENCRYPTION_WITH_COLUMN_KEY();
            byColumn.putIfAbsent(String.join(".", k.getPath_in_schema()), k.getKey_metadata());
          }
        }
      }
    }
    List<Raw> out = new ArrayList<>();
    byColumn.forEach((column, km) -> out.add(new Raw(column, km)));
    return out;
  }

  private ParquetFile resolve(Path file, boolean plaintextFooter, List<Raw> raw, boolean hidden)
      throws IOException {
    KeyMaterial footer = material(raw.get(0).keyMetadata());
    if (footer.isReference()) {
      return new ParquetFile(
          true, plaintextFooter, ParquetFile.sidecarOf(file), sidecar(file), false);
    }
    List<ParquetFile.KeyUse> keys = new ArrayList<>();
    for (Raw r : raw) {
      KeyMaterial m = material(r.keyMetadata());
      if (m.isReference()) {
        throw new UnreadableParquetException(
            "Parquet key material mixes internal and external storage");
      }
      check(m, r.where());
      keys.add(new ParquetFile.KeyUse(r.where(), m));
    }
    return new ParquetFile(true, plaintextFooter, null, keys, hidden);
  }

  /** Every key in the sidecar of {@code file}: the footer key and each column key. */
  static List<ParquetFile.KeyUse> sidecar(Path file) throws IOException {
    Path sidecar = ParquetFile.sidecarOf(file);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(sidecar);
    } catch (NoSuchFileException e) {
      throw new UnreadableParquetException(
          "its key material is external but the sidecar "
              + sidecar.getFileName()
              + " is missing: its keys are unknown");
    }
    JsonNode root;
    try {
      root = KeyMaterial.JSON.readTree(bytes);
    } catch (IOException e) {
      throw new UnreadableParquetException(
          "the sidecar " + sidecar.getFileName() + " is not JSON: its keys are unknown");
    }
    if (root == null || !root.isObject() || root.isEmpty()) {
      throw new UnreadableParquetException(
          "the sidecar " + sidecar.getFileName() + " holds no key material");
    }
    List<ParquetFile.KeyUse> keys = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new UnreadableParquetException(
            "the sidecar " + sidecar.getFileName() + " has a non-text entry " + e.getKey());
      }
      KeyMaterial m;
      try {
        m = KeyMaterial.parse(e.getValue().asText());
      } catch (IllegalArgumentException ex) {
        throw new UnreadableParquetException(
            "sidecar entry " + e.getKey() + ": " + ex.getMessage());
      }
      check(m, e.getKey());
      keys.add(new ParquetFile.KeyUse(e.getKey(), m));
    }
    return keys;
  }

  private static void check(KeyMaterial m, String where) throws UnreadableParquetException {
    try {
      m.keyId();
    } catch (IllegalArgumentException e) {
      throw new UnreadableParquetException(
          "the " + where + " key is not wrapped by a keyops ring key: " + e.getMessage());
    }
  }

  private static KeyMaterial material(byte[] keyMetadata) throws UnreadableParquetException {
    try {
      return KeyMaterial.parse(new String(keyMetadata, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new UnreadableParquetException(e.getMessage());
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  private static String magic(FileChannel ch, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(4);
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        return null;
      }
      pos += n;
    }
    return new String(buf.array(), StandardCharsets.ISO_8859_1);
  }

  private static String printable(String magic) {
    return magic == null ? "(nothing)" : "'" + magic.replaceAll("[^\\x20-\\x7e]", "?") + "'";
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new UnreadableParquetException("truncated Parquet file");
      }
      pos += n;
    }
  }
}
