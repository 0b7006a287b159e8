package dev.keyops.kms.gcp;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One Cloud KMS client per set of credentials, created on first use and reused. */
public class KmsGateways implements AutoCloseable {

  private final String endpoint;
  private final Duration timeout;
  private final Map<String, KmsGateway> clients = new ConcurrentHashMap<>();

  /**
   * @param endpoint Cloud KMS endpoint override (KEYOPS_KMS_ENDPOINT), or null
   */
  public KmsGateways(String endpoint, Duration timeout) {
    this.endpoint = endpoint;
    this.timeout = timeout;
  }

  /** The client for these credentials (null: Application Default Credentials). */
  public KmsGateway forCredentials(byte[] credentialsJson) {
    String id = credentialsJson == null ? "adc" : sha256(credentialsJson);
    return clients.computeIfAbsent(id, k -> create(credentialsJson));
  }

  protected KmsGateway create(byte[] credentialsJson) {
    return GcpKmsGateway.create(endpoint, credentialsJson, timeout);
  }

  public String endpoint() {
    return endpoint;
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
    clients.values().forEach(KmsGateway::close);
    clients.clear();
  }
}
