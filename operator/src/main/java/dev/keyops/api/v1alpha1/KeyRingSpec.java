package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** The policy of a key ring. Every part is optional. */
@JsonClassDescription("The policy of the key ring: rotation, reencryption and retention.")
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.reencryption) || has(self.reencryption.storage) || has(self.storage)",
    message =
        "reencryption needs to know where the partitions are: set spec.storage (the ring's"
            + " declared locations) or spec.reencryption.storage")
public class KeyRingSpec {

  @JsonPropertyDescription(
      "Where the ring's data lives: every location (claim, or claim and subPath) declared here"
          + " needs a fresh, complete scan before a Retired key of the ring is dropped, disabled or"
          + " destroyed; ReencryptionJobs this KeyRing creates scan them all unless"
          + " reencryption.storage says otherwise. Declare every volume writers use.")
  private RingStorage storage;

  @JsonPropertyDescription(
      "Automatic rotation: every period keyops creates a new EncryptionKey (owned by this"
          + " KeyRing), keeps it Staged for stagedFor so every reader learns it, then activates it."
          + " Absent: keys are rotated by hand, as without a KeyRing.")
  private RotationPolicy rotation;

  @JsonPropertyDescription(
      "What follows a rotation made by this KeyRing: absent, nothing; otherwise a ReencryptionJob"
          + " created (owned by this KeyRing) once the new key is Primary.")
  private ReencryptionPolicy reencryption;

  @JsonPropertyDescription(
      "What happens to Retired keys whose partitions are all rebuilt: disabling and scheduled"
          + " destruction. Never while an inventory finds data on a key.")
  private RetentionPolicy retention;

  public RingStorage getStorage() {
    return storage;
  }

  public void setStorage(RingStorage storage) {
    this.storage = storage;
  }

  public RotationPolicy getRotation() {
    return rotation;
  }

  public void setRotation(RotationPolicy rotation) {
    this.rotation = rotation;
  }

  public ReencryptionPolicy getReencryption() {
    return reencryption;
  }

  public void setReencryption(ReencryptionPolicy reencryption) {
    this.reencryption = reencryption;
  }

  public RetentionPolicy getRetention() {
    return retention;
  }

  public void setRetention(RetentionPolicy retention) {
    this.retention = retention;
  }
}
