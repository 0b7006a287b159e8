package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Desired state of an {@link EncryptionKey}. */
@ValidationRule(
    value = "!has(oldSelf.activate) || !oldSelf.activate || (has(self.activate) && self.activate)",
    message =
        "activate cannot be set back to false: a key stays activated until another key is"
            + " activated; to stop using it, activate a newer key")
@JsonClassDescription(
    "Desired state of the key: its key ring, where its material comes from, and whether it should become the ring's Primary.")
public class EncryptionKeySpec {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
  @Size(min = 1, max = 54)
  @ValidationRule(
      value = "self == oldSelf",
      message = "keyRing is immutable: create a new EncryptionKey for another key ring")
  @JsonPropertyDescription(
      "The key ring (data set) this key protects: a DNS label of at most 54 characters."
          + " All keys of one key ring in one namespace form its keyring; at most one is Primary."
          + " Immutable.")
  private String keyRing;

  @Required
  @ValidationRule(
      value = "self == oldSelf",
      message = "provider is immutable: create a new EncryptionKey to use other key material")
  @JsonPropertyDescription(
      "Where the key material comes from: exactly one of managed, secretRef or gcpKms. Immutable.")
  private Provider provider;

  @Default("false")
  @JsonPropertyDescription(
      "Ask for this key to become the Primary (encrypting) key of its key ring once it is Ready."
          + " Once true it can never be set back to false; activating a newer key retires this one.")
  private Boolean activate = false;

  @Pattern(RotationPolicy.DURATION_PATTERN)
  @ValidationRule(
      value = "self != ''",
      message = "stagedFor must be a duration in hours, minutes and seconds such as 2m, 90s or 0s")
  @JsonPropertyDescription(
      "How long the key stays Staged (decrypt-only) after keyops first listed it in the keyring"
          + " Secret before it can become the Primary, so that every reader (kubelets refresh a"
          + " mounted Secret a minute or more apart) knows it before any writer encrypts with it."
          + " A duration such as 2m, 90s or 0s. Default: the operator's setting"
          + " (KEYOPS_STAGED_FOR, 2m).")
  private String stagedFor;

  @JsonPropertyDescription(
      "Take a Retired key out of the keyring Secret (state Disabled: workloads can no longer"
          + " decrypt with it) while keeping its material; false returns it to Retired. Refused"
          + " while the last inventory finds partitions on the key. Primary and Staged keys cannot"
          + " be disabled.")
  private Boolean disabled;

  public String getKeyRing() {
    return keyRing;
  }

  public void setKeyRing(String keyRing) {
    this.keyRing = keyRing;
  }

  public Provider getProvider() {
    return provider;
  }

  public void setProvider(Provider provider) {
    this.provider = provider;
  }

  public Boolean getActivate() {
    return activate;
  }

  public void setActivate(Boolean activate) {
    this.activate = activate;
  }

  public String getStagedFor() {
    return stagedFor;
  }

  public void setStagedFor(String stagedFor) {
    this.stagedFor = stagedFor;
  }

  public Boolean getDisabled() {
    return disabled;
  }

  public void setDisabled(Boolean disabled) {
    this.disabled = disabled;
  }

  /** True when {@code disabled} is set to true. */
  public boolean disableRequested() {
    return Boolean.TRUE.equals(disabled);
  }

  /** True when {@code activate} is set to true. */
  public boolean activationRequested() {
    return Boolean.TRUE.equals(activate);
  }
}
