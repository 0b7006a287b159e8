package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** Observed state of an {@link EncryptionKey}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription(
    "Observed state of the key, written by keyops: lifecycle state, key id and fingerprint, Cloud KMS details, the last partition inventory, and conditions.")
public class EncryptionKeyStatus extends KeyopsStatus {

  @JsonPropertyDescription(
      "Lifecycle state: Staged, Primary, Retired, Disabled or DestroyScheduled.")
  private KeyState state;

  @JsonPropertyDescription("The provider kind: managed, secretRef or gcpKms.")
  private ProviderKind provider;

  @JsonPropertyDescription(
      "Stable identifier of this key within its key ring, written into every partition it"
          + " protects. Derived from nothing secret and never reused.")
  private String keyId;

  @JsonPropertyDescription(
      "Key check value: the first 8 bytes, in hex, of HMAC-SHA256(key, \"keyops key check value\")."
          + " Lets you confirm which material you gave without revealing it.")
  private String fingerprint;

  @JsonPropertyDescription(
      "When keyops first listed the key in the keyring Secret: readers learn it from then on, and"
          + " its stagedFor counts from this instant.")
  private String inKeyringSince;

  @JsonPropertyDescription(
      "When the key became eligible for promotion (activate true, Ready, and Staged for its"
          + " stagedFor since inKeyringSince).")
  private String eligibleAt;

  @JsonPropertyDescription("When the key became Primary.")
  private String activatedAt;

  @JsonPropertyDescription("When the key was Retired.")
  private String retiredAt;

  @JsonPropertyDescription(
      "When the material of this deleted key is destroyed (state DestroyScheduled).")
  private String destroyTime;

  @JsonPropertyDescription("Partitions last seen on this key by a completed ReencryptionJob.")
  private PartitionCount partitions;

  @JsonPropertyDescription("Cloud KMS details for gcpKms keys.")
  private KmsStatus kms;

  public KeyState getState() {
    return state;
  }

  public void setState(KeyState state) {
    this.state = state;
  }

  public ProviderKind getProvider() {
    return provider;
  }

  public void setProvider(ProviderKind provider) {
    this.provider = provider;
  }

  public String getKeyId() {
    return keyId;
  }

  public void setKeyId(String keyId) {
    this.keyId = keyId;
  }

  public String getFingerprint() {
    return fingerprint;
  }

  public void setFingerprint(String fingerprint) {
    this.fingerprint = fingerprint;
  }

  public String getInKeyringSince() {
    return inKeyringSince;
  }

  public void setInKeyringSince(String inKeyringSince) {
    this.inKeyringSince = inKeyringSince;
  }

  public String getEligibleAt() {
    return eligibleAt;
  }

  public void setEligibleAt(String eligibleAt) {
    this.eligibleAt = eligibleAt;
  }

  public String getActivatedAt() {
    return activatedAt;
  }

  public void setActivatedAt(String activatedAt) {
    this.activatedAt = activatedAt;
  }

  public String getRetiredAt() {
    return retiredAt;
  }

  public void setRetiredAt(String retiredAt) {
    this.retiredAt = retiredAt;
  }

  public String getDestroyTime() {
    return destroyTime;
  }

  public void setDestroyTime(String destroyTime) {
    this.destroyTime = destroyTime;
  }

  public PartitionCount getPartitions() {
    return partitions;
  }

  public void setPartitions(PartitionCount partitions) {
    this.partitions = partitions;
  }

  public KmsStatus getKms() {
    return kms;
  }

  public void setKms(KmsStatus kms) {
    this.kms = kms;
  }

  @Override
  @JsonPropertyDescription(
      "Conditions: Ready (valid, usable material), KmsAccessVerified, DataAtRisk, Promoted,"
          + " DropBlocked while a drop is refused, Disabled, DestroyScheduled, Reconciled (the last"
          + " error the operator met, if any), and for kstatus and kubectl wait: Reconciling (True"
          + " while keyops works on the key by itself) and Stalled (True while it cannot progress"
          + " without someone acting; the reason says why).")
  public List<Condition> getConditions() {
    return super.getConditions();
  }
}
