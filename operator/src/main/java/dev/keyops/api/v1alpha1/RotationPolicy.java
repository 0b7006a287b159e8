package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Automatic rotation of a key ring. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RotationPolicy {

  /** Go-style durations in hours, minutes and seconds, as CEL's duration() reads them. */
  public static final String DURATION_PATTERN = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$";

  @Required
  @Pattern(DURATION_PATTERN)
  @ValidationRule(
      value = "self != '' && duration(self) >= duration('1h')",
      message = "period must be at least 1h (for example 2160h for 90 days)")
  @JsonPropertyDescription(
      "How often a new key is created, as a duration in hours, minutes and seconds (for example"
          + " 2160h for 90 days). At least 1h. Counted from the last rotation, else from when the"
          + " current Primary was activated, else from the KeyRing's creation.")
  private String period;

  @JsonPropertyDescription(
      "The provider of new keys: managed or gcpKms. Absent: keyops cannot make new material"
          + " (a ring of customer secretRef keys); the RotationDue condition says when a rotation"
          + " by hand is due.")
  private KeyTemplate keyTemplate;

  @Default("10m")
  @Pattern(DURATION_PATTERN)
  @ValidationRule(value = "self != ''", message = "stagedFor must be a duration such as 10m")
  @JsonPropertyDescription(
      "How long a new key stays Staged (decrypt-only, so every reader learns it) before it is"
          + " activated. Default 10m.")
  private String stagedFor = "10m";

  @JsonPropertyDescription(
      "Rotate now: set to a new RFC 3339 time (for example the output of date -u"
          + " +%Y-%m-%dT%H:%M:%SZ). The value acted on is kept in status.rotationRequestHandled;"
          + " the annotation keyops.dev/rotate-requested does the same.")
  private String requestedAt;

  public String getPeriod() {
    return period;
  }

  public void setPeriod(String period) {
    this.period = period;
  }

  public KeyTemplate getKeyTemplate() {
    return keyTemplate;
  }

  public void setKeyTemplate(KeyTemplate keyTemplate) {
    this.keyTemplate = keyTemplate;
  }

  public String getStagedFor() {
    return stagedFor;
  }

  public void setStagedFor(String stagedFor) {
    this.stagedFor = stagedFor;
  }

  public String getRequestedAt() {
    return requestedAt;
  }

  public void setRequestedAt(String requestedAt) {
    this.requestedAt = requestedAt;
  }
}
