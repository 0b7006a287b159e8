package dev.keyops.testing;

import dev.keyops.reencryption.RekeyJobFactory;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test stand-in for the Job controller and the kubelet on the mock API server (which has neither):
 * for each pod of a keyops Job it creates the pod, runs the container's command as a local process
 * (the storage PVC mapped to a local directory, the keyring Secret to a file, the termination log
 * to a file) and writes the pod's terminated state and termination message; it then marks the Job
 * Complete or Failed, and deletes the pods of deleted Jobs (garbage collection).
 */
public final class FakeKubelet implements AutoCloseable {

  private final KubernetesClient client;
  private final Path work;
  private final Map<String, Path> claims = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean paused;
  private volatile boolean stopped;
  private volatile Throwable failure;

  public FakeKubelet(KubernetesClient client, Path work) {
    this.client = client;
    this.work = work;
    thread = new Thread(this::loop, "fake-kubelet");
    thread.setDaemon(true);
    thread.start();
  }

  /** Maps a PersistentVolumeClaim to a local directory, and creates the claim, Bound. */
  public void claim(String name, Path dir) {
    claims.put(name, dir);
    Claims.bound(client, "default", name);
  }

  /** While paused, no pod runs: Jobs stay running. */
  public void pause(boolean value) {
    paused = value;
  }

  public Throwable failure() {
    return failure;
  }

  private void loop() {
    while (!stopped) {
      try {
        if (!paused) {
          step();
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) {
        if (!stopped) {
          failure = t; // an interrupted call while closing is not a failure
        }
      }
    }
  }

  private void step() throws Exception {
    List<Job> jobs =
        client
            .batch()
            .v1()
            .jobs()
            .inNamespace("default")
            .withLabel(RekeyJobFactory.LABEL_JOB)
            .list()
            .getItems();
    for (Pod p :
        client
            .pods()
            .inNamespace("default")
            .withLabel(RekeyJobFactory.LABEL_JOB)
            .list()
            .getItems()) {
      String owner = p.getMetadata().getLabels().get("job-name");
      if (jobs.stream().noneMatch(j -> j.getMetadata().getName().equals(owner))) {
        client.resource(p).delete(); // garbage collection of a deleted Job's pods
      }
    }
    for (Job job : jobs) {
      if (job.getStatus() != null
          && job.getStatus().getConditions() != null
          && !job.getStatus().getConditions().isEmpty()) {
        continue;
      }
      int completions = job.getSpec().getCompletions();
      boolean failJob = false;
      List<Integer> failedIndexes = new ArrayList<>();
      for (int i = 0; i < completions && !failJob && !paused; i++) {
        int exit = run(job, i);
        if (exit == RekeyJobFactory.EXIT_CANNOT_RUN) {
          failJob = true;
        } else if (exit != 0) {
          failedIndexes.add(i);
        }
      }
      if (paused) {
        return;
      }
      String type = failJob || !failedIndexes.isEmpty() ? "Failed" : "Complete";
      String message =
          failJob
              ? "Container rekey for pod exited with code 2 matching FailJob rule"
              : failedIndexes.isEmpty() ? null : "Job has failed indexes " + failedIndexes;
      Job fresh =
          client
              .batch()
              .v1()
              .jobs()
              .inNamespace("default")
              .withName(job.getMetadata().getName())
              .get();
      if (fresh == null) {
        continue;
      }
      if (fresh.getStatus() == null) {
        fresh.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatus());
      }
      fresh
          .getStatus()
          .setConditions(
              List.of(
                  new JobConditionBuilder()
                      .withType(type)
                      .withStatus("True")
                      .withReason(type.equals("Failed") ? "FailedIndexes" : null)
                      .withMessage(message)
                      .build()));
      client.resource(fresh).updateStatus();
    }
  }

  private int run(Job job, int index) throws Exception {
    Pod pod =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(
                        job.getMetadata().getName()
                            + "-"
                            + index
                            + "-"
                            + Long.toHexString(System.nanoTime() & 0xffff))
                    .withNamespace("default")
                    .addToLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                    .addToLabels("job-name", job.getMetadata().getName())
                    .addToAnnotations(
                        "batch.kubernetes.io/job-completion-index", Integer.toString(index))
                    .withOwnerReferences(
                        new OwnerReferenceBuilder()
                            .withApiVersion("batch/v1")
                            .withKind("Job")
                            .withName(job.getMetadata().getName())
                            .withUid(job.getMetadata().getUid())
                            .withController(true)
                            .build())
                    .endMetadata()
                    .withSpec(job.getSpec().getTemplate().getSpec())
                    .build())
            .create();
    return PodProcess.run(client, pod, claims, work);
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join(10_000);
  }
}
