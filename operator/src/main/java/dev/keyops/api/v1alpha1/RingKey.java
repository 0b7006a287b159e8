package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One key of a key ring, as the KeyRing's status lists it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RingKey {

  @JsonPropertyDescription("The EncryptionKey's name.")
  private String name;

  @JsonPropertyDescription("Its state.")
  private KeyState state;

  @JsonPropertyDescription("Partitions the last inventory found on it, if one was recorded.")
  private Long partitions;

  @JsonPropertyDescription(
      "Retired keys only: true when the drop guard's inventory rule lets the key go (fresh scans"
          + " of every known location found nothing on it), false otherwise.")
  private Boolean mayDrop;

  @JsonPropertyDescription(
      "Retired keys that may not go: the drop guard's reason and message (the locations without a"
          + " fresh scan, or with partitions or unreadable files).")
  private String dropBlocked;

  public RingKey() {}

  public RingKey(String name, KeyState state, Long partitions) {
    this.name = name;
    this.state = state;
    this.partitions = partitions;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public KeyState getState() {
    return state;
  }

  public void setState(KeyState state) {
    this.state = state;
  }

  public Long getPartitions() {
    return partitions;
  }

  public void setPartitions(Long partitions) {
    this.partitions = partitions;
  }

  public Boolean getMayDrop() {
    return mayDrop;
  }

  public void setMayDrop(Boolean mayDrop) {
    this.mayDrop = mayDrop;
  }

  public String getDropBlocked() {
    return dropBlocked;
  }

  public void setDropBlocked(String dropBlocked) {
    this.dropBlocked = dropBlocked;
  }
}
