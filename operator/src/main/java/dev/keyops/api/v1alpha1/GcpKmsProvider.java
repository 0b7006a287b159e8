package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Bring-your-own-key from Google Cloud KMS. */
public class GcpKmsProvider {

  /** The resource-name shape, also used by the schema. */
  public static final String KEY_NAME_PATTERN =
      "^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$";

  @Required
  @Pattern(KEY_NAME_PATTERN)
  @JsonPropertyDescription(
      "Cloud KMS key resource name: projects/{project}/locations/{location}/keyRings/{keyRing}"
          + "/cryptoKeys/{cryptoKey}. The operator's identity needs"
          + " roles/cloudkms.cryptoKeyEncrypterDecrypter and roles/cloudkms.viewer on it.")
  private String keyName;

  @JsonPropertyDescription(
      "A Secret holding a Google service-account JSON key. When absent, Application Default"
          + " Credentials (for example GKE Workload Identity) are used.")
  private SecretKeySelector credentialsSecretRef;

  public GcpKmsProvider() {}

  public GcpKmsProvider(String keyName) {
    this.keyName = keyName;
  }

  public String getKeyName() {
    return keyName;
  }

  public void setKeyName(String keyName) {
    this.keyName = keyName;
  }

  public SecretKeySelector getCredentialsSecretRef() {
    return credentialsSecretRef;
  }

  public void setCredentialsSecretRef(SecretKeySelector credentialsSecretRef) {
    this.credentialsSecretRef = credentialsSecretRef;
  }
}
