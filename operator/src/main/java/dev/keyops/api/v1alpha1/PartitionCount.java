package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How many partitions a completed inventory found on a key. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PartitionCount {

  @JsonPropertyDescription(
      "Number of partitions on this key (in every location the last job scanned).")
  private Long count;

  @JsonPropertyDescription("When the inventory was completed.")
  private String countedAt;

  @JsonPropertyDescription("The ReencryptionJob whose inventory counted them.")
  private String countedBy;

  @JsonPropertyDescription(
      "Per location (claim or claim/subPath) ever scanned for this key ring: what its last complete"
          + " scan found on this key, and when that scan started. The drop guard reads these.")
  private java.util.List<LocationCount> locations;

  public PartitionCount() {}

  public java.util.List<LocationCount> getLocations() {
    return locations;
  }

  public void setLocations(java.util.List<LocationCount> locations) {
    this.locations = locations;
  }

  public PartitionCount(long count, String countedAt, String countedBy) {
    this.count = count;
    this.countedAt = countedAt;
    this.countedBy = countedBy;
  }

  public Long getCount() {
    return count;
  }

  public void setCount(Long count) {
    this.count = count;
  }

  public String getCountedAt() {
    return countedAt;
  }

  public void setCountedAt(String countedAt) {
    this.countedAt = countedAt;
  }

  public String getCountedBy() {
    return countedBy;
  }

  public void setCountedBy(String countedBy) {
    this.countedBy = countedBy;
  }
}
