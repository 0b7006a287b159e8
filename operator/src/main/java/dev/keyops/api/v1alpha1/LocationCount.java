package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** What the last complete scan of one location (a claim, or a claim's subPath) found on a key. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LocationCount {

  @JsonPropertyDescription("The location: <claimName> or <claimName>/<subPath>.")
  private String name;

  @JsonPropertyDescription("Partitions on this key in that location.")
  private Long count;

  @JsonPropertyDescription(
      "Files of that location the scan could not read: their key is unknown, so they block"
          + " dropping any Retired key of the ring.")
  private Long unreadable;

  @JsonPropertyDescription("Up to 3 unreadable files, with why.")
  private List<UnreadableFile> unreadableSamples;

  @JsonPropertyDescription(
      "When the scan began listing files (the earliest start over the job's shards): only data"
          + " written before this instant is sure to be counted.")
  private String scanStartedAt;

  @JsonPropertyDescription("When the scan completed.")
  private String countedAt;

  @JsonPropertyDescription("The ReencryptionJob whose scan this is.")
  private String countedBy;

  public LocationCount() {}

  public LocationCount(
      String name,
      long count,
      long unreadable,
      List<UnreadableFile> unreadableSamples,
      String scanStartedAt,
      String countedAt,
      String countedBy) {
    this.name = name;
    this.count = count;
    this.unreadable = unreadable;
    this.unreadableSamples =
        unreadableSamples == null || unreadableSamples.isEmpty() ? null : unreadableSamples;
    this.scanStartedAt = scanStartedAt;
    this.countedAt = countedAt;
    this.countedBy = countedBy;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public Long getCount() {
    return count;
  }

  public void setCount(Long count) {
    this.count = count;
  }

  public Long getUnreadable() {
    return unreadable;
  }

  public void setUnreadable(Long unreadable) {
    this.unreadable = unreadable;
  }

  public List<UnreadableFile> getUnreadableSamples() {
    return unreadableSamples;
  }

  public void setUnreadableSamples(List<UnreadableFile> unreadableSamples) {
    this.unreadableSamples = unreadableSamples;
  }

  public String getScanStartedAt() {
    return scanStartedAt;
  }

  public void setScanStartedAt(String scanStartedAt) {
    this.scanStartedAt = scanStartedAt;
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
