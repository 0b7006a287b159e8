package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real kube-apiserver: the awsKms provider's schema and CEL rules reject what they should,
 * with messages that name the field, and accept valid keys and a KeyRing keyTemplate.
 */
@Tag("realapi")
class AwsKmsCelTest {

  static final String ARN =
      "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

  @RegisterExtension static final CrdNamespace api = new CrdNamespace("aws-kms-cel");

  static final String KEY =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: %s}
      spec:
        keyRing: orders
        provider:
          awsKms: %s
      """;

  String rejected(String name, String aws) {
    return api.rejected(KEY.formatted(name, aws));
  }

  @Test
  void validAwsKmsKeysAreAccepted() {
    api.create(KEY.formatted("by-arn", "{keyId: '" + ARN + "'}"));
    api.create(KEY.formatted("by-arn-and-region", "{keyId: '" + ARN + "', region: eu-west-1}"));
    api.create(
        KEY.formatted(
            "by-alias-arn", "{keyId: 'arn:aws:kms:us-east-2:123456789012:alias/orders'}"));
    api.create(
        KEY.formatted(
            "by-alias",
            "{keyId: alias/orders, region: eu-central-1,"
                + " endpoint: 'https://vpce-1234.kms.eu-central-1.vpce.amazonaws.com',"
                + " credentialsSecretRef: {name: aws-keys},"
                + " encryptionContext: {team: payments}}"));
    api.create(
        KEY.formatted(
            "gov-cloud", "{keyId: 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/abcd-1234'}"));
  }

  @Test
  void theKeyIdIsAKeyArnAnAliasArnOrAnAliasName() {
    String m =
        rejected("key-uuid", "{keyId: 1234abcd-12ab-34cd-56ef-1234567890ab, region: eu-west-1}");
    assertTrue(m.contains("spec.provider.awsKms.keyId must be a key ARN"), m);
    m = rejected("s3-arn", "{keyId: 'arn:aws:s3:::bucket'}");
    assertTrue(m.contains("spec.provider.awsKms.keyId must be a key ARN"), m);
    m = rejected("aws-managed", "{keyId: alias/aws/ebs, region: eu-west-1}");
    assertTrue(m.contains("spec.provider.awsKms.keyId names an AWS managed key"), m);
    m = rejected("no-key-id", "{region: eu-west-1}");
    assertTrue(m.contains("spec.provider.awsKms.keyId"), m);
  }

  @Test
  void theRegionIsRequiredWithAnAliasNameAndMatchesAnArn() {
    String m = rejected("alias-no-region", "{keyId: alias/orders}");
    assertTrue(m.contains("spec.provider.awsKms.region is required when keyId is alias/NAME"), m);
    m = rejected("region-mismatch", "{keyId: '" + ARN + "', region: us-east-1}");
    assertTrue(m.contains("spec.provider.awsKms.region must match the region in the keyId ARN"), m);
    m = rejected("bad-region", "{keyId: alias/orders, region: Europe}");
    assertTrue(m.contains("spec.provider.awsKms.region must be an AWS region"), m);
  }

  @Test
  void theEndpointIsAnHttpUrlAndTheContextLeavesKeyopsAlone() {
    String m =
        rejected("bad-endpoint", "{keyId: '" + ARN + "', endpoint: 'kms.eu-west-1.amazonaws.com'}");
    assertTrue(m.contains("spec.provider.awsKms.endpoint must be an http(s) URL"), m);
    m =
        rejected(
            "keyops-context",
            "{keyId: '" + ARN + "', encryptionContext: {keyops: 'v1/other/ring/key'}}");
    assertTrue(
        m.contains("spec.provider.awsKms.encryptionContext must not set the key 'keyops'"), m);
    m = rejected("no-secret-name", "{keyId: '" + ARN + "', credentialsSecretRef: {}}");
    assertTrue(m.contains("spec.provider.awsKms.credentialsSecretRef.name"), m);
  }

  @Test
  void awsKmsIsOneProviderAmongOthersAndAKeyTemplate() {
    String m =
        api.rejected(
            """
            apiVersion: keyops.dev/v1alpha1
            kind: EncryptionKey
            metadata: {name: two}
            spec:
              keyRing: orders
              provider:
                managed: {}
                awsKms: {keyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd'}
            """);
    assertTrue(
        m.contains(
            "exactly one provider must be set: managed, secretRef, gcpKms, transit or awsKms"),
        m);
    api.create(
        """
        apiVersion: keyops.dev/v1alpha1
        kind: KeyRing
        metadata: {name: aws-ring}
        spec:
          rotation:
            period: 24h
            keyTemplate:
              awsKms: {keyId: alias/orders, region: eu-west-1, encryptionContext: {team: payments}}
        """);
  }
}
