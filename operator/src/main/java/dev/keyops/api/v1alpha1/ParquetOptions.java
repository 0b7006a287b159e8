package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What a rebuild does with Parquet files beyond moving the encrypted ones onto its target. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ParquetOptions {

  @JsonPropertyDescription(
      "Encrypt the plaintext (unencrypted) Parquet files the job finds with Parquet Modular"
          + " Encryption under the target key (masterKeyID ring-<keyRing>), in this layout."
          + " Omitted: plaintext Parquet files are counted (status.partitions.plaintextParquet)"
          + " and left as they are.")
  private ParquetEncryption encryptPlaintext;

  public ParquetEncryption getEncryptPlaintext() {
    return encryptPlaintext;
  }

  public void setEncryptPlaintext(ParquetEncryption encryptPlaintext) {
    this.encryptPlaintext = encryptPlaintext;
  }
}
