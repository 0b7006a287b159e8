package dev.keyops;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The operator's configuration, read from environment variables (documented in README).
 *
 * @param watchNamespaces namespaces to watch; empty means all namespaces
 * @param httpPort port of /healthz, /readyz and /metrics
 * @param logFormat text or json
 * @param leaderElection whether to elect a leader on a Lease before reconciling
 * @param leaseName name of the Lease
 * @param leaseNamespace namespace of the Lease; null means the client's namespace
 * @param leaseIdentity this replica's name in the Lease; null means HOSTNAME (the pod's name), else
 *     a random one
 * @param leaseDuration how long a leader's Lease lasts without renewal: the longest a standby waits
 *     to take over from a leader that died
 * @param renewDeadline how long the leader keeps trying to renew before it gives up leading (and
 *     exits, so its pod restarts as a standby)
 * @param retryPeriod how often the Lease is tried (renewed by the leader, acquired by standbys)
 * @param kmsRevalidateInterval how often Cloud KMS access is checked again (jittered)
 * @param workerImage image of the rekey worker pods; normally the operator's own image
 * @param workerImagePullSecrets names of Secrets (in each ReencryptionJob's namespace) for pulling
 *     the worker image
 * @param serverSideApply use server-side apply to patch resources (off only for test servers that
 *     lack it)
 * @param stagedFor how long a key stays Staged after it entered the keyring Secret, when its spec
 *     sets no stagedFor: readers must learn a key before writers use it
 * @param propagationMargin how long after a key's retirement a scan must start to count for the
 *     drop guard: writers learn of the retirement only when their mounted keyring is refreshed
 */
public record OperatorConfig(
    Set<String> watchNamespaces,
    int httpPort,
    String logFormat,
    boolean leaderElection,
    String leaseName,
    String leaseNamespace,
    String leaseIdentity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    Duration kmsRevalidateInterval,
    String workerImage,
    List<String> workerImagePullSecrets,
    boolean serverSideApply,
    String kmsEndpoint,
    Duration destroyAfter,
    Duration stagedFor,
    Duration propagationMargin) {

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  /** Defaults suitable for tests; production reads {@link #fromEnv(Map)}. */
  public static OperatorConfig defaults() {
    return fromEnv(Map.of("KEYOPS_WORKER_IMAGE", TEST_WORKER_IMAGE));
  }

  /** The worker image of {@link #defaults()}: tests run workers locally, never pull it. */
  public static final String TEST_WORKER_IMAGE = "keyops-worker:test";

  /** Reads the configuration; throws IllegalArgumentException naming the bad variable. */
  public static OperatorConfig fromEnv(Map<String, String> env) {
    String namespaces = env.getOrDefault("KEYOPS_WATCH_NAMESPACES", "").trim();
    Set<String> watch =
        namespaces.isEmpty()
            ? Set.of()
            : Arrays.stream(namespaces.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    int port = parsePort(env.getOrDefault("KEYOPS_HTTP_PORT", "8080"));
    String logFormat = env.getOrDefault("KEYOPS_LOG_FORMAT", "text").toLowerCase(Locale.ROOT);
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      throw new IllegalArgumentException(
          "KEYOPS_LOG_FORMAT must be 'text' or 'json', got '" + logFormat + "'");
    }
    Duration leaseDuration =
        parseDuration("KEYOPS_LEASE_DURATION", env.getOrDefault("KEYOPS_LEASE_DURATION", "15s"));
    Duration renewDeadline =
        parseDuration(
            "KEYOPS_LEASE_RENEW_DEADLINE", env.getOrDefault("KEYOPS_LEASE_RENEW_DEADLINE", "10s"));
    Duration retryPeriod =
        parseDuration(
            "KEYOPS_LEASE_RETRY_PERIOD", env.getOrDefault("KEYOPS_LEASE_RETRY_PERIOD", "2s"));
    checkLeaseTimings(leaseDuration, renewDeadline, retryPeriod);
    String identity = env.getOrDefault("KEYOPS_LEASE_IDENTITY", "").trim();
    OperatorConfig c =
        new OperatorConfig(
            watch,
            port,
            logFormat,
            parseBoolean(
                "KEYOPS_LEADER_ELECTION", env.getOrDefault("KEYOPS_LEADER_ELECTION", "true")),
            env.getOrDefault("KEYOPS_LEASE_NAME", "keyops-leader"),
            env.getOrDefault("KEYOPS_LEASE_NAMESPACE", env.get("POD_NAMESPACE")),
            identity.isEmpty() ? null : identity,
            leaseDuration,
            renewDeadline,
            retryPeriod,
            parseDuration(
                "KEYOPS_KMS_REVALIDATE_INTERVAL",
                env.getOrDefault("KEYOPS_KMS_REVALIDATE_INTERVAL", "10m")),
            env.getOrDefault("KEYOPS_WORKER_IMAGE", ""),
            Arrays.stream(env.getOrDefault("KEYOPS_WORKER_IMAGE_PULL_SECRETS", "").split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .toList(),
            parseBoolean(
                "KEYOPS_SERVER_SIDE_APPLY", env.getOrDefault("KEYOPS_SERVER_SIDE_APPLY", "true")),
            env.get("KEYOPS_KMS_ENDPOINT"),
            parseDurationOrZero(
                "KEYOPS_DESTROY_AFTER", env.getOrDefault("KEYOPS_DESTROY_AFTER", "0")),
            parseDurationOrZero("KEYOPS_STAGED_FOR", env.getOrDefault("KEYOPS_STAGED_FOR", "2m")),
            parseDurationOrZero(
                "KEYOPS_PROPAGATION_MARGIN", env.getOrDefault("KEYOPS_PROPAGATION_MARGIN", "2m")));
    workerImage(c.workerImage()); // last: a bad value of another variable is named first
    return c.copy(b -> b.workerImage = c.workerImage().trim());
  }

  /**
   * The worker image is the operator's own (the chart passes it, by digest when pinned): keyops
   * does not guess one. A tag such as {@code latest} could pull a worker of another version than
   * the operator that reads its results.
   */
  static String workerImage(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          "KEYOPS_WORKER_IMAGE is not set: set it to the operator's own image (the Helm chart"
              + " does, from image.repository and image.digest or tag); keyops does not guess"
              + " the image of its rekey workers");
    }
    return value.trim();
  }

  public OperatorConfig withServerSideApply(boolean value) {
    return copy(b -> b.serverSideApply = value);
  }

  public OperatorConfig withLeaderElection(boolean value) {
    return copy(b -> b.leaderElection = value);
  }

  public OperatorConfig withHttpPort(int value) {
    return copy(b -> b.httpPort = value);
  }

  public OperatorConfig withKmsEndpoint(String value) {
    return copy(b -> b.kmsEndpoint = value);
  }

  public OperatorConfig withLeaseNamespace(String value) {
    return copy(b -> b.leaseNamespace = value);
  }

  public OperatorConfig withLeaseIdentity(String value) {
    return copy(b -> b.leaseIdentity = value);
  }

  /** The Lease timings, checked as {@link #fromEnv} checks them. */
  public OperatorConfig withLeaseTimings(
      Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    checkLeaseTimings(leaseDuration, renewDeadline, retryPeriod);
    return copy(
        b -> {
          b.leaseDuration = leaseDuration;
          b.renewDeadline = renewDeadline;
          b.retryPeriod = retryPeriod;
        });
  }

  /**
   * The leader must give up before its Lease can expire, and must be able to try renewing more than
   * twice (with the elector's jitter of 1.2) before giving up.
   */
  static void checkLeaseTimings(Duration leaseDuration, Duration renewDeadline, Duration retry) {
    if (renewDeadline.compareTo(leaseDuration) >= 0) {
      throw new IllegalArgumentException(
          "KEYOPS_LEASE_RENEW_DEADLINE ("
              + renewDeadline
              + ") must be shorter than KEYOPS_LEASE_DURATION ("
              + leaseDuration
              + "): a leader must stop before another replica may take its Lease");
    }
    if (retry.multipliedBy(22).compareTo(renewDeadline.multipliedBy(10)) >= 0) {
      throw new IllegalArgumentException(
          "KEYOPS_LEASE_RETRY_PERIOD ("
              + retry
              + ") must be shorter than KEYOPS_LEASE_RENEW_DEADLINE / 2.2 ("
              + renewDeadline
              + "): the leader needs more than two tries (with jitter) to renew in time");
    }
  }

  public OperatorConfig withWatchNamespaces(java.util.Collection<String> value) {
    return copy(b -> b.watchNamespaces = Set.copyOf(value));
  }

  public OperatorConfig withDestroyAfter(Duration value) {
    return copy(b -> b.destroyAfter = value);
  }

  /** The default {@code stagedFor} of keys that set none. */
  public OperatorConfig withStagedFor(Duration value) {
    return copy(b -> b.stagedFor = value);
  }

  /** How long after a key's retirement a scan must start to count for the drop guard. */
  public OperatorConfig withPropagationMargin(Duration value) {
    return copy(b -> b.propagationMargin = value);
  }

  public OperatorConfig withKmsRevalidateInterval(Duration value) {
    return copy(b -> b.kmsRevalidateInterval = value);
  }

  /** A copy with some fields changed. */
  private OperatorConfig copy(java.util.function.Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return f.build();
  }

  /** The fields of a configuration, mutable, for {@link #copy}. */
  private static final class Fields {
    Set<String> watchNamespaces;
    int httpPort;
    String logFormat;
    boolean leaderElection;
    String leaseName;
    String leaseNamespace;
    String leaseIdentity;
    Duration leaseDuration;
    Duration renewDeadline;
    Duration retryPeriod;
    Duration kmsRevalidateInterval;
    String workerImage;
    List<String> workerImagePullSecrets;
    boolean serverSideApply;
    String kmsEndpoint;
    Duration destroyAfter;
    Duration stagedFor;
    Duration propagationMargin;

    Fields(OperatorConfig c) {
      watchNamespaces = c.watchNamespaces;
      httpPort = c.httpPort;
      logFormat = c.logFormat;
      leaderElection = c.leaderElection;
      leaseName = c.leaseName;
      leaseNamespace = c.leaseNamespace;
      leaseIdentity = c.leaseIdentity;
      leaseDuration = c.leaseDuration;
      renewDeadline = c.renewDeadline;
      retryPeriod = c.retryPeriod;
      kmsRevalidateInterval = c.kmsRevalidateInterval;
      workerImage = c.workerImage;
      workerImagePullSecrets = c.workerImagePullSecrets;
      serverSideApply = c.serverSideApply;
      kmsEndpoint = c.kmsEndpoint;
      destroyAfter = c.destroyAfter;
      stagedFor = c.stagedFor;
      propagationMargin = c.propagationMargin;
    }

    OperatorConfig build() {
      return new OperatorConfig(
          watchNamespaces,
          httpPort,
          logFormat,
          leaderElection,
          leaseName,
          leaseNamespace,
          leaseIdentity,
          leaseDuration,
          renewDeadline,
          retryPeriod,
          kmsRevalidateInterval,
          workerImage,
          workerImagePullSecrets,
          serverSideApply,
          kmsEndpoint,
          destroyAfter,
          stagedFor,
          propagationMargin);
    }
  }

  static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException(
        "KEYOPS_HTTP_PORT must be a port number from 0 to 65535, got '" + value + "'");
  }

  static boolean parseBoolean(String name, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              name + " must be 'true' or 'false', got '" + value + "'");
    };
  }

  /** As {@link #parseDuration}, but "0" (or empty) is allowed and means zero. */
  public static Duration parseDurationOrZero(String name, String value) {
    String v = value.trim();
    if (v.isEmpty() || v.matches("0+(ms|s|m|h)?")) {
      return Duration.ZERO;
    }
    return parseDuration(name, v);
  }

  /** Parses durations written as in Kubernetes and Go: 500ms, 30s, 10m, 1h, 1h30m. */
  public static Duration parseDuration(String name, String value) {
    String v = value.trim();
    Matcher m = DURATION.matcher(v);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      end = m.end();
    }
    if (v.isEmpty() || end != v.length() || total.isZero()) {
      throw new IllegalArgumentException(
          name + " must be a positive duration such as 30s, 10m or 1h, got '" + value + "'");
    }
    return total;
  }
}
