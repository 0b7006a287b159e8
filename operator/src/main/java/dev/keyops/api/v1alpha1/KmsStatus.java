package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** Cloud KMS details of a gcpKms key. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KmsStatus {

  @JsonPropertyDescription("The Cloud KMS key version that wrapped the data key.")
  private String keyVersion;

  @JsonPropertyDescription("When access to the Cloud KMS key was last checked.")
  private String lastValidated;

  @JsonPropertyDescription("Permissions the operator's identity lacks on the Cloud KMS key.")
  private List<String> missingPermissions;

  @JsonPropertyDescription(
      "Consecutive transient Cloud KMS failures; the key turns not verified only after several.")
  private Integer consecutiveFailures;

  public Integer getConsecutiveFailures() {
    return consecutiveFailures;
  }

  public void setConsecutiveFailures(Integer consecutiveFailures) {
    this.consecutiveFailures = consecutiveFailures;
  }

  public String getKeyVersion() {
    return keyVersion;
  }

  public void setKeyVersion(String keyVersion) {
    this.keyVersion = keyVersion;
  }

  public String getLastValidated() {
    return lastValidated;
  }

  public void setLastValidated(String lastValidated) {
    this.lastValidated = lastValidated;
  }

  public List<String> getMissingPermissions() {
    return missingPermissions;
  }

  public void setMissingPermissions(List<String> missingPermissions) {
    this.missingPermissions = missingPermissions;
  }
}
