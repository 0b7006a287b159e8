package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One partition that could not be rebuilt. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PartitionFailure {
  @JsonPropertyDescription("Partition path relative to the storage directory.")
  private String partition;

  @JsonPropertyDescription("The key id the partition is on, if known.")
  private String keyId;

  @JsonPropertyDescription("Why it could not be rebuilt.")
  private String reason;

  public PartitionFailure() {}

  public PartitionFailure(String partition, String keyId, String reason) {
    this.partition = partition;
    this.keyId = keyId;
    this.reason = reason;
  }

  public String getPartition() {
    return partition;
  }

  public void setPartition(String partition) {
    this.partition = partition;
  }

  public String getKeyId() {
    return keyId;
  }

  public void setKeyId(String keyId) {
    this.keyId = keyId;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }
}
