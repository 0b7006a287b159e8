package dev.keyops;

import dev.keyops.key.EncryptionKeyReconciler;
import dev.keyops.key.Inventories;
import dev.keyops.key.KeyBundleWriter;
import dev.keyops.key.KeyCaches;
import dev.keyops.key.KmsSchedule;
import dev.keyops.key.Settlements;
import dev.keyops.kms.gcp.KmsGateways;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.HttpEndpoints;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.observability.RingMetrics;
import dev.keyops.provider.KeyProviders;
import dev.keyops.provider.TransitGateways;
import dev.keyops.reencryption.ReencryptionJobReconciler;
import dev.keyops.ring.KeyRingCache;
import dev.keyops.ring.KeyRingReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The keyops operator: both controllers, metrics and health endpoints, wired together. */
public final class KeyopsOperator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KeyopsOperator.class);

  private final Operator operator;
  private final HttpEndpoints endpoints;
  private final PrometheusMeterRegistry registry;
  private final KmsGateways kms;
  private final AtomicBoolean closing;

  private KeyopsOperator(
      Operator operator,
      HttpEndpoints endpoints,
      PrometheusMeterRegistry registry,
      KmsGateways kms,
      AtomicBoolean closing) {
    this.operator = operator;
    this.endpoints = endpoints;
    this.registry = registry;
    this.kms = kms;
    this.closing = closing;
  }

  /** Builds, registers and starts the operator; returns once it is started. */
  public static KeyopsOperator start(KubernetesClient client, OperatorConfig config, Clock clock)
      throws IOException {
    return start(
        client, config, clock, new KmsGateways(config.kmsEndpoint(), Duration.ofSeconds(10)));
  }

  /**
   * As {@link #start(KubernetesClient, OperatorConfig, Clock)}, with the Cloud KMS clients given.
   */
  public static KeyopsOperator start(
      KubernetesClient client, OperatorConfig config, Clock clock, KmsGateways kms)
      throws IOException {
    return start(client, config, clock, kms, TransitGateways.defaults());
  }

  /**
   * As {@link #start(KubernetesClient, OperatorConfig, Clock, KmsGateways)}, with the Transit
   * clients given (for example reading the ServiceAccount token for Kubernetes auth from another
   * file than the pod's).
   */
  public static KeyopsOperator start(
      KubernetesClient client,
      OperatorConfig config,
      Clock clock,
      KmsGateways kms,
      TransitGateways transit)
      throws IOException {
    AtomicBoolean closing = new AtomicBoolean();
    PrometheusMeterRegistry registry = meterRegistry();
    KeyopsMetrics metrics = new KeyopsMetrics(registry);
    Operator operator = operator(client, config, registry, closing);
    Collaborators shared = collaborators(client, config, clock, kms, transit, metrics);
    registerEncryptionKeys(operator, config, shared);
    ReencryptionJobReconciler jobs = registerReencryptionJobs(operator, config, shared);
    registerKeyRings(operator, config, shared);
    registerRingMetrics(registry, shared, jobs);
    HttpEndpoints endpoints = startHttpEndpoints(config, registry, operator);
    operator.start();
    LOG.info(
        "keyops started: namespaces={}, leaderElection={}, http port {}",
        config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces(),
        config.leaderElection(),
        endpoints.port());
    return new KeyopsOperator(operator, endpoints, registry, kms, closing);
  }

  /** The Prometheus registry, with the JVM's memory, thread and processor meters. */
  private static PrometheusMeterRegistry meterRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    return registry;
  }

  private static Operator operator(
      KubernetesClient client,
      OperatorConfig config,
      PrometheusMeterRegistry registry,
      AtomicBoolean closing) {
    return new Operator(
        o -> {
          o.withKubernetesClient(client)
              .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
              .withCloseClientOnStop(false)
              .withUseSSAToPatchPrimaryResource(config.serverSideApply())
              .withSSABasedCreateUpdateMatchForDependentResources(config.serverSideApply());
          if (config.leaderElection()) {
            o.withLeaderElectionConfiguration(leaderElection(config, closing));
          }
        });
  }

  /** What the controllers share: the client, clock, events, metrics, caches and key providers. */
  private record Collaborators(
      KubernetesClient client,
      Clock clock,
      EventRecorder events,
      KeyopsMetrics metrics,
      KeyCaches caches,
      KeyProviders providers,
      KeyRingCache ringPolicies,
      Inventories inventories) {}

  private static Collaborators collaborators(
      KubernetesClient client,
      OperatorConfig config,
      Clock clock,
      KmsGateways kms,
      TransitGateways transit,
      KeyopsMetrics metrics) {
    EventRecorder events = new EventRecorder(client, clock);
    // GetCryptoKey results are reused for a little less than the revalidation interval.
    // Reads come from the EncryptionKey controller's informers (bound when it prepares them).
    KeyCaches caches = new KeyCaches(client.getKubernetesSerialization());
    KeyProviders providers =
        new KeyProviders(
            client,
            caches,
            kms,
            clock,
            config.kmsRevalidateInterval().multipliedBy(8).dividedBy(10),
            transit);
    KeyRingCache ringPolicies = new KeyRingCache();
    Inventories inventories = new Inventories(config.propagationMargin(), ringPolicies);
    return new Collaborators(
        client, clock, events, metrics, caches, providers, ringPolicies, inventories);
  }

  private static void registerEncryptionKeys(
      Operator operator, OperatorConfig config, Collaborators c) {
    Settlements rings =
        new Settlements(
            c.client(),
            c.caches(),
            c.providers(),
            new KeyBundleWriter(c.client(), c.caches()),
            c.events(),
            c.clock(),
            config.stagedFor(),
            c.inventories());
    KmsSchedule kmsSchedule =
        new KmsSchedule(
            config.kmsRevalidateInterval(), () -> ThreadLocalRandom.current().nextDouble());
    operator.register(
        new EncryptionKeyReconciler(
            c.client(),
            c.caches(),
            rings,
            c.providers(),
            c.events(),
            c.metrics(),
            c.clock(),
            kmsSchedule,
            c.ringPolicies(),
            config.destroyAfter()),
        o -> watch(o, config));
  }

  private static ReencryptionJobReconciler registerReencryptionJobs(
      Operator operator, OperatorConfig config, Collaborators c) {
    ReencryptionJobReconciler jobs =
        new ReencryptionJobReconciler(
            c.client(),
            c.caches(),
            c.events(),
            c.metrics(),
            c.clock(),
            config.workerImage(),
            config.workerImagePullSecrets());
    operator.register(jobs, o -> watch(o, config));
    return jobs;
  }

  private static void registerKeyRings(Operator operator, OperatorConfig config, Collaborators c) {
    operator.register(
        new KeyRingReconciler(
            c.client(), c.caches(), c.ringPolicies(), c.events(), c.clock(), c.inventories()),
        o -> watch(o, config));
  }

  /** Per-key-ring gauges, computed at scrape time from the controllers' caches. */
  private static void registerRingMetrics(
      PrometheusMeterRegistry registry, Collaborators c, ReencryptionJobReconciler jobs) {
    registry
        .getPrometheusRegistry()
        .register(
            new RingMetrics(
                new RingMetrics.Sources(
                    c.caches()::cachedKeys,
                    jobs::cachedJobs,
                    c.ringPolicies()::rotations,
                    ReencryptionJobReconciler::stalled),
                c.metrics(),
                c.clock()));
  }

  /** Metrics and probes; ready once the operator runs with every event source healthy. */
  private static HttpEndpoints startHttpEndpoints(
      OperatorConfig config, PrometheusMeterRegistry registry, Operator operator)
      throws IOException {
    return HttpEndpoints.start(
        "0.0.0.0",
        config.httpPort(),
        registry,
        () ->
            operator.getRuntimeInfo().isStarted()
                && operator.getRuntimeInfo().allEventSourcesAreHealthy());
  }

  /**
   * Leader election on a Lease. Losing the lease while running ends the process (its pod restarts
   * and waits for the lease again, so two replicas never reconcile at once); stopping on purpose
   * does not.
   */
  private static LeaderElectionConfiguration leaderElection(
      OperatorConfig config, AtomicBoolean closing) {
    LeaderCallbacks callbacks =
        new LeaderCallbacks(
            () ->
                LOG.info("leader election: this replica now leads on Lease {}", config.leaseName()),
            () -> {
              if (!closing.get()) {
                LOG.error(
                    "leader election: lost Lease {}; exiting so the pod restarts as a follower",
                    config.leaseName());
                System.exit(1);
              }
            },
            leader -> LOG.info("leader election: the leader is {}", leader));
    return new LeaderElectionConfiguration(
        config.leaseName(),
        config.leaseNamespace(),
        config.leaseDuration(),
        config.renewDeadline(),
        config.retryPeriod(),
        config.leaseIdentity(),
        callbacks,
        false);
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> void watch(
      ControllerConfigurationOverrider<R> o, OperatorConfig config) {
    if (!config.watchNamespaces().isEmpty()) {
      o.settingNamespaces(config.watchNamespaces());
    }
  }

  public int httpPort() {
    return endpoints.port();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    LOG.info("keyops stopping");
    closing.set(true);
    operator.stop();
    endpoints.close();
    kms.close();
  }
}
