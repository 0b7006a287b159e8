package dev.keyops.parquet;

import java.util.List;
import java.util.regex.Pattern;

/**
 * How a rebuild encrypts a plaintext Parquet file when its job asks for it ({@code
 * spec.parquet.encryptPlaintext}): the footer and column key layout, all under the job's target key
 * (masterKeyID {@code ring-<keyRing>}).
 *
 * @param columns columns (dotted paths for nested ones) that get column keys of their own; the
 *     other columns stay plaintext. Empty: every column and the footer under one key (the key
 *     tools' uniform encryption)
 * @param plaintextFooter a footer that stays readable (and is signed), so that readers without keys
 *     see the schema and the plaintext columns
 * @param doubleWrapping data keys wrapped by key-encryption keys that the ring key wraps (the key
 *     tools' default); false wraps every data key with the ring key itself
 * @param externalKeyMaterial key material in a {@code _KEY_MATERIAL_FOR_<file>.json} sidecar
 *     (re-wrapped later without rewriting the file) instead of inside the file
 */
public record PlaintextEncryption(
    List<String> columns,
    boolean plaintextFooter,
    boolean doubleWrapping,
    boolean externalKeyMaterial) {

  /** Characters the key tools use as separators in their column-key property. */
  private static final Pattern SEPARATORS = Pattern.compile("[:;,]");

  /** Every column and the footer under one key, encrypted footer, double wrapping, internal. */
  public static final PlaintextEncryption UNIFORM =
      new PlaintextEncryption(List.of(), false, true, false);

  /**
   * @throws IllegalArgumentException for a blank column, one containing the key tools' separators
   *     {@code : ; ,}, or one listed twice
   */
  public PlaintextEncryption {
    columns = List.copyOf(columns);
    for (String c : columns) {
      if (c.isBlank() || SEPARATORS.matcher(c).find()) {
        throw new IllegalArgumentException(
            "Parquet column '"
                + c
                + "' cannot be encrypted by name: a column to encrypt is a non-empty (dotted)"
                + " column path without ':', ';' or ','");
      }
    }
    if (columns.size() != columns.stream().distinct().count()) {
      throw new IllegalArgumentException(
          "Parquet columns to encrypt are listed more than once: " + columns);
    }
  }

  /** Every column under the footer key. */
  public boolean uniform() {
    return columns.isEmpty();
  }
}
