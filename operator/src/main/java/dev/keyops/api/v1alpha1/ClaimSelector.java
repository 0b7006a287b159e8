package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/**
 * Every PersistentVolumeClaim of the namespace whose labels include {@code matchLabels} (a
 * StatefulSet's per-replica claims, including those created later), each with the same subPath and
 * globs.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.matchLabels.size() > 0",
    message =
        "selector.matchLabels must name at least one label (an empty selector would match every"
            + " claim of the namespace)")
public class ClaimSelector {

  @Required
  @JsonPropertyDescription(
      "Labels a PersistentVolumeClaim must all carry to be a location, for example the labels"
          + " of a StatefulSet's volumeClaimTemplates (app: db matches db-data-0, db-data-1, ...)."
          + " Claims created later are covered as soon as they exist.")
  private Map<String, String> matchLabels;

  @Pattern("^[^/].*$")
  @JsonPropertyDescription(
      "Directory inside each matching volume that holds the partitions (relative path)."
          + " Default: the whole volume.")
  private String subPath;

  @Size(max = 32)
  @JsonPropertyDescription(Globs.INCLUDE)
  private List<String> include;

  @Size(max = 32)
  @JsonPropertyDescription(Globs.EXCLUDE)
  private List<String> exclude;

  public Map<String, String> getMatchLabels() {
    return matchLabels;
  }

  public void setMatchLabels(Map<String, String> matchLabels) {
    this.matchLabels = matchLabels;
  }

  public String getSubPath() {
    return subPath;
  }

  public void setSubPath(String subPath) {
    this.subPath = subPath;
  }

  public List<String> getInclude() {
    return include;
  }

  public void setInclude(List<String> include) {
    this.include = include;
  }

  public List<String> getExclude() {
    return exclude;
  }

  public void setExclude(List<String> exclude) {
    this.exclude = exclude;
  }
}
