package dev.keyops.cli;

import dev.keyops.cli.ClusterOptions.Session;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waiting for an object to reach a state by watching it (as kubectl wait), within a deadline. */
final class Waiting {

  private final Session session;
  private final Instant deadline;
  private final Duration timeout;
  private final java.time.Clock clock;

  Waiting(Session session, Duration timeout, java.time.Clock clock) {
    this.session = session;
    this.timeout = timeout;
    this.clock = clock;
    this.deadline = clock.instant().plus(timeout);
  }

  /**
   * @param what what is awaited, for the timeout message ("key X to become Primary")
   * @param after what goes on after a timeout, and how to follow it (asked at the timeout)
   */
  <T extends HasMetadata> T until(
      Resource<T> object, String resource, Predicate<T> done, String what, Supplier<String> after) {
    long left = Math.max(1, Duration.between(clock.instant(), deadline).toMillis());
    try {
      return object.waitUntilCondition(o -> o != null && done.test(o), left, TimeUnit.MILLISECONDS);
    } catch (KubernetesClientTimeoutException e) {
      throw new CliException(
          "timed out after "
              + HumanTime.duration(timeout)
              + " waiting for "
              + what
              + " (--timeout to wait longer): "
              + after.get());
    } catch (KubernetesClientException e) {
      throw Api.explain(e, session, "watch", resource);
    }
  }
}
