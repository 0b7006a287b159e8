package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/**
 * Bring your own key from AWS KMS. keyops generates a data key, wraps it with KMS Encrypt (bound to
 * the encryption context {@code keyops: v1/<namespace>/<keyRing>/<name>} plus the user's entries)
 * and keeps only the ciphertext blob.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.keyId.startsWith('arn:') || has(self.region)",
    message =
        "spec.provider.awsKms.region is required when keyId is alias/NAME (or give the alias ARN)")
@ValidationRule(
    value =
        "!self.keyId.startsWith('arn:') || !has(self.region)"
            + " || self.keyId.matches('^arn:[^:]+:kms:' + self.region + ':')",
    message = "spec.provider.awsKms.region must match the region in the keyId ARN (or be omitted)")
public class AwsKmsProvider {

  @Required
  @Size(min = 1, max = 2048) // bounds the CEL cost estimate of the rules
  @ValidationRule(
      value =
          "self.matches('^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$')"
              + " || self.matches('^alias/[A-Za-z0-9/_-]+$')",
      message =
          "spec.provider.awsKms.keyId must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an"
              + " alias ARN (arn:aws:kms:REGION:ACCOUNT:alias/NAME) or alias/NAME")
  @ValidationRule(
      value = "!self.startsWith('alias/aws/')",
      message =
          "spec.provider.awsKms.keyId names an AWS managed key (alias/aws/...), which only AWS"
              + " services may use: create a customer managed key")
  @JsonPropertyDescription(
      "The AWS KMS key that wraps the data key (a symmetric SYMMETRIC_DEFAULT key for"
          + " ENCRYPT_DECRYPT): its key ARN, an alias ARN, or alias/NAME with region. The"
          + " operator's identity needs kms:DescribeKey, kms:Encrypt and kms:Decrypt on it;"
          + " workloads need kms:Decrypt.")
  private String keyId;

  @Size(max = 64)
  @ValidationRule(
      value = "self.matches('^[a-z]{2}(-[a-z]+)+-[0-9]+$')",
      message = "spec.provider.awsKms.region must be an AWS region such as eu-west-1")
  @JsonPropertyDescription(
      "AWS region of the key, e.g. eu-west-1; required with alias/NAME, taken from the ARN"
          + " otherwise.")
  private String region;

  @Size(max = 2048)
  @ValidationRule(
      value = "self.matches('^https?://[^/?#\\\\s]+(/[^?#\\\\s]*)?$')",
      message =
          "spec.provider.awsKms.endpoint must be an http(s) URL, e.g."
              + " https://vpce-1234.kms.eu-west-1.vpce.amazonaws.com")
  @JsonPropertyDescription(
      "A KMS endpoint other than the region's default (a VPC endpoint); empty for the default.")
  private String endpoint;

  @JsonPropertyDescription(
      "A Secret in the key's namespace with the keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and"
          + " optionally AWS_SESSION_TOKEN. When absent, the operator uses the AWS default"
          + " credentials chain: IRSA or EKS Pod Identity through its ServiceAccount.")
  private AwsCredentialsSecretRef credentialsSecretRef;

  @Size(max = 8)
  @ValidationRule(
      value = "!('keyops' in self)",
      message =
          "spec.provider.awsKms.encryptionContext must not set the key 'keyops': keyops binds it"
              + " to the key's namespace, key ring and name")
  @JsonPropertyDescription(
      "Extra encryption context entries bound to the wrapped data key (they appear in CloudTrail"
          + " and can be used in key policy conditions); immutable like the whole provider, as"
          + " the data key can only be unwrapped with the context it was wrapped with. keyops"
          + " always adds keyops: v1/<namespace>/<keyRing>/<name>.")
  private Map<String, String> encryptionContext;

  public String getKeyId() {
    return keyId;
  }

  public void setKeyId(String keyId) {
    this.keyId = keyId;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public AwsCredentialsSecretRef getCredentialsSecretRef() {
    return credentialsSecretRef;
  }

  public void setCredentialsSecretRef(AwsCredentialsSecretRef credentialsSecretRef) {
    this.credentialsSecretRef = credentialsSecretRef;
  }

  public Map<String, String> getEncryptionContext() {
    return encryptionContext;
  }

  public void setEncryptionContext(Map<String, String> encryptionContext) {
    this.encryptionContext = encryptionContext;
  }
}
