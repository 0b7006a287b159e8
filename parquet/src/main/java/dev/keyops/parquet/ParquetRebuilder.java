package dev.keyops.parquet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyops.partition.FileIdentity;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.PartitionException;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.PartitionRebuilder.Mode;
import dev.keyops.partition.PartitionRebuilder.Status;
import dev.keyops.partition.RebuildCheckpoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.crypto.FileEncryptionProperties;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.crypto.keytools.PropertiesDrivenCryptoFactory;
import org.apache.parquet.schema.MessageType;

/**
 * Moves one PME Parquet file onto the target ring key without ever losing it.
 *
 * <ul>
 *   <li>External key material in {@code Rewrap} mode: every key in the sidecar is unwrapped with
 *       its ring key and wrapped with the target; the new sidecar is written to a temporary file,
 *       fsynced, verified (each key unwraps to the same bytes), renamed over the old sidecar only
 *       while the Parquet file and the sidecar are unchanged, and the directory fsynced. The
 *       Parquet file is not touched.
 *   <li>Internal key material, or {@code Reencrypt} mode: the file is decoded and encoded again
 *       with fresh data keys under the target (same schema, row groups, codec, footer mode, column
 *       key layout, wrapping and key material storage) into a temporary file, fsynced, verified by
 *       reading it back (rows per row group and a digest of every record), and renamed over the
 *       file only while the file is unchanged (compare before replace). With external key material
 *       the new sidecar is renamed into place right after the file: a crash between the two renames
 *       leaves the new file with the old sidecar, which {@link #recover} (run by the next worker
 *       before it rebuilds anything) completes.
 * </ul>
 *
 * A file whose ring keys are not all in the keyring is left untouched (unrecoverable); a file that
 * cannot be parsed is unreadable. A plaintext Parquet file is never touched (reported as foreign)
 * unless the job asks to encrypt it ({@link PlaintextEncryption}): then it is rewritten like an
 * internal-key-material file, encrypted under the target with the layout asked for; with external
 * key material the new sidecar is renamed into place before the file (a plaintext file ignores a
 * sidecar), so a crash between the two renames leaves the plaintext file readable, encrypted by the
 * next run.
 */
public final class ParquetRebuilder {

  /** The key a plaintext file is on, in outcomes (as the partition rebuilder says). */
  public static final String UNENCRYPTED = "none";

  /**
   * How a Parquet file came out.
   *
   * @param keysBefore ring key ids (hex) the file used before; empty when unknown or plaintext
   * @param keysAfter ring key ids after
   * @param plaintext a Parquet file without encryption (status FOREIGN)
   */
  public record Outcome(
      Status status,
      Set<String> keysBefore,
      Set<String> keysAfter,
      String reason,
      long bytes,
      boolean keyTemporarilyUnavailable,
      boolean plaintext) {

    static Outcome of(Status status, Set<String> before, Set<String> after, String reason, long n) {
      return new Outcome(status, before, after, reason, n, false, false);
    }
  }

  private final KeyBundle ring;
  private final KeyId target;
  private final Mode mode;
  private final boolean dryRun;
  private final RebuildCheckpoints checkpoints;
  private final Configuration readConf;
  private final Configuration writeBase;
  private final ParquetInspector inspector;
  private final PlaintextEncryption encryptPlaintext;

  /**
   * @param keyringPath the path the Parquet KmsClient reads the keyring from: a mounted file, or
   *     any path {@code ring} was registered under with {@link KeyringSource#register(Path,
   *     KeyBundle)}
   */
  public ParquetRebuilder(
      KeyBundle ring,
      Path keyringPath,
      KeyId target,
      Mode mode,
      boolean dryRun,
      RebuildCheckpoints checkpoints) {
    this(ring, keyringPath, target, mode, dryRun, checkpoints, null);
  }

