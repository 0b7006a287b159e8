package dev.keyops.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * The fabric8 mock API server in CRUD mode on a loopback port, plain HTTP. It does not enforce
 * schemas, CEL, server-side apply or garbage collection: see ENVIRONMENT.md.
 */
public final class MockApiServer implements AutoCloseable {

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public MockApiServer() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client =
        server.createClient(
            b ->
                b.withConfig(
                    new io.fabric8.kubernetes.client.ConfigBuilder()
                        .withMasterUrl(url())
                        .withNamespace("default")
                        .withTrustCerts(true)
                        .build()));
  }

  public KubernetesClient client() {
    return client;
  }

  public String url() {
    return "http://" + server.getHostName() + ":" + server.getPort();
  }

  /** Writes a kubeconfig that points at this server, for a child process. */
  public Path writeKubeconfig(Path dir) throws IOException {
    Path file = dir.resolve("kubeconfig");
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: %s
        contexts:
        - name: mock
          context:
            cluster: mock
            user: mock
            namespace: default
        current-context: mock
        users:
        - name: mock
          user:
            token: mock
        """
            .formatted(url()));
    return file;
  }

  /** The requests served since the last call, as "METHOD path", oldest first. */
  public java.util.List<String> drainRequests() throws InterruptedException {
    java.util.List<String> l = new java.util.ArrayList<>();
    for (var r = server.takeRequest(10, java.util.concurrent.TimeUnit.MILLISECONDS);
        r != null;
        r = server.takeRequest(10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      l.add(r.getMethod() + " " + r.getPath());
    }
    return l;
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
