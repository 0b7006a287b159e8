package dev.keyops;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the one keyops jar. Without arguments (or with {@code operator}) it runs the
 * operator; any other command is one of {@code kubectl keyops}'s ({@code status}, {@code rotate},
 * {@code inventory}, {@code can-drop}, {@code keyring}, {@code install-plugin}) or a partition tool
 * ({@code rekey}, {@code encrypt}, {@code decrypt}, {@code inspect}).
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && !args[0].equals("operator")) {
      System.exit(dev.keyops.cli.KubectlKeyops.main("keyops", args));
      return;
    }
    OperatorConfig config;
    ApiClientSettings api;
    try {
      config = OperatorConfig.fromEnv(System.getenv());
      api = ApiClientSettings.fromEnv(System.getenv());
    } catch (IllegalArgumentException e) {
      LOG.error("invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    LOG.info(
        "API server requests: {} per attempt, {} retr(ies); at most {} for one request",
        api.requestTimeout(),
        api.retries(),
        api.worstCase());
    KubernetesClient client = api.client();
    KeyopsOperator operator = KeyopsOperator.start(client, config, Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  operator.close();
                  client.close();
                  stopped.countDown();
                },
                "keyops-shutdown"));
    stopped.await();
  }
}
