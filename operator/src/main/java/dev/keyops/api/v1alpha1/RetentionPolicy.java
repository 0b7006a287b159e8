package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** Retention of a key ring's Retired keys. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetentionPolicy {

  @Pattern(RotationPolicy.DURATION_PATTERN)
  @JsonPropertyDescription(
      "Disable (spec.disabled: true) a Retired key this long after an inventory completed after"
          + " its retirement found no partition on it. Absent: never automatically.")
  private String disableAfter;

  @Pattern(RotationPolicy.DURATION_PATTERN)
  @JsonPropertyDescription(
      "When a Retired or Disabled key without data is deleted, keep its material this long"
          + " (state DestroyScheduled, status.destroyTime) before destroying it. Absent: the"
          + " operator-wide default KEYOPS_DESTROY_AFTER (0 unless configured: destroyed at once).")
  private String destroyAfter;

  public String getDisableAfter() {
    return disableAfter;
  }

  public void setDisableAfter(String disableAfter) {
    this.disableAfter = disableAfter;
  }

  public String getDestroyAfter() {
    return destroyAfter;
  }

  public void setDestroyAfter(String destroyAfter) {
    this.destroyAfter = destroyAfter;
  }
}
