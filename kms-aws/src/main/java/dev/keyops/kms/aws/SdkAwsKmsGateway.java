package dev.keyops.kms.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DependencyTimeoutException;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.InvalidKeyUsageException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyUnavailableException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * {@link AwsKmsGateway} over the AWS SDK for Java v2 with the JDK's URL connection client. Each
 * call is one HTTP request bounded by the timeout; nothing is retried here (callers back off
 * themselves: the operator's reconcile schedule, the keyring's retries).
 */
public final class SdkAwsKmsGateway implements AwsKmsGateway {

  private final AwsKmsTarget target;
  private final KmsClient kms;

  /**
   * @param credentials the identity to call as, or null for the default chain (environment, IRSA
   *     web identity, EKS Pod Identity, instance profile)
   */
  public SdkAwsKmsGateway(
      AwsKmsTarget target, AwsCredentialsProvider credentials, Duration timeout) {
    this.target = target;
    KmsClientBuilder b =
        KmsClient.builder()
            .region(Region.of(target.region()))
            .credentialsProvider(
                credentials == null ? DefaultCredentialsProvider.builder().build() : credentials)
            .httpClientBuilder(
                UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout))
            .overrideConfiguration(
                c ->
                    c.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(timeout.multipliedBy(2)));
    if (target.endpoint() != null) {
      b.endpointOverride(URI.create(target.endpoint()));
    }
    this.kms = b.build();
  }

  @Override
  public AwsKmsTarget target() {
    return target;
  }

  @Override
  public KeyInfo describeKey() {
    KeyMetadata m =
        call(DESCRIBE_KEY, () -> kms.describeKey(r -> r.keyId(target.keyId())).keyMetadata());
    return new KeyInfo(
        m.arn(),
        Boolean.TRUE.equals(m.enabled()),
        m.keyStateAsString(),
        m.keySpecAsString(),
        m.keyUsageAsString(),
        m.deletionDate(),
        m.originAsString());
  }

  @Override
  public Wrapped encrypt(byte[] plaintext, Map<String, String> context) {
    var r =
        call(
            ENCRYPT,
            () ->
                kms.encrypt(
                    q ->
                        q.keyId(target.keyId())
                            .plaintext(SdkBytes.fromByteArray(plaintext))
                            .encryptionContext(context)));
    return new Wrapped(r.ciphertextBlob().asByteArray(), r.keyId());
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, Map<String, String> context) {
    return call(
            DECRYPT,
            () ->
                kms.decrypt(
                    q ->
                        q.keyId(target.keyId())
                            .ciphertextBlob(SdkBytes.fromByteArray(ciphertext))
                            .encryptionContext(context)))
        .plaintext()
        .asByteArray();
  }

  @Override
  public Boolean rotationEnabled(String keyArn) {
    try {
      return call(
          GET_KEY_ROTATION_STATUS,
          () -> kms.getKeyRotationStatus(r -> r.keyId(keyArn)).keyRotationEnabled());
    } catch (AwsKmsException e) {
      if (e.transientFailure()) {
        throw e;
      }
      return null; // not answered (a stand-in without the call, or not allowed): not essential
    }
  }

  private <T> T call(String action, Supplier<T> c) {
    try {
      return c.get();
    } catch (SdkException e) {
      throw classify(action, target, e);
    }
  }

  /** The kind of a failed SDK call, with a message that names the action, key and error. */
  static AwsKmsException classify(String action, AwsKmsTarget target, SdkException e) {
    String what = action + " on " + target.keyId() + " at " + target.where();
    if (e instanceof AwsServiceException s) {
      String code =
          s.awsErrorDetails() == null || s.awsErrorDetails().errorCode() == null
              ? ""
              : s.awsErrorDetails().errorCode();
      String text =
          s.awsErrorDetails() == null || s.awsErrorDetails().errorMessage() == null
              ? ""
              : bounded(s.awsErrorDetails().errorMessage());
      int status = s.statusCode();
      AwsKmsException.Kind kind = kindOf(s, code, status);
      String message =
          what
              + " failed: "
              + (code.isEmpty() ? "HTTP " + status : code + " (HTTP " + status + ")")
              + (text.isEmpty() ? "" : ": " + text);
      return new AwsKmsException(kind, action, message, null);
    }
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : bounded(e.getMessage());
    if (e instanceof SdkClientException && text.contains("Unable to load credentials")) {
      return new AwsKmsException(
          AwsKmsException.Kind.UNAUTHENTICATED,
          action,
          what + " failed: no AWS credentials were found (IRSA, EKS Pod Identity, environment)",
          null);
    }
    return new AwsKmsException(
        AwsKmsException.Kind.TRANSIENT, action, what + " failed: " + text, null);
  }

  private static AwsKmsException.Kind kindOf(AwsServiceException s, String code, int status) {
    if (s instanceof NotFoundException) {
      return AwsKmsException.Kind.NOT_FOUND;
    }
    if (s instanceof DisabledException || s instanceof KmsInvalidStateException) {
      return AwsKmsException.Kind.DISABLED;
    }
    if (s instanceof KmsInternalException
        || s instanceof DependencyTimeoutException
        || s instanceof KeyUnavailableException
        || s.isThrottlingException()
        || status == 429
        || status >= 500) {
      return AwsKmsException.Kind.TRANSIENT;
    }
    if (s instanceof InvalidCiphertextException
        || s instanceof IncorrectKeyException
        || s instanceof InvalidKeyUsageException) {
      return AwsKmsException.Kind.INVALID_REQUEST;
    }
    switch (code) {
      case "UnrecognizedClientException",
          "InvalidClientTokenId",
          "InvalidSignatureException",
          "SignatureDoesNotMatch",
          "IncompleteSignature",
          "ExpiredTokenException",
          "ExpiredToken",
          "MissingAuthenticationToken" -> {
        return AwsKmsException.Kind.UNAUTHENTICATED;
      }
      case "AccessDeniedException", "AccessDenied" -> {
        return AwsKmsException.Kind.ACCESS_DENIED;
      }
      default -> {
        // moto answers a denied action with 403 and an XML body the JSON protocol cannot name.
        return status == 403
            ? AwsKmsException.Kind.ACCESS_DENIED
            : AwsKmsException.Kind.INVALID_REQUEST;
      }
    }
  }

  private static String bounded(String s) {
    String one = s.replace('\n', ' ').strip();
    return one.length() > 300 ? one.substring(0, 300) + "..." : one;
  }

  @Override
  public void close() {
    kms.close();
  }
}
