package dev.keyops.testing;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The local pod runner as a process, for dev/run on the local control plane: {@code
 * LocalPodRunnerMain NAMESPACE CLAIM DIR WORKDIR}. Runs until killed.
 */
public final class LocalPodRunnerMain {
  private LocalPodRunnerMain() {}

  public static void main(String[] args) throws Exception {
    var client = new KubernetesClientBuilder().build();
    LocalPodRunner runner = new LocalPodRunner(client, Path.of(args[3]));
    runner.claim(args[0], args[1], Path.of(args[2]));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runner.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  client.close();
                }));
    new CountDownLatch(1).await();
  }
}
