package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.observability.EventRecorder;
import dev.keyops.status.Conditions;
import dev.keyops.status.StatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;

/**
 * Pauses and resumes a running ReencryptionJob's Job ({@code spec.suspend} of the batch/v1 Job) as
 * {@link Windows} decides, and records why in the {@code Suspended} condition. The Job is patched
 * only when its suspend differs from the decision.
 */
final class Throttle {

  static final String SUSPENDED = Conditions.SUSPENDED;

  private final KubernetesClient client;
  private final EventRecorder events;

  Throttle(KubernetesClient client, EventRecorder events) {
    this.client = client;
    this.events = events;
  }

  /** Makes the Job follow the decision; returns when to look again (the next window change). */
  Duration follow(
      ReencryptionJob rej, ReencryptionJobStatus s, Job job, Windows.Decision gate, Instant now) {
    if (job != null && job.getMetadata().getDeletionTimestamp() == null) {
      boolean suspended = Boolean.TRUE.equals(job.getSpec().getSuspend());
      if (suspended == gate.run()) {
        client
            .batch()
            .v1()
            .jobs()
            .inNamespace(job.getMetadata().getNamespace())
            .withName(job.getMetadata().getName())
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"suspend\":" + !gate.run() + "}}");
      }
    }
    record(rej, s, gate, now);
    return gate.nextChange();
  }

  /** The Suspended condition, with an event when it changes. */
  void record(ReencryptionJob rej, ReencryptionJobStatus s, Windows.Decision gate, Instant now) {
    var b = StatusBuilder.of(rej, s, now);
    if (gate.run() && b.find(SUSPENDED).isEmpty()) {
      return; // never paused: nothing to say
    }
    if (b.set(SUSPENDED, !gate.run(), gate.reason(), gate.message())) {
      events.normal(rej, gate.reason(), gate.message());
    }
  }

  static Duration earliest(Duration a, Duration b) {
    if (a == null) {
      return b;
    }
    return b == null || a.compareTo(b) <= 0 ? a : b;
  }
}
