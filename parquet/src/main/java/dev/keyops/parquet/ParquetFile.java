package dev.keyops.parquet;

import dev.keyops.partition.KeyId;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a Parquet file's footer (and sidecar) say about its encryption, read without decrypting any
 * data.
 *
 * @param encrypted Parquet Modular Encryption is on
 * @param plaintextFooter an encrypted file whose footer is plaintext (signed); columns are still
 *     encrypted
 * @param sidecar the external key material file, or null when the key material is in the file
 * @param keys every key the file uses: the footer key first, then the column keys
 * @param columnKeysUnknown an encrypted footer with internal key material whose footer key could
 *     not be unwrapped, so its column keys (inside the encrypted footer) are unknown
 */
public record ParquetFile(
    boolean encrypted,
    boolean plaintextFooter,
    Path sidecar,
    List<KeyUse> keys,
    boolean columnKeysUnknown) {

  /** Prefix of a sidecar's name; the Parquet file's name and {@code .json} follow. */
  public static final String SIDECAR_PREFIX = "_KEY_MATERIAL_FOR_";

  /**
   * One key of the file.
   *
   * @param where {@code footer}, or the column path of a column key, or the sidecar reference
   * @param material its key material
   */
  public record KeyUse(String where, KeyMaterial material) {}

  public boolean externalKeyMaterial() {
    return sidecar != null;
  }

  /** The ring keys the file's keys are wrapped by. */
  public Set<KeyId> keyIds() {
    Set<KeyId> ids = new LinkedHashSet<>();
    for (KeyUse k : keys) {
      ids.add(k.material().keyId());
    }
    return ids;
  }

  /** The sidecar path of {@code file}. */
  public static Path sidecarOf(Path file) {
    return file.resolveSibling(SIDECAR_PREFIX + file.getFileName() + ".json");
  }

  /** Whether {@code name} is a sidecar's name. */
  public static boolean isSidecarName(String name) {
    return name.startsWith(SIDECAR_PREFIX) && name.endsWith(".json");
  }

  /** The Parquet file a sidecar belongs to. */
  public static Path fileOfSidecar(Path sidecar) {
    String n = sidecar.getFileName().toString();
    return sidecar.resolveSibling(
        n.substring(SIDECAR_PREFIX.length(), n.length() - ".json".length()));
  }
}
