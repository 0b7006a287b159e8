package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** Observed state of a {@link KeyRing}. */
@JsonClassDescription(
    "What the operator observed of the key ring: its Primary, rotation times, keys by state and partitions, conditions.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KeyRingStatus extends KeyopsStatus {

  @JsonPropertyDescription("The EncryptionKey that is Primary now.")
  private String primary;

  @JsonPropertyDescription("When this KeyRing last created a new key.")
  private String lastRotationTime;

  @JsonPropertyDescription("When the next automatic rotation is due.")
  private String nextRotationTime;

  @JsonPropertyDescription(
      "The key this KeyRing created and has not activated yet (Staged for spec.rotation.stagedFor).")
  private String pendingKey;

  @JsonPropertyDescription(
      "How many keys this KeyRing has created by rotation; each carries its number in the"
          + " annotation keyops.dev/rotation.")
  private Long rotations;

  @JsonPropertyDescription(
      "The last on-demand rotation request (spec.rotation.requestedAt or the"
          + " keyops.dev/rotate-requested annotation) that was acted on or refused; the condition"
          + " RotationRequest says which, and why.")
  private String rotationRequestHandled;

  @JsonPropertyDescription("The ReencryptionJob created after the last rotation.")
  private String lastReencryptionJob;

  @JsonPropertyDescription(
      "The locations spec.storage declares now (a selector's matching claims included), sorted:"
          + " each needs a fresh scan before a Retired key of the ring can go.")
  private List<String> declaredLocations;

  @JsonPropertyDescription(
      "The keys of the ring, sorted by name, with state, partitions and, for Retired keys,"
          + " whether the drop guard would let them go.")
  private List<RingKey> keys = new ArrayList<>();

  public List<String> getDeclaredLocations() {
    return declaredLocations;
  }

  public void setDeclaredLocations(List<String> declaredLocations) {
    this.declaredLocations = declaredLocations;
  }

  public String getPrimary() {
    return primary;
  }

  public void setPrimary(String primary) {
    this.primary = primary;
  }

  public String getLastRotationTime() {
    return lastRotationTime;
  }

  public void setLastRotationTime(String lastRotationTime) {
    this.lastRotationTime = lastRotationTime;
  }

  public String getNextRotationTime() {
    return nextRotationTime;
  }

  public void setNextRotationTime(String nextRotationTime) {
    this.nextRotationTime = nextRotationTime;
  }

  public String getPendingKey() {
    return pendingKey;
  }

  public void setPendingKey(String pendingKey) {
    this.pendingKey = pendingKey;
  }

  public Long getRotations() {
    return rotations;
  }

  public void setRotations(Long rotations) {
    this.rotations = rotations;
  }

  public String getRotationRequestHandled() {
    return rotationRequestHandled;
  }

  public void setRotationRequestHandled(String rotationRequestHandled) {
    this.rotationRequestHandled = rotationRequestHandled;
  }

  public String getLastReencryptionJob() {
    return lastReencryptionJob;
  }

  public void setLastReencryptionJob(String lastReencryptionJob) {
    this.lastReencryptionJob = lastReencryptionJob;
  }

  public List<RingKey> getKeys() {
    return keys;
  }

  public void setKeys(List<RingKey> keys) {
    this.keys = keys;
  }

  @Override
  @JsonPropertyDescription(
      "Conditions: Ready (True when the policy is applied and no rotation is under way),"
          + " Reconciling (True while rotating), Stalled (True when keyops cannot apply the policy"
          + " by itself: no keyTemplate, or a new key that cannot become Ready), RotationDue and"
          + " ReencryptionPending, and RotationRequest (True when the last"
          + " on-demand request was acted on, False with the reason when it was refused).")
  public List<Condition> getConditions() {
    return super.getConditions();
  }
}