  /**
   * @param encryptPlaintext how plaintext Parquet files are encrypted; null leaves them untouched
   */
  public ParquetRebuilder(
      KeyBundle ring,
      Path keyringPath,
      KeyId target,
      Mode mode,
      boolean dryRun,
      RebuildCheckpoints checkpoints,
      PlaintextEncryption encryptPlaintext) {
    this.encryptPlaintext = encryptPlaintext;
    this.ring = ring;
    this.target = target;
    this.mode = mode;
    this.dryRun = dryRun;
    this.checkpoints = checkpoints;
    this.readConf = ParquetCrypto.configuration(keyringPath);
    this.inspector = new ParquetInspector(readConf);
    Configuration w = ParquetCrypto.configuration(keyringPath);
    // Its own client and key caches: "ring-x" means the target here, whatever a reader's means.
    String id = "keyops-rekey-" + target.hex();
    w.set(KeyToolkit.KMS_INSTANCE_ID_PROPERTY_NAME, id);
    w.set(KeyToolkit.KEY_ACCESS_TOKEN_PROPERTY_NAME, id);
    w.set(KeyopsKmsClient.TARGET_KEY_PROPERTY, target.hex());
    this.writeBase = w;
  }

  /** Rebuilds the Parquet file at {@code file}. */
  public Outcome rebuild(Path file) {
    FileIdentity identity;
    ParquetFile info;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      identity = FileIdentity.of(file);
      info = inspector.inspect(file, ch);
    } catch (ParquetInspector.UnreadableParquetException e) {
      return Outcome.of(Status.UNREADABLE, Set.of(), Set.of(), e.getMessage(), size(file));
    } catch (IOException e) {
      return Outcome.of(Status.UNREADABLE, Set.of(), Set.of(), describe(e), size(file));
    }
    long size = identity.size();
    if (!info.encrypted() && encryptPlaintext != null) {
      return dryRun ? encryptDryRun(file, size) : encrypt(file, identity, info);
    }
    if (!info.encrypted()) {
      return new Outcome(
          Status.FOREIGN,
          Set.of(),
          Set.of(),
          "plaintext Parquet file: not encrypted, never wrapped in the keyops format",
          size,
          false,
          true);
    }
    Set<String> before = hex(info.keyIds());
    Set<String> missing = new TreeSet<>();
    for (KeyId id : info.keyIds()) {
      if (!ring.contains(id)) {
        missing.add(id.hex());
      }
    }
    if (!missing.isEmpty()) {
      return Outcome.of(
          Status.UNRECOVERABLE,
          before,
          before,
          "ring key(s) "
              + String.join(", ", missing)
              + " not in the keyring: the Parquet file cannot be read and was left untouched",
          size);
    }
    if (info.columnKeysUnknown()) {
      return new Outcome(
          Status.FAILED,
          before,
          before,
          "its footer key could not be unwrapped, so its column keys are unknown; run again",
          size,
          true,
          false);
    }
    if (before.equals(Set.of(target.hex()))) {
      return Outcome.of(Status.ALREADY_ON_TARGET, before, before, null, size);
    }
    if (dryRun) {
      return Outcome.of(Status.PENDING, before, before, null, size);
    }
    try {
      return info.externalKeyMaterial() && mode == Mode.REWRAP
          ? rewrapSidecar(file, identity, info, before)
          : rewrite(file, identity, info, before);
    } catch (PartitionException e) {
      return new Outcome(
          Status.FAILED, before, before, e.getMessage(), size, e.transientFailure(), false);
    }
  }

  // ---------------------------------------------------------------- sidecar re-wrap

  private Outcome rewrapSidecar(
      Path file, FileIdentity identity, ParquetFile info, Set<String> before) {
    long size = identity.size();
    Path sidecar = info.sidecar();
    Path temp = temp(sidecar);
    try {
      FileIdentity sidecarIdentity = FileIdentity.of(sidecar);
      byte[] original = Files.readAllBytes(sidecar);
      ObjectNode root = (ObjectNode) KeyMaterial.JSON.readTree(original);
      Map<String, byte[]> keys = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        KeyMaterial m = KeyMaterial.parse(e.getValue().asText());
        keys.put(e.getKey(), m.unwrap(ring));
        if (!m.keyId().equals(target)) {
          e.setValue(
              com.fasterxml.jackson.databind.node.TextNode.valueOf(
                  m.rewrapped(ring, target).toJson()));
        }
      }
      Files.deleteIfExists(temp);
      try (FileChannel out =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(KeyMaterial.JSON.writeValueAsBytes(root));
        while (buf.hasRemaining()) {
          out.write(buf);
        }
        out.force(true);
      }
      checkpoints.reached("parquet.sidecar.temp-synced", file);
      String failure = verifySidecar(temp, keys);
      keys.values().forEach(k -> Arrays.fill(k, (byte) 0));
      if (failure != null) {
        Files.deleteIfExists(temp);
        return Outcome.of(Status.FAILED, before, before, failure, size);
      }
      checkpoints.reached("parquet.sidecar.verified", file);
      if (!unchanged(file, identity) || !unchanged(sidecar, sidecarIdentity)) {
        Files.deleteIfExists(temp);
        return changed(before, size);
      }
      Files.move(
          temp, sidecar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      checkpoints.reached("parquet.sidecar.renamed", file);
      PartitionRebuilder.fsyncDirectory(sidecar.toAbsolutePath().getParent());
      return Outcome.of(Status.REBUILT, before, Set.of(target.hex()), null, size);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      deleteQuietly(temp);
      return Outcome.of(
          Status.FAILED,
          before,
          before,
          "sidecar re-wrap failed: "
              + (e instanceof GeneralSecurityException
                  ? "a key does not authenticate under its ring key"
                  : e.getMessage()),
          size);
    }
  }

  /** Null when every key in the new sidecar is on the target and unwraps to the same bytes. */
  private String verifySidecar(Path temp, Map<String, byte[]> keys)
      throws IOException, GeneralSecurityException {
    JsonNode written = KeyMaterial.JSON.readTree(Files.readAllBytes(temp));
    if (written.size() != keys.size()) {
      return "verification of the new sidecar failed: key count differs";
    }
    for (Map.Entry<String, byte[]> e : keys.entrySet()) {
      KeyMaterial m = KeyMaterial.parse(written.path(e.getKey()).asText());
      byte[] k = m.unwrap(ring);
      boolean same = m.keyId().equals(target) && Arrays.equals(k, e.getValue());
      Arrays.fill(k, (byte) 0);
      if (!same) {
        return "verification of the new sidecar failed for key " + e.getKey();
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- rewrite

  private Outcome rewrite(Path file, FileIdentity identity, ParquetFile info, Set<String> before) {
    return replace(
        file,
        identity,
        info,
        before,
        temp -> {
          ParquetInspector.Layout layout = inspector.layout(file, info);
          KeyMaterial footer = info.keys().get(0).material();
          return new Copy(
              ParquetCrypto.decryption(readConf, file),
              schema -> encryption(schema, info, footer, layout, temp),
              info.plaintextFooter(),
              info.externalKeyMaterial(),
              schema -> plaintextColumns(schema, layout.columns()));
        });
  }

  /**
   * What encrypting a plaintext file would do: pending, or failed when a column asked for is not in
   * the file (as the real run would fail it).
   */
  private Outcome encryptDryRun(Path file, long size) {
    Set<String> none = Set.of(UNENCRYPTED);
    try {
      String absent = absentColumns(ParquetCopy.schema(file, null));
      return absent == null
          ? Outcome.of(Status.PENDING, none, none, null, size)
          : Outcome.of(Status.FAILED, none, none, absent, size);
    } catch (IOException | RuntimeException e) {
      return Outcome.of(
          Status.UNREADABLE,
          Set.of(),
          Set.of(),
          "its schema cannot be read: " + e.getClass().getSimpleName(),
          size);
    }
  }

  /** Encrypts a plaintext Parquet file under the target, in the layout the job asked for. */
  private Outcome encrypt(Path file, FileIdentity identity, ParquetFile info) {
    return replace(
        file,
        identity,
        info,
        Set.of(UNENCRYPTED),
        temp ->
            new Copy(
                null,
                schema -> plaintextEncryption(schema, temp),
                encryptPlaintext.plaintextFooter(),
                encryptPlaintext.externalKeyMaterial(),
                this::plaintextColumnsAskedFor));
  }

  /** The columns an encrypted plaintext file keeps in plaintext: those not asked for. */
  private Set<String> plaintextColumnsAskedFor(MessageType schema) {
    Set<String> plaintext = new TreeSet<>();
    if (!encryptPlaintext.uniform()) {
      schema.getColumns().forEach(d -> plaintext.add(String.join(".", d.getPath())));
      plaintext.removeAll(encryptPlaintext.columns());
    }
    return plaintext;
  }

  /**
   * The columns of {@code schema} that {@code layout} (in schema leaf order, see {@link
   * ParquetInspector.Layout}) leaves in plaintext.
   */
  private static Set<String> plaintextColumns(MessageType schema, List<String> layout) {
    Set<String> plaintext = new TreeSet<>();
    for (int i = 0; i < layout.size() && i < schema.getColumns().size(); i++) {
      if (layout.get(i) == null) {
        plaintext.add(String.join(".", schema.getColumns().get(i).getPath()));
      }
    }
    return plaintext;
  }

  /**
   * How a rewrite copies a file.
   *
   * @param decryption how the source is read; null for a plaintext source
   * @param encryption the copy's encryption for the source's schema
   * @param plaintextFooter the footer mode the copy must have
   * @param externalKeyMaterial whether the copy's key material is in a sidecar
   * @param plaintextColumns the columns (dotted paths) the copy must leave in plaintext, for the
   *     source's schema; every other column must be encrypted
   */
  private record Copy(
      FileDecryptionProperties decryption,
      Function<MessageType, FileEncryptionProperties> encryption,
      boolean plaintextFooter,
      boolean externalKeyMaterial,
      Function<MessageType, Set<String>> plaintextColumns) {}

  /** Plans a {@link Copy} into the temporary file. */
  @FunctionalInterface
  private interface CopyPlan {
    Copy into(Path temp) throws IOException;
  }

  /**
   * Copies the file into a temporary file as {@code plan} says, verifies the copy (same records, on
   * the target only, the footer mode, key material storage and plaintext columns asked for) and
   * renames it over the file only while the file and its sidecar (or, for a plaintext file that
   * gets one, whatever was at the sidecar's path) are unchanged.
   */
  private Outcome replace(
      Path file, FileIdentity identity, ParquetFile info, Set<String> before, CopyPlan plan) {
    long size = identity.size();
    Path temp = temp(file);
    Path tempSidecar = ParquetFile.sidecarOf(temp);
    Path sidecar = ParquetFile.sidecarOf(file);
    try {
      // A plaintext file ignores a sidecar: one at its path now is stale and may be replaced, but
      // only if no writer puts one there meanwhile (absent stays absent, present stays the same).
      FileIdentity sidecarIdentity = identityOrNull(sidecar);
      deleteQuietly(temp);
      deleteQuietly(tempSidecar);
      Copy copy = plan.into(temp);
      ParquetCopy.Digest source =
          ParquetCopy.copy(file, copy.decryption(), temp, copy.encryption(), writeBase);
      checkpoints.reached("parquet.rewrite.temp-written", file);
      fsync(temp);
      if (copy.externalKeyMaterial()) {
        fsync(tempSidecar);
      }
      checkpoints.reached("parquet.rewrite.temp-synced", file);
      ParquetCopy.Digest written =
          ParquetCopy.digest(temp, ParquetCrypto.decryption(readConf, temp));
      ParquetFile layout = inspector.inspect(temp);
      String mismatch = null;
      if (!written.equals(source)) {
        mismatch = "its records differ from the original's";
      } else if (!layout.keyIds().equals(Set.of(target))) {
        mismatch = "it is not on the target key only";
      } else if (layout.plaintextFooter() != copy.plaintextFooter()
          || layout.externalKeyMaterial() != copy.externalKeyMaterial()) {
        mismatch = "its footer mode or key material storage is not the one asked for";
      } else {
        mismatch = plaintextMismatch(temp, layout, copy);
      }
      if (mismatch != null) {
        deleteQuietly(temp);
        deleteQuietly(tempSidecar);
        return Outcome.of(
            Status.FAILED,
            before,
            before,
            "verification of the rewritten Parquet file failed: "
                + mismatch
                + "; the file was left as it was",
            size);
      }
      checkpoints.reached("parquet.rewrite.verified", file);
      if (!unchanged(file, identity) || !Objects.equals(sidecarIdentity, identityOrNull(sidecar))) {
        deleteQuietly(temp);
        deleteQuietly(tempSidecar);
        return changed(before, size);
      }
      // A plaintext file ignores a sidecar: put the new one in place first, so that no moment
      // leaves an encrypted file without its key material.
      boolean sidecarFirst = copy.externalKeyMaterial() && !info.encrypted();
      if (sidecarFirst) {
        move(tempSidecar, sidecar);
        checkpoints.reached("parquet.encrypt.sidecar-renamed", file);
      }
      move(temp, file);
      checkpoints.reached("parquet.rewrite.renamed", file);
      if (copy.externalKeyMaterial() && !sidecarFirst) {
        move(tempSidecar, sidecar);
        checkpoints.reached("parquet.rewrite.sidecar-renamed", file);
      }
      PartitionRebuilder.fsyncDirectory(file.toAbsolutePath().getParent());
      return Outcome.of(Status.REBUILT, before, Set.of(target.hex()), null, size);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(temp);
      deleteQuietly(tempSidecar);
      if (e instanceof PartitionException pe) {
        throw pe;
      }
      return Outcome.of(
          Status.FAILED,
          before,
          before,
          "rewrite failed: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
          size);
    }
  }

  /**
   * Null when the copy leaves exactly the columns {@code copy} says in plaintext; else which
   * columns differ. A file without row groups has no column chunks to check.
   */
  private String plaintextMismatch(Path temp, ParquetFile layout, Copy copy) throws IOException {
    List<String> how = inspector.layout(temp, layout).columns();
    if (how.isEmpty()) {
      return null;
    }
    MessageType schema = ParquetCopy.schema(temp, ParquetCrypto.decryption(readConf, temp));
    Set<String> plaintext = plaintextColumns(schema, how);
    Set<String> expected = copy.plaintextColumns().apply(schema);
    if (plaintext.equals(expected)) {
      return null;
    }
    return "its plaintext columns are " + plaintext + ", not " + expected;
  }

  /**
   * Encryption properties for a plaintext file: the footer (and, for uniform encryption, every
   * column) under the ring's alias, which the rebuild's key tools resolve to the target; the
   * columns asked for under column keys of their own. A column the file does not have fails the
   * file, which stays plaintext.
   */
  private FileEncryptionProperties plaintextEncryption(MessageType schema, Path temp) {
    Configuration c = new Configuration(writeBase);
    String master = MasterKeyId.ring(ring.document().keyRing());
    if (encryptPlaintext.uniform()) {
      c.set(PropertiesDrivenCryptoFactory.UNIFORM_KEY_PROPERTY_NAME, master);
    } else {
      String absent = absentColumns(schema);
      if (absent != null) {
        throw new IllegalArgumentException(absent);
      }
      c.set(PropertiesDrivenCryptoFactory.FOOTER_KEY_PROPERTY_NAME, master);
      c.set(
          PropertiesDrivenCryptoFactory.COLUMN_KEYS_PROPERTY_NAME,
          master + ":" + String.join(",", encryptPlaintext.columns()));
    }
    c.setBoolean(
        PropertiesDrivenCryptoFactory.PLAINTEXT_FOOTER_PROPERTY_NAME,
        encryptPlaintext.plaintextFooter());
    c.setBoolean(KeyToolkit.DOUBLE_WRAPPING_PROPERTY_NAME, encryptPlaintext.doubleWrapping());
    c.setBoolean(
        KeyToolkit.KEY_MATERIAL_INTERNAL_PROPERTY_NAME, !encryptPlaintext.externalKeyMaterial());
    return ParquetCrypto.encryption(c, temp);
  }

  /** Null when every column asked for is in {@code schema}; else what is missing and what to do. */
  private String absentColumns(MessageType schema) {
    Set<String> present = new TreeSet<>();
    schema.getColumns().forEach(d -> present.add(String.join(".", d.getPath())));
    List<String> absent =
        encryptPlaintext.columns().stream().filter(col -> !present.contains(col)).toList();
    if (absent.isEmpty()) {
      return null;
    }
    return "column(s) "
        + String.join(", ", absent)
        + " to encrypt are not in the file (its columns: "
        + String.join(", ", present)
        + "); the file stays plaintext: fix spec.parquet.encryptPlaintext.columns";
  }

  private static void move(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Encryption properties reproducing the file's layout with the target's master keys. */
  private FileEncryptionProperties encryption(
      MessageType schema,
      ParquetFile info,
      KeyMaterial footer,
      ParquetInspector.Layout layout,
      Path temp) {
    Configuration c = new Configuration(writeBase);
    String footerMaster = onTarget(footer.masterKeyId());
    Map<String, List<String>> byMaster = new LinkedHashMap<>();
    List<String> footerColumns = new ArrayList<>();
    boolean plaintextColumns = false;
    List<String> how = layout.columns();
    for (int i = 0; i < how.size(); i++) {
      String path = String.join(".", schema.getColumns().get(i).getPath());
      String h = how.get(i);
      if (h == null) {
        plaintextColumns = true;
      } else if (h.isEmpty()) {
        footerColumns.add(path);
      } else {
        byMaster.computeIfAbsent(onTarget(h), k -> new ArrayList<>()).add(path);
      }
    }
    if (byMaster.isEmpty() && !plaintextColumns) {
      c.set(PropertiesDrivenCryptoFactory.UNIFORM_KEY_PROPERTY_NAME, footerMaster);
    } else {
      c.set(PropertiesDrivenCryptoFactory.FOOTER_KEY_PROPERTY_NAME, footerMaster);
      if (!footerColumns.isEmpty() && plaintextColumns) {
        // Not expressible with the key tools' properties: those columns get a column key under
        // the footer's master key (documented in docs/parquet-keys.md).
        byMaster.computeIfAbsent(footerMaster, k -> new ArrayList<>()).addAll(footerColumns);
      } else if (!footerColumns.isEmpty()) {
        c.setBoolean(PropertiesDrivenCryptoFactory.COMPLETE_COLUMN_ENCRYPTION_PROPERTY_NAME, true);
      }
      StringBuilder keys = new StringBuilder();
      byMaster.forEach(
          (master, columns) -> {
            if (keys.length() > 0) {
              keys.append(';');
            }
            keys.append(master).append(':').append(String.join(",", columns));
          });
      c.set(PropertiesDrivenCryptoFactory.COLUMN_KEYS_PROPERTY_NAME, keys.toString());
    }
    c.setBoolean(
        PropertiesDrivenCryptoFactory.PLAINTEXT_FOOTER_PROPERTY_NAME, info.plaintextFooter());
    c.setBoolean(KeyToolkit.DOUBLE_WRAPPING_PROPERTY_NAME, footer.doubleWrapping());
    c.setBoolean(KeyToolkit.KEY_MATERIAL_INTERNAL_PROPERTY_NAME, !info.externalKeyMaterial());
    if (layout.ctr()) {
      c.set(PropertiesDrivenCryptoFactory.ENCRYPTION_ALGORITHM_PROPERTY_NAME, "AES_GCM_CTR_V1");
    }
    return ParquetCrypto.encryption(c, temp);
  }

  /** A key-id masterKeyID becomes the target's id; a ring alias stays (it means the target). */
  private String onTarget(String masterKeyId) {
    return MasterKeyId.isKeyId(masterKeyId) ? target.hex() : masterKeyId;
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Completes an external-key-material rewrite a crashed worker left between its two renames.
   * {@code tempSidecar} is a {@code _KEY_MATERIAL_FOR_.keyops-tmp.F.json}: if its temporary Parquet
   * file is gone (already renamed over F) and F's footer opens with it but not with F's sidecar, it
   * is moved over F's sidecar; otherwise it (and a leftover temporary file, whose rename never
   * happened: F is intact) is deleted.
   *
   * @return true when F's sidecar was replaced
   */
  public boolean recover(Path tempSidecar) throws IOException {
    Path tempFile = ParquetFile.fileOfSidecar(tempSidecar);
    Path file = original(tempSidecar);
    if (Files.exists(tempFile) || !Files.exists(file)) {
      deleteQuietly(tempFile);
      Files.deleteIfExists(tempSidecar);
      return false;
    }
    if (!opens(file, ParquetFile.sidecarOf(file)) && opensWith(file, tempSidecar)) {
      Files.move(
          tempSidecar,
          ParquetFile.sidecarOf(file),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      PartitionRebuilder.fsyncDirectory(file.toAbsolutePath().getParent());
      return true;
    }
    Files.deleteIfExists(tempSidecar);
    return false;
  }

  /** The Parquet file a rewrite's pending sidecar belongs to. */
  public static Path original(Path tempSidecar) {
    Path tempFile = ParquetFile.fileOfSidecar(tempSidecar);
    return tempFile.resolveSibling(
        tempFile.getFileName().toString().substring(PartitionRebuilder.TEMP_PREFIX.length()));
  }

  /** Whether {@code name} is the sidecar of a rebuild's temporary Parquet file. */
  public static boolean isTempSidecar(String name) {
    return ParquetFile.isSidecarName(name)
        && name.startsWith(ParquetFile.SIDECAR_PREFIX + PartitionRebuilder.TEMP_PREFIX);
  }

  private boolean opens(Path file, Path sidecar) {
    if (!Files.exists(sidecar)) {
      return false;
    }
    try {
      ParquetCopy.footer(file, ParquetCrypto.decryption(readConf, file));
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private boolean opensWith(Path file, Path candidateSidecar) throws IOException {
    Path scratch =
        Files.createTempDirectory(
            file.toAbsolutePath().getParent(), PartitionRebuilder.TEMP_PREFIX + "probe");
    try {
      Path link = scratch.resolve(file.getFileName());
      Files.createSymbolicLink(link, file.toAbsolutePath());
      Files.copy(candidateSidecar, ParquetFile.sidecarOf(link));
      return opens(link, ParquetFile.sidecarOf(link));
    } finally {
      try (var s = Files.list(scratch)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(scratch);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static Path temp(Path file) {
    return file.resolveSibling(PartitionRebuilder.TEMP_PREFIX + file.getFileName());
  }

  private static Set<String> hex(Set<KeyId> ids) {
    Set<String> out = new LinkedHashSet<>();
    ids.forEach(id -> out.add(id.hex()));
    return out;
  }

  private static Outcome changed(Set<String> before, long size) {
    return Outcome.of(
        Status.CHANGED,
        before,
        before,
        "changed while it was being rebuilt (a writer replaced it): left as the writer wrote it",
        size);
  }

  /** The file's identity, or null when there is no file. */
  private static FileIdentity identityOrNull(Path file) throws IOException {
    try {
      return FileIdentity.of(file);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static boolean unchanged(Path file, FileIdentity identity) throws IOException {
    try {
      return identity.equals(FileIdentity.of(file));
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a later run removes it
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  private static String describe(IOException e) {
    String kind = e.getClass().getSimpleName();
    if (e instanceof java.nio.file.FileSystemException fse) {
      return fse.getReason() == null ? kind : kind + ": " + fse.getReason();
    }
    return kind;
  }
}
