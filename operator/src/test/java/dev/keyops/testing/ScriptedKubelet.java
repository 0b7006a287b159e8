package dev.keyops.testing;

import dev.keyops.reencryption.RekeyJobFactory;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.List;

/**
 * Test stand-in for the Job controller and the kubelet that runs no worker: it ends a Job's pods
 * with the termination messages a test scripts (a worker's JSON result per shard), then marks the
 * Job Complete. For results a real worker cannot produce on demand (scan start times, unreadable
 * files, several locations).
 */
public final class ScriptedKubelet {

  private final KubernetesClient client;

  public ScriptedKubelet(KubernetesClient client) {
    this.client = client;
  }

  /** Ends the Job's shards with these results (one per completion index), then the Job. */
  public void complete(String jobName, List<String> results) {
    finishPods(jobName, results);
    markComplete(jobName);
  }

  /** The Job's pods ended, each with its result as termination message. */
  public void finishPods(String jobName, List<String> results) {
    Job job = client.batch().v1().jobs().inNamespace("default").withName(jobName).get();
    for (int i = 0; i < results.size(); i++) {
      Pod pod =
          client
              .resource(
                  new PodBuilder()
                      .withNewMetadata()
                      .withName(jobName + "-" + i)
                      .withNamespace("default")
                      .addToLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                      .addToLabels("job-name", jobName)
                      .addToAnnotations("batch.kubernetes.io/job-completion-index", "" + i)
                      .withOwnerReferences(
                          new OwnerReferenceBuilder()
                              .withApiVersion("batch/v1")
                              .withKind("Job")
                              .withName(jobName)
                              .withUid(job.getMetadata().getUid())
                              .withController(true)
                              .build())
                      .endMetadata()
                      .withSpec(job.getSpec().getTemplate().getSpec())
                      .build())
              .create();
      String now = Instant.now().toString();
      pod.setStatus(
          new PodStatusBuilder()
              .withPhase("Succeeded")
              .withStartTime(now)
              .withContainerStatuses(
                  new ContainerStatusBuilder()
                      .withName(RekeyJobFactory.CONTAINER)
                      .withImage("scripted")
                      .withImageID("scripted")
                      .withReady(false)
                      .withRestartCount(0)
                      .withNewState()
                      .withNewTerminated()
                      .withExitCode(0)
                      .withReason("Completed")
                      .withMessage(results.get(i))
                      .withStartedAt(now)
                      .withFinishedAt(now)
                      .endTerminated()
                      .endState()
                      .build())
              .build());
      client.resource(pod).updateStatus();
    }
  }

  /** The Job's Complete condition, as the Job controller writes it once its pods succeeded. */
  public void markComplete(String jobName) {
    Job fresh = client.batch().v1().jobs().inNamespace("default").withName(jobName).get();
    if (fresh.getStatus() == null) {
      fresh.setStatus(new JobStatus());
    }
    fresh
        .getStatus()
        .setConditions(
            List.of(new JobConditionBuilder().withType("Complete").withStatus("True").build()));
    client.resource(fresh).updateStatus();
  }
}
