package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** Cloud KMS details of a gcpKms key. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KmsStatus {

  @JsonPropertyDescription(
      "The Cloud KMS key version that wraps the stored data key (keyops re-wraps it onto the"
          + " primary version after a Cloud KMS rotation).")
  private String keyVersion;

  @JsonPropertyDescription(
      "State of that key version at the last check: ENABLED, DISABLED, DESTROY_SCHEDULED,"
          + " DESTROYED (awsKms keys: the key's KeyState, e.g. Enabled, Disabled,"
          + " PendingDeletion).")
  private String keyVersionState;

  @JsonPropertyDescription("When a DESTROY_SCHEDULED key version will be destroyed.")
  private String keyVersionDestroyTime;

  @JsonPropertyDescription(
      "awsKms keys: whether AWS KMS rotates the key's material automatically"
          + " (GetKeyRotationStatus); absent when the server does not say.")
  private Boolean automaticRotation;

  public Boolean getAutomaticRotation() {
    return automaticRotation;
  }

  public void setAutomaticRotation(Boolean automaticRotation) {
    this.automaticRotation = automaticRotation;
  }

  @JsonPropertyDescription("When the data key was last re-wrapped onto a new primary version.")
  private String rewrappedAt;

  @JsonPropertyDescription(
      "The last value of the keyops.dev/revalidate-requested annotation that was acted on.")
  private String revalidateRequested;

  @JsonPropertyDescription("When access to the Cloud KMS key was last checked.")
  private String lastValidated;

  @JsonPropertyDescription("Permissions the operator's identity lacks on the Cloud KMS key.")
  private List<String> missingPermissions;

  @JsonPropertyDescription(
      "Consecutive transient Cloud KMS failures; the key turns not verified only after several.")
  private Integer consecutiveFailures;

  public String getKeyVersionState() {
    return keyVersionState;
  }

  public void setKeyVersionState(String keyVersionState) {
    this.keyVersionState = keyVersionState;
  }

  public String getKeyVersionDestroyTime() {
    return keyVersionDestroyTime;
  }

  public void setKeyVersionDestroyTime(String keyVersionDestroyTime) {
    this.keyVersionDestroyTime = keyVersionDestroyTime;
  }

  public String getRewrappedAt() {
    return rewrappedAt;
  }

  public void setRewrappedAt(String rewrappedAt) {
    this.rewrappedAt = rewrappedAt;
  }

  public String getRevalidateRequested() {
    return revalidateRequested;
  }

  public void setRevalidateRequested(String revalidateRequested) {
    this.revalidateRequested = revalidateRequested;
  }

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
