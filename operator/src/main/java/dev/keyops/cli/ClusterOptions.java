package dev.keyops.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How a cluster command finds its cluster, as kubectl does: {@code --kubeconfig}, else {@code
 * $KUBECONFIG} (files separated by ':'), else {@code ~/.kube/config}; {@code --context}, else the
 * current context; {@code -n}, else the context's namespace, else {@code default}; {@code --as} and
 * {@code --as-group} to impersonate.
 */
final class ClusterOptions {

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
  Path kubeconfig;

  @Option(
      names = "--context",
      paramLabel = "NAME",
      description = "kubeconfig context (default: the current context)")
  String context;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      description = "namespace (default: the context's namespace, else default)")
  String namespace;

  @Option(names = "--as", paramLabel = "USER", description = "user to impersonate")
  String as;

  @Option(
      names = "--as-group",
      paramLabel = "GROUP",
      description = "group to impersonate (repeat for several)")
  List<String> asGroups = new ArrayList<>();

  /** Connects: reads the kubeconfig; the first request reveals whether the server answers. */
  Session connect() {
    Config config = config();
    // A command line answers quickly: a server that does not answer is reported, not retried
    // for minutes (the client's default is 10 retries with exponential backoff).
    config.setRequestRetryBackoffLimit(1);
    if (as != null) {
      config.setImpersonateUsername(as);
      config.setImpersonateGroups(asGroups.toArray(String[]::new));
    } else if (!asGroups.isEmpty()) {
      throw new CliException("--as-group needs --as (the user to impersonate)");
    }
    String ns =
        namespace != null
            ? namespace
            : config.getNamespace() != null ? config.getNamespace() : "default";
    String contextName =
        config.getCurrentContext() == null ? null : config.getCurrentContext().getName();
    config.setUserAgent("kubectl-keyops/" + dev.keyops.ApiClientSettings.VERSION);
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return new Session(client, ns, config.getMasterUrl(), contextName);
  }

  private Config config() {
    if (kubeconfig != null) {
      if (!Files.isReadable(kubeconfig)) {
        throw new CliException("--kubeconfig " + kubeconfig + ": no such readable file");
      }
      Config c = load(() -> Config.fromKubeconfig(context, kubeconfig.toFile()), kubeconfig);
      requireContext(c, kubeconfig.toString());
      return c;
    }
    List<String> files = new ArrayList<>(Config.getKubeconfigFilenames());
    boolean anyFile = files.stream().anyMatch(f -> new File(f).isFile());
    boolean inCluster = System.getenv("KUBERNETES_SERVICE_HOST") != null;
    if (!anyFile && !inCluster) {
      throw new CliException(
          "no kubeconfig: "
              + (System.getenv("KUBECONFIG") == null
                  ? "KUBECONFIG is not set and " + String.join(", ", files) + " does not exist"
                  : "none of the files in KUBECONFIG exists (" + String.join(", ", files) + ")")
              + "; pass --kubeconfig FILE, or check that kubectl works (kubectl config"
              + " current-context)");
    }
    Config c = load(() -> Config.autoConfigure(context), null);
    if (anyFile) {
      requireContext(c, String.join(":", files));
    }
    return c;
  }

  private Config load(java.util.function.Supplier<Config> loader, Path file) {
    try {
      return loader.get();
    } catch (KubernetesClientException | IllegalArgumentException e) {
      throw new CliException(
          "cannot read the kubeconfig"
              + (file == null ? "" : " " + file)
              + ": "
              + KubectlKeyops.messageOf(e));
    }
  }

  /** A context that the kubeconfig does not have is an error, not a silent fallback. */
  private void requireContext(Config c, String where) {
    if (context == null) {
      if (c.getCurrentContext() == null && c.getMasterUrl() == null) {
        throw new CliException(
            "the kubeconfig " + where + " has no current context: pass --context");
      }
      return;
    }
    if (c.getCurrentContext() == null || !context.equals(c.getCurrentContext().getName())) {
      List<String> names =
          c.getContexts() == null
              ? List.of()
              : c.getContexts().stream().map(x -> x.getName()).sorted().toList();
      throw new CliException(
          "context "
              + context
              + " is not in the kubeconfig "
              + where
              + (names.isEmpty() ? "" : "; its contexts: " + String.join(", ", names)));
    }
  }

  /** A connected client and where it points. */
  record Session(KubernetesClient client, String namespace, String server, String context)
      implements AutoCloseable {

    /** Where we are, for error messages: "context kind (https://127.0.0.1:6443)". */
    String where() {
      return (context == null ? "" : "context " + context + ", ") + "server " + server;
    }

    @Override
    public void close() {
      client.close();
    }
  }
}
