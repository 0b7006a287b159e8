package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * A Secret holding an AWS access key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
 */
public class AwsCredentialsSecretRef {

  @Required
  @JsonPropertyDescription(
      "Name of a Secret in the key's namespace with the keys AWS_ACCESS_KEY_ID,"
          + " AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN.")
  private String name;

  public AwsCredentialsSecretRef() {}

  public AwsCredentialsSecretRef(String name) {
    this.name = name;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
