package dev.keyops.kms.aws;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Unwraps awsKms keys' data keys for the partition library and the worker with AWS KMS {@code
 * Decrypt}, as the process's own identity: the AWS SDK's default credentials chain (IRSA or EKS Pod
 * Identity through the pod's ServiceAccount, {@code AWS_ACCESS_KEY_ID}/{@code
 * AWS_SECRET_ACCESS_KEY} in the environment, an instance profile). One client per key, region and
 * endpoint, created on first use; the keyring calls it once per key per process. Connection
 * failures, timeouts, throttling and 5xx are transient (the keyring retries them); AccessDenied,
 * NotFound, Disabled and a wrong encryption context are final.
 */
public final class AwsKmsDataKeyUnwrapper implements DataKeyUnwrapper, AutoCloseable {

  public static final String PROVIDER = "awsKms";

  private final Function<AwsKmsTarget, AwsKmsGateway> factory;
  private final Map<AwsKmsTarget, AwsKmsGateway> gateways = new ConcurrentHashMap<>();

  /** An unwrapper that creates one gateway per AWS KMS key with {@code factory}. */
  public AwsKmsDataKeyUnwrapper(Function<AwsKmsTarget, AwsKmsGateway> factory) {
    this.factory = factory;
  }

  /** An unwrapper that calls AWS KMS as the default credentials chain's identity. */
  public static AwsKmsDataKeyUnwrapper withDefaultCredentials() {
    return new AwsKmsDataKeyUnwrapper(
        target -> new SdkAwsKmsGateway(target, null, Duration.ofSeconds(30)));
  }

  @Override
  public byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
    throw new PartitionException(
        PartitionException.Kind.KEY_UNAVAILABLE,
        "the keyring entry of AWS KMS key "
            + kmsKeyName
            + " names no region or encryption context");
  }

  @Override
  public byte[] unwrap(KeyBundleDocument.Entry entry, byte[] wrappedKey, byte[] associatedData) {
    KeyBundleDocument.AwsKms where = entry.awsKms();
    if (where == null || where.encryptionContext() == null) {
      return unwrap(entry.kmsKeyName(), wrappedKey, associatedData);
    }
    AwsKmsTarget target;
    try {
      target = new AwsKmsTarget(where.keyId(), where.region(), where.endpoint());
    } catch (IllegalArgumentException e) {
      throw new PartitionException(PartitionException.Kind.KEY_UNAVAILABLE, e.getMessage());
    }
    AwsKmsGateway gateway = gateways.computeIfAbsent(target, factory);
    try {
      return gateway.decrypt(wrappedKey, where.encryptionContext());
    } catch (AwsKmsException e) {
      if (e.transientFailure()) {
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "AWS KMS could not unwrap the data key for now (" + e.getMessage() + "); retry later",
            true);
      }
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "AWS KMS cannot unwrap the data key: "
              + e.getMessage()
              + (e.kind() == AwsKmsException.Kind.ACCESS_DENIED
                      || e.kind() == AwsKmsException.Kind.UNAUTHENTICATED
                  ? " (the workload's IAM role needs {\"Effect\": \"Allow\", \"Action\":"
                      + " \"kms:Decrypt\", \"Resource\": \""
                      + target.policyResource()
                      + "\"})"
                  : ""));
    }
  }

  @Override
  public void close() {
    gateways.values().forEach(AwsKmsGateway::close);
    gateways.clear();
  }
}
