package dev.keyops.testing;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.kms.gcp.KmsGateways;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The real operator (both controllers) running against the mock API server and a fake Cloud KMS;
 * restartable, to test an operator restart mid-way.
 */
public final class OperatorHarness implements AutoCloseable {

  public final MockApiServer api = new MockApiServer();
  public final FakeKms kms;
  private final OperatorConfig config;
  private final Clock clock;
  private KeyopsOperator operator;
  private KmsGateways gateways;

  public OperatorHarness(Duration revalidate) throws IOException {
    this(revalidate, Clock.systemUTC());
  }

  /** The operator with the given clock (a {@link MutableClock} to test schedules and backoff). */
  public OperatorHarness(Duration revalidate, Clock clock) throws IOException {
    this(revalidate, clock, Duration.ZERO);
  }

  /**
   * As {@link #OperatorHarness(Duration, Clock)}, with the operator's default {@code stagedFor}.
   * The other constructors use zero, so tests about other rules promote an activated key as soon as
   * keyops has listed it in the keyring; tests of the staging rule pass a real default or set
   * {@code spec.stagedFor}.
   */
  public OperatorHarness(Duration revalidate, Clock clock, Duration defaultStagedFor)
      throws IOException {
    this(revalidate, clock, defaultStagedFor, Duration.ZERO);
  }

  /**
   * As {@link #OperatorHarness(Duration, Clock, Duration)}, with the drop guard's propagation
   * margin (zero in the other constructors: a scan started at the retirement counts).
   */
  public OperatorHarness(
      Duration revalidate, Clock clock, Duration defaultStagedFor, Duration propagationMargin)
      throws IOException {
    this.clock = clock;
    kms = new FakeKms();
    config =
        OperatorConfig.defaults()
            .withServerSideApply(false)
            .withLeaderElection(false)
            .withHttpPort(0)
            .withKmsEndpoint(kms.endpoint())
            .withKmsRevalidateInterval(revalidate)
            .withStagedFor(defaultStagedFor)
            .withPropagationMargin(propagationMargin);
    start();
  }

  public KubernetesClient client() {
    return api.client();
  }

  public void start() throws IOException {
    // The operator's own deadline: a shorter one made first calls time out on a loaded machine
    // (the fake never hangs; an outage answers UNAVAILABLE at once).
    gateways = new KmsGateways(config.kmsEndpoint(), Duration.ofSeconds(10));
    operator = KeyopsOperator.start(api.client(), config, clock, gateways);
  }

  public void stop() {
    if (operator != null) {
      operator.close();
      operator = null;
    }
  }

  public KeyopsOperator operator() {
    return operator;
  }

  public EncryptionKey key(String name) {
    return client().resources(EncryptionKey.class).inNamespace("default").withName(name).get();
  }

  /** Waits until the key satisfies the predicate; fails with its last status. */
  public EncryptionKey awaitKey(String name, Predicate<EncryptionKey> until, String what) {
    return await(
        () -> key(name),
        k -> k != null && k.getStatus() != null && until.test(k),
        "key " + name + " " + what);
  }

  public void awaitGone(String name) {
    await(() -> key(name), k -> k == null, "key " + name + " to be dropped");
  }

  public List<Event> events(String involvedName) {
    return client().v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> involvedName.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /** Reconciles the EncryptionKey controller has finished so far (from the operator's metrics). */
  public double keyReconciles() {
    return operator.registry().getMeters().stream()
        .filter(m -> m.getId().getName().equals("operator.sdk.controllers.execution.reconcile"))
        .filter(m -> "encryptionkey".equals(m.getId().getTag("controller")))
        .mapToDouble(m -> m.measure().iterator().next().getValue())
        .sum();
  }

  /**
   * Waits until the operator's Prometheus scrape contains every line given (the per-ring gauges
   * read the informer caches, which follow the API server a moment later); returns the scrape.
   */
  public String awaitScrape(String... lines) {
    return await(
        () -> operator.registry().scrape(),
        s -> java.util.Arrays.stream(lines).allMatch(s::contains),
        "a scrape with " + String.join(", ", lines));
  }

  /**
   * Waits up to 60 s: how long a failing test takes to say so, not a speed target (a worker JVM run
   * by the stand-in kubelet took over 26 s on a 2-core machine busy with benchmarks).
   */
  public static <T> T await(Supplier<T> get, Predicate<T> until, String what) {
    return await(get, until, what, Duration.ofSeconds(60));
  }

  public static <T> T await(Supplier<T> get, Predicate<T> until, String what, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    int serverFailures = MockApiServer.failedRequests().size();
    T last = null;
    while (Instant.now().isBefore(deadline)) {
      last = get.get();
      if (until.test(last)) {
        return last;
      }
      List<String> failed = MockApiServer.failedRequests();
      if (failed.size() > serverFailures) {
        // Fail at once with the server's own exception, not a minute later with a timeout.
        throw new AssertionError(
            "the mock API server failed a request while waiting for "
                + what
                + ": "
                + failed.subList(serverFailures, failed.size()));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("timed out waiting for " + what + "; last seen: " + describe(last));
  }

  private static String describe(Object o) {
    if (o instanceof EncryptionKey k) {
      return io.fabric8.kubernetes.client.utils.Serialization.asYaml(k);
    }
    return String.valueOf(o);
  }

  @Override
  public void close() throws Exception {
    stop();
    kms.close();
    api.close();
  }
}
