package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** A time window (UTC) in which a rebuild may run (Allow) or must not run (Deny). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RebuildWindow {

  /** Whether a window allows or denies running. */
  public enum Kind {
    Allow,
    Deny
  }

  @Required
  @JsonPropertyDescription(
      "Allow: the job runs only inside an Allow window (when any is given). Deny: the job never"
          + " runs inside it (Deny wins over Allow).")
  private Kind kind;

  @Required
  @Pattern("^\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\S+$")
  @JsonPropertyDescription(
      "When the window opens: a cron schedule of 5 fields (minute hour day-of-month month"
          + " day-of-week) in UTC, with *, lists (1,5), ranges (1-5) and steps (*/15); for example"
          + " '0 22 * * 1-5' for 22:00 UTC on weekdays.")
  private String schedule;

  @Required
  @Pattern(RotationPolicy.DURATION_PATTERN)
  @ValidationRule(
      value =
          "self != '' && duration(self) >= duration('1m') && duration(self) <= duration('168h')",
      message = "duration must be between 1m and 168h (for example 8h)")
  @JsonPropertyDescription("How long the window stays open, for example 8h. 1m to 168h.")
  private String duration;

  public Kind getKind() {
    return kind;
  }

  public void setKind(Kind kind) {
    this.kind = kind;
  }

  public String getSchedule() {
    return schedule;
  }

  public void setSchedule(String schedule) {
    this.schedule = schedule;
  }

  public String getDuration() {
    return duration;
  }

  public void setDuration(String duration) {
    this.duration = duration;
  }
}
