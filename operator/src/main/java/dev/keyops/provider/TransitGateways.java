package dev.keyops.provider;

import dev.keyops.kms.transit.HttpTransitGateway;
import dev.keyops.kms.transit.TransitAuth;
import dev.keyops.kms.transit.TransitGateway;
import dev.keyops.kms.transit.TransitTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Transit client per server, namespace, identity and CA bundle, created on first use and reused
 * (a Kubernetes-auth client keeps its token between reconciles).
 */
public class TransitGateways implements AutoCloseable {

  private final Path serviceAccountToken;
  private final Duration timeout;
  private final Map<String, TransitGateway> clients = new ConcurrentHashMap<>();

  /**
   * @param serviceAccountToken the operator's projected ServiceAccount token, for Kubernetes auth
   */
  public TransitGateways(Path serviceAccountToken, Duration timeout) {
    this.serviceAccountToken = serviceAccountToken;
    this.timeout = timeout;
  }

  /** The pod's own ServiceAccount token, 10 s per call. */
  public static TransitGateways defaults() {
    return new TransitGateways(TransitAuth.SERVICE_ACCOUNT_TOKEN, Duration.ofSeconds(10));
  }

  public Path serviceAccountToken() {
    return serviceAccountToken;
  }

  /** The client for a Transit location as this identity, trusting {@code caPem} (or null). */
  public TransitGateway forTarget(TransitTarget target, TransitAuth auth, byte[] caPem) {
    String id = target + "|" + identity(auth) + "|" + (caPem == null ? "" : sha256(caPem));
    return clients.computeIfAbsent(id, k -> create(target, auth, caPem));
  }

  protected TransitGateway create(TransitTarget target, TransitAuth auth, byte[] caPem) {
    return new HttpTransitGateway(target, auth, caPem, timeout);
  }

  private static String identity(TransitAuth auth) {
    if (auth instanceof TransitAuth.Token t) {
      return "token:" + sha256(t.token().getBytes(StandardCharsets.UTF_8));
    }
    if (auth instanceof TransitAuth.Kubernetes k) {
      return "kubernetes:" + k.mountPath() + ":" + k.role() + ":" + k.jwtFile();
    }
    return auth.toString();
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
    clients.values().forEach(TransitGateway::close);
    clients.clear();
  }
}
