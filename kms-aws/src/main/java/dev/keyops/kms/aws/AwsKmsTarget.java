package dev.keyops.kms.aws;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where an AWS KMS key lives.
 *
 * @param keyId a key ARN ({@code arn:aws:kms:REGION:ACCOUNT:key/ID}), an alias ARN ({@code
 *     arn:aws:kms:REGION:ACCOUNT:alias/NAME}) or {@code alias/NAME}
 * @param region the AWS region: the ARN's, or the one given (required with {@code alias/NAME})
 * @param endpoint a KMS endpoint other than the region's default (a VPC endpoint, a local server),
 *     or null
 */
public record AwsKmsTarget(String keyId, String region, String endpoint) {

  /** A KMS key or alias ARN (any partition: aws, aws-cn, aws-us-gov, ...). */
  public static final Pattern ARN =
      Pattern.compile(
          "^arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$");

  /** An alias name without an ARN. */
  public static final Pattern ALIAS = Pattern.compile("^alias/[A-Za-z0-9/_-]+$");

  public AwsKmsTarget {
    if (keyId == null || keyId.isBlank()) {
      throw new IllegalArgumentException(
          "keyId is empty: give a key ARN, an alias ARN or alias/NAME");
    }
    keyId = keyId.strip();
    region = region == null || region.isBlank() ? null : region.strip();
    endpoint = endpoint == null || endpoint.isBlank() ? null : endpoint.strip();
    Matcher arn = ARN.matcher(keyId);
    if (arn.matches()) {
      if (region != null && !region.equals(arn.group(1))) {
        throw new IllegalArgumentException(
            "keyId " + keyId + " is in region " + arn.group(1) + " but region says " + region);
      }
      region = arn.group(1);
    } else if (ALIAS.matcher(keyId).matches()) {
      if (keyId.startsWith("alias/aws/")) {
        throw new IllegalArgumentException(
            "keyId "
                + keyId
                + " is an AWS managed key, which only AWS services may use: create a customer"
                + " managed key");
      }
      if (region == null) {
        throw new IllegalArgumentException(
            "keyId " + keyId + " is an alias name: set region (or give the alias ARN)");
      }
    } else {
      throw new IllegalArgumentException(
          "keyId "
              + keyId
              + " is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias ARN"
              + " (arn:aws:kms:REGION:ACCOUNT:alias/NAME) or alias/NAME");
    }
    if (endpoint != null) {
      if (!(endpoint.startsWith("https://") || endpoint.startsWith("http://"))) {
        throw new IllegalArgumentException("endpoint must be an http(s) URL: " + endpoint);
      }
      endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
      URI.create(endpoint); // fails on a malformed URL
    }
  }

  /** Where calls go, for messages: the endpoint, or the region. */
  public String where() {
    return endpoint == null ? "region " + region : endpoint + " (region " + region + ")";
  }

  /** The Resource of an IAM statement for this key: its ARN, or a placeholder for an alias. */
  public String policyResource() {
    return keyId.startsWith("arn:") && keyId.contains(":key/")
        ? keyId
        : "<the key ARN behind " + keyId + ">";
  }
}
