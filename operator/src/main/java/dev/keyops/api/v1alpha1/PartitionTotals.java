package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Counts of a rebuild, by outcome. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PartitionTotals {
  @JsonPropertyDescription("Partitions scanned.")
  private Long total;

  @JsonPropertyDescription("Partitions already on the target key.")
  private Long alreadyOnTarget;

  @JsonPropertyDescription("Partitions rebuilt onto the target key.")
  private Long rebuilt;

  @JsonPropertyDescription("Partitions whose rebuild failed and may be retried.")
  private Long failed;

  @JsonPropertyDescription("Partitions whose key is missing or unusable; left untouched.")
  private Long unrecoverable;

  @JsonPropertyDescription("Plain (unencrypted) files found.")
  private Long unencrypted;

  @JsonPropertyDescription(
      "Parquet files among total: those with Parquet Modular Encryption (counted by key like"
          + " partitions) and those the worker could not parse (counted unreadable).")
  private Long parquet;

  @JsonPropertyDescription(
      "Plaintext Parquet files found and left as they are (not in total); spec.parquet."
          + "encryptPlaintext encrypts them.")
  private Long plaintextParquet;

  public Long getParquet() {
    return parquet;
  }

  public void setParquet(Long parquet) {
    this.parquet = parquet;
  }

  public Long getPlaintextParquet() {
    return plaintextParquet;
  }

  public void setPlaintextParquet(Long plaintextParquet) {
    this.plaintextParquet = plaintextParquet;
  }

  public Long getTotal() {
    return total;
  }

  public void setTotal(Long total) {
    this.total = total;
  }

  public Long getAlreadyOnTarget() {
    return alreadyOnTarget;
  }

  public void setAlreadyOnTarget(Long alreadyOnTarget) {
    this.alreadyOnTarget = alreadyOnTarget;
  }

  public Long getRebuilt() {
    return rebuilt;
  }

  public void setRebuilt(Long rebuilt) {
    this.rebuilt = rebuilt;
  }

  public Long getFailed() {
    return failed;
  }

  public void setFailed(Long failed) {
    this.failed = failed;
  }

  public Long getUnrecoverable() {
    return unrecoverable;
  }

  public void setUnrecoverable(Long unrecoverable) {
    this.unrecoverable = unrecoverable;
  }

  public Long getUnencrypted() {
    return unencrypted;
  }

  public void setUnencrypted(Long unencrypted) {
    this.unencrypted = unencrypted;
  }
}
