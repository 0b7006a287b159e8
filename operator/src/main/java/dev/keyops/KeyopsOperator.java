package dev.keyops;

import dev.keyops.key.EncryptionKeyReconciler;
import dev.keyops.key.KeyRingCoordinator;
import dev.keyops.key.KeyringWriter;
import dev.keyops.kms.KeyProviders;
import dev.keyops.kms.KmsGateways;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.HttpEndpoints;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.reencryption.ReencryptionJobReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The keyops operator: both controllers, metrics and health endpoints, wired together. */
public final class KeyopsOperator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KeyopsOperator.class);

  private final Operator operator;
  private final HttpEndpoints endpoints;
  private final PrometheusMeterRegistry registry;
  private final KmsGateways kms;

  private KeyopsOperator(
      Operator operator,
      HttpEndpoints endpoints,
      PrometheusMeterRegistry registry,
      KmsGateways kms) {
    this.operator = operator;
    this.endpoints = endpoints;
    this.registry = registry;
    this.kms = kms;
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
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    KeyopsMetrics metrics = new KeyopsMetrics(registry, clock);

    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
                  .withCloseClientOnStop(false)
                  .withUseSSAToPatchPrimaryResource(config.serverSideApply())
                  .withSSABasedCreateUpdateMatchForDependentResources(config.serverSideApply());
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(
                    new LeaderElectionConfiguration(config.leaseName(), config.leaseNamespace()));
              }
            });
    EventRecorder events = new EventRecorder(client, clock);
    // GetCryptoKey results are reused for a little less than the revalidation interval.
    KeyProviders providers =
        new KeyProviders(
            client, kms, clock, config.kmsRevalidateInterval().multipliedBy(8).dividedBy(10));
    KeyRingCoordinator rings =
        new KeyRingCoordinator(
            client, providers, new KeyringWriter(client), events, metrics, clock);
    operator.register(
        new EncryptionKeyReconciler(
            rings, providers, events, metrics, clock, config.kmsRevalidateInterval()),
        o -> watch(o, config));
    operator.register(
        new ReencryptionJobReconciler(client, events, metrics, clock, config.workerImage()),
        o -> watch(o, config));

    HttpEndpoints endpoints =
        HttpEndpoints.start(
            "0.0.0.0",
            config.httpPort(),
            registry,
            () ->
                operator.getRuntimeInfo().isStarted()
                    && operator.getRuntimeInfo().allEventSourcesAreHealthy());
    operator.start();
    LOG.info(
        "keyops started: namespaces={}, leaderElection={}, http port {}",
        config.watchNamespaces().isEmpty() ? "all" : config.watchNamespaces(),
        config.leaderElection(),
        endpoints.port());
    return new KeyopsOperator(operator, endpoints, registry, kms);
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
    operator.stop();
    endpoints.close();
    kms.close();
  }
}
