package dev.keyops.testing;

import dev.keyops.reencryption.RekeyJobFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the first container of a keyops worker pod as a local process, as a kubelet would: its
 * environment (values and the completion-index annotation), the storage PVC mapped to a local
 * directory (subPath honoured), the keyring Secret written to a file, the termination log to a
 * file; then writes the pod's terminated status and termination message.
 */
final class PodProcess {

  private PodProcess() {}

  /** The downward API: metadata.labels['x'], metadata.annotations['x'], metadata.name/namespace. */
  static String fieldRef(Pod pod, String path) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("^metadata\\.(labels|annotations)\\['(.*)'\\]$")
            .matcher(path);
    if (m.matches()) {
      Map<String, String> map =
          m.group(1).equals("labels")
              ? pod.getMetadata().getLabels()
              : pod.getMetadata().getAnnotations();
      return map == null ? null : map.get(m.group(2));
    }
    return switch (path) {
      case "metadata.name" -> pod.getMetadata().getName();
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      default -> null;
    };
  }

  static int run(KubernetesClient client, Pod pod, Map<String, Path> claims, Path work)
      throws IOException, InterruptedException {
    String ns = pod.getMetadata().getNamespace();
    Container c = pod.getSpec().getContainers().get(0);
    Path dir = Files.createDirectories(work.resolve(pod.getMetadata().getName()));
    Path keyring = dir.resolve("keyring.json");
    Path result = dir.resolve("termination-log");
    Files.deleteIfExists(result);
    Files.createFile(result);
    Map<String, String> claimOfVolume = new java.util.HashMap<>();
    for (Volume v : pod.getSpec().getVolumes()) {
      if (v.getPersistentVolumeClaim() != null) {
        claimOfVolume.put(v.getName(), v.getPersistentVolumeClaim().getClaimName());
      }
      if (v.getSecret() != null && v.getName().equals("keyring")) {
        Secret s = client.secrets().inNamespace(ns).withName(v.getSecret().getSecretName()).get();
        Files.write(keyring, Base64.getDecoder().decode(s.getData().get("keyring.json")));
      }
    }
    // Each claim mount (subPath honoured) at its local directory: /data, or /data/<i> per location.
    Map<String, Path> mounted = new java.util.HashMap<>();
    for (var m : c.getVolumeMounts()) {
      String claim = claimOfVolume.get(m.getName());
      if (claim != null && claims.get(claim) != null) {
        Path local = claims.get(claim);
        mounted.put(
            m.getMountPath(), m.getSubPath() == null ? local : local.resolve(m.getSubPath()));
      }
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.keyops.Main"));
    for (String a : c.getArgs()) {
      int eq = a.indexOf('=');
      String name = eq < 0 ? null : a.substring(0, eq); // --data NAME=DIR
      String path = eq < 0 ? a : a.substring(eq + 1);
      String local =
          mounted.containsKey(path)
              ? mounted.get(path).toString()
              : switch (path) {
                case RekeyJobFactory.KEYRING_FILE -> keyring.toString();
                case "/dev/termination-log" -> result.toString();
                default -> null;
              };
      cmd.add(local == null ? a : name == null ? local : name + "=" + local);
    }
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log").toFile());
    for (EnvVar e : c.getEnv()) {
      if (e.getValue() != null) {
        pb.environment().put(e.getName(), e.getValue());
      } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
        String value = fieldRef(pod, e.getValueFrom().getFieldRef().getFieldPath());
        if (value != null) {
          pb.environment().put(e.getName(), value);
        }
      }
    }
    String index =
        pod.getMetadata().getAnnotations().get("batch.kubernetes.io/job-completion-index");
    pb.environment().putIfAbsent("JOB_COMPLETION_INDEX", index);
    Instant started = Instant.now();
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    int exit = p.exitValue();
    Pod fresh = client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).get();
    if (fresh == null) {
      return exit;
    }
    fresh.setStatus(
        new PodStatusBuilder()
            .withPhase(exit == 0 ? "Succeeded" : "Failed")
            .withStartTime(started.toString())
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName(c.getName())
                    .withImage(c.getImage())
                    .withImageID("local")
                    .withReady(false)
                    .withRestartCount(0)
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(exit)
                    .withMessage(Files.readString(result))
                    .withReason(exit == 0 ? "Completed" : "Error")
                    .withStartedAt(started.toString())
                    .withFinishedAt(Instant.now().toString())
                    .endTerminated()
                    .endState()
                    .build())
            .build());
    client.pods().inNamespace(ns).resource(fresh).updateStatus();
    return exit;
  }
}
