package dev.keyops.testing;

import dev.keyops.reencryption.RekeyJobFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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

  /** Maps a PersistentVolumeClaim to a local directory. */
  public void claim(String name, Path dir) {
    claims.put(name, dir);
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
        failure = t;
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
    Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    Path dir =
        Files.createDirectories(
            work.resolve(job.getMetadata().getName() + "-" + index + "-" + System.nanoTime()));
    Path keyring = dir.resolve("keyring.json");
    Path result = dir.resolve("termination-log");
    Files.createFile(result);
    String claim = null;
    String subPath = null;
    for (Volume v : job.getSpec().getTemplate().getSpec().getVolumes()) {
      if (v.getPersistentVolumeClaim() != null) {
        claim = v.getPersistentVolumeClaim().getClaimName();
      }
      if (v.getSecret() != null && v.getName().equals("keyring")) {
        Secret s =
            client.secrets().inNamespace("default").withName(v.getSecret().getSecretName()).get();
        Files.write(keyring, Base64.getDecoder().decode(s.getData().get("keyring.json")));
      }
    }
    for (var m : c.getVolumeMounts()) {
      if (m.getMountPath().equals(RekeyJobFactory.DATA_PATH)) {
        subPath = m.getSubPath();
      }
    }
    Path data = claims.get(claim);
    if (subPath != null) {
      data = data.resolve(subPath);
    }
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

    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.keyops.Main"));
    for (String a : c.getArgs()) {
      cmd.add(
          switch (a) {
            case RekeyJobFactory.DATA_PATH -> data.toString();
            case RekeyJobFactory.KEYRING_FILE -> keyring.toString();
            case "/dev/termination-log" -> result.toString();
            default -> a;
          });
    }
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log").toFile());
    for (EnvVar e : c.getEnv()) {
      pb.environment().put(e.getName(), e.getValue());
    }
    pb.environment().put("JOB_COMPLETION_INDEX", Integer.toString(index));
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    int exit = p.exitValue();
    String message = Files.readString(result);
    pod.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase(exit == 0 ? "Succeeded" : "Failed")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName(c.getName())
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(exit)
                    .withMessage(message)
                    .withReason(exit == 0 ? "Completed" : "Error")
                    .withFinishedAt(Instant.now().toString())
                    .endTerminated()
                    .endState()
                    .build())
            .build());
    client.resource(pod).updateStatus();
    return exit;
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join(10_000);
  }
}
