package dev.keyops.kms.aws;

import java.time.Instant;
import java.util.Map;

/**
 * The AWS KMS calls keyops makes. The production implementation is {@link SdkAwsKmsGateway} (the
 * AWS SDK for Java v2); tests run it against a real local server (moto), never a mock.
 */
public interface AwsKmsGateway extends AutoCloseable {

  String DESCRIBE_KEY = "kms:DescribeKey";
  String ENCRYPT = "kms:Encrypt";
  String DECRYPT = "kms:Decrypt";
  String GET_KEY_ROTATION_STATUS = "kms:GetKeyRotationStatus";

  /** The key spec and usage keyops requires. */
  String REQUIRED_SPEC = "SYMMETRIC_DEFAULT";

  String REQUIRED_USAGE = "ENCRYPT_DECRYPT";

  /**
   * A key as DescribeKey describes it.
   *
   * @param arn the key's ARN (an alias resolves to it)
   * @param enabled KeyMetadata.Enabled
   * @param state KeyState: Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ...
   * @param keySpec for example SYMMETRIC_DEFAULT
   * @param usage for example ENCRYPT_DECRYPT
   * @param deletionDate when a key PendingDeletion will be deleted, or null
   * @param origin AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE
   */
  record KeyInfo(
      String arn,
      boolean enabled,
      String state,
      String keySpec,
      String usage,
      Instant deletionDate,
      String origin) {}

  /**
   * A wrapped value.
   *
   * @param ciphertext the ciphertext blob
   * @param keyArn the ARN of the key that encrypted it
   */
  record Wrapped(byte[] ciphertext, String keyArn) {}

  AwsKmsTarget target();

  /** DescribeKey of the target's key. */
  KeyInfo describeKey();

  /** Encrypt under the target's key with an encryption context. */
  Wrapped encrypt(byte[] plaintext, Map<String, String> context);

  /** Decrypt, pinned to the target's key, with the encryption context of the wrap. */
  byte[] decrypt(byte[] ciphertext, Map<String, String> context);

  /**
   * GetKeyRotationStatus of the key {@code keyArn} (the call takes no alias): whether automatic
   * rotation is on, or null when it is not answered (a stand-in that lacks the call, or an identity
   * without kms:GetKeyRotationStatus).
   */
  Boolean rotationEnabled(String keyArn);

  @Override
  void close();
}
