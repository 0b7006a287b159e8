package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** One claim of a storage list: the claim, a directory in it, and which files are partitions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StorageClaim {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
  @JsonPropertyDescription("Name of the PersistentVolumeClaim, in the same namespace.")
  private String claimName;

  @Pattern("^[^/].*$")
  @JsonPropertyDescription(
      "Directory inside the volume that holds the partitions (relative path). Default: the whole"
          + " volume. The location is named <claimName>/<subPath>.")
  private String subPath;

  @Size(max = 32)
  @JsonPropertyDescription(Globs.INCLUDE)
  private List<String> include;

  @Size(max = 32)
  @JsonPropertyDescription(Globs.EXCLUDE)
  private List<String> exclude;

  public StorageClaim() {}

  public StorageClaim(String claimName, String subPath) {
    this.claimName = claimName;
    this.subPath = subPath;
  }

  public String getClaimName() {
    return claimName;
  }

  public void setClaimName(String claimName) {
    this.claimName = claimName;
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
