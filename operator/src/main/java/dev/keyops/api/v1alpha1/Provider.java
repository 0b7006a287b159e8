package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** The source of an {@link EncryptionKey}'s material: exactly one field is set. */
@ValidationRule(
    value =
        "[has(self.managed), has(self.secretRef), has(self.gcpKms), has(self.transit),"
            + " has(self.awsKms)].filter(x, x).size() == 1",
    message = "exactly one provider must be set: managed, secretRef, gcpKms, transit or awsKms")
public class Provider {

  @JsonPropertyDescription(
      "The operator generates 32 random bytes once and keeps them in a Secret owned by the key;"
          + " dropping the key deletes the material (crypto-shredding).")
  private ManagedProvider managed;

  @JsonPropertyDescription(
      "A customer-provided key in a Secret of the same namespace: canonical standard Base64"
          + " (RFC 4648 section 4) of exactly 32 bytes.")
  private SecretKeySelector secretRef;

  @JsonPropertyDescription(
      "Bring your own key from Google Cloud KMS: the operator generates a data key, wraps it with"
          + " the Cloud KMS key and keeps only the wrapped data key.")
  private GcpKmsProvider gcpKms;

  @JsonPropertyDescription(
      "Bring your own key from a Transit secrets engine (OpenBao; HashiCorp Vault speaks the same"
          + " API): the operator generates a data key, wraps it with Transit encrypt and keeps"
          + " only the ciphertext.")
  private TransitProvider transit;

  @JsonPropertyDescription(
      "Bring your own key from AWS KMS: the operator generates a data key, wraps it with KMS"
          + " Encrypt (bound to an encryption context naming the key) and keeps only the"
          + " ciphertext blob.")
  private AwsKmsProvider awsKms;

  public AwsKmsProvider getAwsKms() {
    return awsKms;
  }

  public void setAwsKms(AwsKmsProvider awsKms) {
    this.awsKms = awsKms;
  }

  public ManagedProvider getManaged() {
    return managed;
  }

  public void setManaged(ManagedProvider managed) {
    this.managed = managed;
  }

  public SecretKeySelector getSecretRef() {
    return secretRef;
  }

  public void setSecretRef(SecretKeySelector secretRef) {
    this.secretRef = secretRef;
  }

  public GcpKmsProvider getGcpKms() {
    return gcpKms;
  }

  public void setGcpKms(GcpKmsProvider gcpKms) {
    this.gcpKms = gcpKms;
  }

  public TransitProvider getTransit() {
    return transit;
  }

  public void setTransit(TransitProvider transit) {
    this.transit = transit;
  }

  /**
   * The provider's kind as users write it: {@code managed}, {@code secretRef} or {@code gcpKms}.
   */
  @JsonIgnore
  public ProviderKind kind() {
    if (managed != null) {
      return ProviderKind.managed;
    }
    if (secretRef != null) {
      return ProviderKind.secretRef;
    }
    if (gcpKms != null) {
      return ProviderKind.gcpKms;
    }
    if (transit != null) {
      return ProviderKind.transit;
    }
    if (awsKms != null) {
      return ProviderKind.awsKms;
    }
    return null;
  }
}
