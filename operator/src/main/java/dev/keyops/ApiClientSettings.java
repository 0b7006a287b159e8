package dev.keyops;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.Map;

/**
 * How long one request to the API server may take, so that a request the server never answers holds
 * a reconcile for a bounded time: {@code KEYOPS_API_REQUEST_TIMEOUT} (default 10s) per attempt,
 * {@code KEYOPS_API_REQUEST_RETRIES} (default 1) more attempts after a failure to connect or a
 * timeout, {@code KEYOPS_API_RETRY_BACKOFF} (default 500ms) before the first of them, doubling. The
 * chart sets them from {@code apiServer.*}. Watches are long-lived and not bounded by these. Every
 * request carries the User-Agent {@link #USER_AGENT} ({@code keyops-operator/<version>}), so the
 * API server's audit log and metrics attribute keyops' requests to keyops, not to "a fabric8
 * client".
 *
 * @param requestTimeout the deadline of one attempt
 * @param retries attempts after the first one
 * @param backoff the wait before the first retry (doubled before each next one)
 */
public record ApiClientSettings(Duration requestTimeout, int retries, Duration backoff) {

  /** keyops' version, from the jar's manifest ({@code dev} when run from classes). */
  public static final String VERSION = version();

  /** The User-Agent of the operator's requests: {@code keyops-operator/<version>}. */
  public static final String USER_AGENT = "keyops-operator/" + VERSION;

  /** The version in the jar's manifest (Implementation-Version), {@code dev} outside a jar. */
  private static String version() {
    String v = ApiClientSettings.class.getPackage().getImplementationVersion();
    return v == null || v.isBlank() ? "dev" : v;
  }

  public ApiClientSettings {
    if (requestTimeout.isZero() || requestTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "KEYOPS_API_REQUEST_TIMEOUT must be positive, got " + requestTimeout);
    }
    if (retries < 0 || retries > 10) {
      throw new IllegalArgumentException(
          "KEYOPS_API_REQUEST_RETRIES must be from 0 to 10, got " + retries);
    }
  }

  public static ApiClientSettings fromEnv(Map<String, String> env) {
    String retries = env.getOrDefault("KEYOPS_API_REQUEST_RETRIES", "1").trim();
    if (!retries.matches("\\d{1,2}")) {
      throw new IllegalArgumentException(
          "KEYOPS_API_REQUEST_RETRIES must be a whole number from 0 to 10, got '" + retries + "'");
    }
    return new ApiClientSettings(
        OperatorConfig.parseDuration(
            "KEYOPS_API_REQUEST_TIMEOUT", env.getOrDefault("KEYOPS_API_REQUEST_TIMEOUT", "10s")),
        Integer.parseInt(retries),
        OperatorConfig.parseDurationOrZero(
            "KEYOPS_API_RETRY_BACKOFF", env.getOrDefault("KEYOPS_API_RETRY_BACKOFF", "500ms")));
  }

  /** The longest one request can hold its caller: every attempt timing out, every backoff. */
  public Duration worstCase() {
    Duration total = requestTimeout.multipliedBy(retries + 1L);
    for (int i = 0; i < retries; i++) {
      total = total.plus(backoff.multipliedBy(1L << i));
    }
    return total;
  }

  /** Applies the settings to a client configuration (the kubeconfig or in-cluster one). */
  public Config applyTo(Config config) {
    config.setRequestTimeout(Math.toIntExact(requestTimeout.toMillis()));
    config.setRequestRetryBackoffLimit(retries);
    config.setRequestRetryBackoffInterval(Math.toIntExact(backoff.toMillis()));
    config.setUserAgent(USER_AGENT);
    return config;
  }

  /** A client for the operator: the usual configuration, with these bounds. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(applyTo(Config.autoConfigure(null))).build();
  }
}
