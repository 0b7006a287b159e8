package dev.keyops.kms.transit;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Unwraps transit keys' data keys for the partition library and the worker with Transit {@code
 * decrypt}, as the process's own identity: Kubernetes auth with its ServiceAccount token, or a
 * token file. One client per Transit address and namespace, created on first use; the keyring calls
 * it once per key per process. Connection failures, timeouts, 429 and 5xx are transient (the
 * keyring retries them); 403 and 400 are final.
 *
 * <p>Environment ({@link #fromEnvironment}):
 *
 * <ul>
 *   <li>{@code KEYOPS_TRANSIT_TOKEN_FILE}: a file holding a token (re-read on every login need);
 *   <li>otherwise {@code KEYOPS_TRANSIT_ROLE} (Kubernetes auth role), {@code
 *       KEYOPS_TRANSIT_AUTH_MOUNT} (default kubernetes) and {@code KEYOPS_TRANSIT_JWT_FILE}
 *       (default the pod's projected ServiceAccount token);
 *   <li>{@code KEYOPS_TRANSIT_CA_FILE}: PEM certificates to trust for https addresses.
 * </ul>
 */
public final class TransitDataKeyUnwrapper implements DataKeyUnwrapper, AutoCloseable {

  public static final String PROVIDER = "transit";

  private final Function<TransitTarget, TransitGateway> factory;
  private final Map<TransitTarget, TransitGateway> gateways = new ConcurrentHashMap<>();

  /** An unwrapper that creates one gateway per Transit location with {@code factory}. */
  public TransitDataKeyUnwrapper(Function<TransitTarget, TransitGateway> factory) {
    this.factory = factory;
  }

  /** An unwrapper configured from the environment (see the class comment). */
  public static TransitDataKeyUnwrapper fromEnvironment(Map<String, String> env) {
    byte[] ca = null;
    String caFile = env.get("KEYOPS_TRANSIT_CA_FILE");
    if (caFile != null && !caFile.isBlank()) {
      try {
        ca = Files.readAllBytes(Path.of(caFile));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read KEYOPS_TRANSIT_CA_FILE " + caFile);
      }
    }
    TransitAuth auth = authFromEnvironment(env);
    byte[] trusted = ca;
    return new TransitDataKeyUnwrapper(
        target ->
            auth == null
                ? null
                : new HttpTransitGateway(target, auth, trusted, Duration.ofSeconds(30)));
  }

  /** The auth the environment configures (see the class comment), or null when none is. */
  public static TransitAuth authFromEnvironment(Map<String, String> env) {
    String tokenFile = env.get("KEYOPS_TRANSIT_TOKEN_FILE");
    if (tokenFile != null && !tokenFile.isBlank()) {
      return new TransitAuth.TokenFile(Path.of(tokenFile));
    }
    String role = env.get("KEYOPS_TRANSIT_ROLE");
    if (role != null && !role.isBlank()) {
      String jwt = env.get("KEYOPS_TRANSIT_JWT_FILE");
      return new TransitAuth.Kubernetes(
          role,
          env.get("KEYOPS_TRANSIT_AUTH_MOUNT"),
          jwt == null || jwt.isBlank() ? null : Path.of(jwt));
    }
    return null;
  }

  @Override
  public byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
    throw new PartitionException(
        PartitionException.Kind.KEY_UNAVAILABLE,
        "the keyring entry of Transit key " + kmsKeyName + " names no Transit address");
  }

  @Override
  public byte[] unwrap(KeyBundleDocument.Entry entry, byte[] wrappedKey, byte[] associatedData) {
    KeyBundleDocument.Transit where = entry.transit();
    if (where == null) {
      return unwrap(entry.kmsKeyName(), wrappedKey, associatedData);
    }
    String key = entry.kmsKeyName();
    TransitTarget target;
    try {
      target = new TransitTarget(where.address(), where.mount(), where.namespace());
    } catch (IllegalArgumentException e) {
      throw new PartitionException(PartitionException.Kind.KEY_UNAVAILABLE, e.getMessage());
    }
    TransitGateway gateway = gateways.computeIfAbsent(target, t -> factory.apply(t));
    if (gateway == null) {
      gateways.remove(target);
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "no Transit credentials are configured to unwrap the data key of "
              + describe(target, key)
              + ": set KEYOPS_TRANSIT_ROLE (Kubernetes auth) or KEYOPS_TRANSIT_TOKEN_FILE");
    }
    try {
      return gateway.decrypt(key, new String(wrappedKey, StandardCharsets.UTF_8), associatedData);
    } catch (TransitException e) {
      if (e.transientFailure()) {
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "Transit could not unwrap the data key with "
                + describe(target, key)
                + " for now ("
                + e.getMessage()
                + "); retry later",
            true);
      }
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "Transit cannot unwrap the data key with "
              + describe(target, key)
              + ": "
              + e.getMessage()
              + " (the worker's policy needs path \""
              + target.path("decrypt", key)
              + "\" { capabilities = [\"update\"] })");
    }
  }

  private static String describe(TransitTarget t, String key) {
    return "key "
        + key
        + " (mount "
        + t.mount()
        + (t.namespace() == null ? "" : ", namespace " + t.namespace())
        + ") at "
        + t.address();
  }

  @Override
  public void close() {
    gateways.values().forEach(TransitGateway::close);
    gateways.clear();
  }
}
