package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * The footer and column key layout a rebuild encrypts plaintext Parquet files in (the key tools'
 * {@code parquet.encryption.*} properties, every master key being the job's target).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ParquetEncryption {

  /** Where the data keys' material is kept. */
  public enum KeyMaterial {
    Internal,
    External
  }

  @Size(max = 64)
  @JsonPropertyDescription(
      "Columns (dotted paths for nested ones) encrypted with column keys of their own; the other"
          + " columns stay plaintext. A file without one of them fails and stays plaintext. A"
          + " column path may not contain ':', ';' or ',' (the job fails to start, saying so)."
          + " Omitted or empty: every column and the footer under one key (uniform encryption).")
  private List<String> columns;

  @Default("false")
  @JsonPropertyDescription(
      "Leave the footer readable (signed, not encrypted), so that readers without keys see the"
          + " schema and read the plaintext columns. Default false.")
  private Boolean plaintextFooter = false;

  @Default("true")
  @JsonPropertyDescription(
      "Double wrapping (the key tools' default): data keys are wrapped by key-encryption keys"
          + " that the ring key wraps. false wraps every data key with the ring key itself.")
  private Boolean doubleWrapping = true;

  @Default("Internal")
  @JsonPropertyDescription(
      "Internal: the key material is stored in the file. External: in a"
          + " _KEY_MATERIAL_FOR_<file>.json sidecar beside it, so that later rotations re-wrap"
          + " the sidecar instead of rewriting the file (mode Rewrap).")
  private KeyMaterial keyMaterial = KeyMaterial.Internal;

  public List<String> getColumns() {
    return columns;
  }

  public void setColumns(List<String> columns) {
    this.columns = columns;
  }

  public Boolean getPlaintextFooter() {
    return plaintextFooter;
  }

  public void setPlaintextFooter(Boolean plaintextFooter) {
    this.plaintextFooter = plaintextFooter;
  }

  public Boolean getDoubleWrapping() {
    return doubleWrapping;
  }

  public void setDoubleWrapping(Boolean doubleWrapping) {
    this.doubleWrapping = doubleWrapping;
  }

  public KeyMaterial getKeyMaterial() {
    return keyMaterial;
  }

  public void setKeyMaterial(KeyMaterial keyMaterial) {
    this.keyMaterial = keyMaterial;
  }
}
