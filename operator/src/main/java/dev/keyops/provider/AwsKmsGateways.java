package dev.keyops.provider;

import dev.keyops.kms.aws.AwsKmsGateway;
import dev.keyops.kms.aws.AwsKmsTarget;
import dev.keyops.kms.aws.SdkAwsKmsGateway;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * One AWS KMS client per key, region, endpoint and identity, created on first use and reused. The
 * identity is an access key from a Secret (held only as its hash in the cache key) or the default
 * credentials chain (IRSA, EKS Pod Identity).
 */
public class AwsKmsGateways implements AutoCloseable {

  /** An access key read from a credentials Secret; toString never shows the secret key. */
  public record AccessKey(String accessKeyId, String secretAccessKey, String sessionToken) {
    @Override
    public String toString() {
      return "AccessKey[" + accessKeyId + "]";
    }
  }

  private final Duration timeout;
  private final Map<String, AwsKmsGateway> clients = new ConcurrentHashMap<>();

  public AwsKmsGateways(Duration timeout) {
    this.timeout = timeout;
  }

  /** 10 s per call. */
  public static AwsKmsGateways defaults() {
    return new AwsKmsGateways(Duration.ofSeconds(10));
  }

  /** The client for a key as this identity ({@code null}: the default credentials chain). */
  public AwsKmsGateway forTarget(AwsKmsTarget target, AccessKey key) {
    String id = target + "|" + identity(key);
    return clients.computeIfAbsent(id, k -> create(target, key));
  }

  protected AwsKmsGateway create(AwsKmsTarget target, AccessKey key) {
    if (key == null) {
      return new SdkAwsKmsGateway(target, null, timeout);
    }
    AwsCredentials c =
        key.sessionToken() == null
            ? AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())
            : AwsSessionCredentials.create(
                key.accessKeyId(), key.secretAccessKey(), key.sessionToken());
    return new SdkAwsKmsGateway(target, StaticCredentialsProvider.create(c), timeout);
  }

  private static String identity(AccessKey key) {
    if (key == null) {
      return "default-chain";
    }
    return "key:"
        + sha256(
            (key.accessKeyId() + "\n" + key.secretAccessKey() + "\n" + key.sessionToken())
                .getBytes(StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    clients.values().forEach(AwsKmsGateway::close);
    clients.clear();
  }
}
