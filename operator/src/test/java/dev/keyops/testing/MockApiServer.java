package dev.keyops.testing;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The fabric8 mock API server in CRUD mode on a loopback port, plain HTTP. It does not enforce
 * schemas, CEL, server-side apply or garbage collection: see ENVIRONMENT.md.
 */
public final class MockApiServer implements AutoCloseable {

  /** Every request a live mock server failed with an exception, for the harness to report. */
  private static final List<String> FAILED = new CopyOnWriteArrayList<>();

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final AnsweringDispatcher dispatcher = new AnsweringDispatcher();

  public MockApiServer() {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client =
        server.createClient(
            b ->
                b.withConfig(
                    new io.fabric8.kubernetes.client.ConfigBuilder()
                        .withMasterUrl(url())
                        .withNamespace("default")
                        .withTrustCerts(true)
                        .withRequestTimeout(REQUEST_TIMEOUT_MS)
                        .build()));
  }

  /**
   * The clients' per-request timeout: the operator's default (see the chart's apiServer values).
   */
  static final int REQUEST_TIMEOUT_MS = 10_000;

  /**
   * The requests any mock server failed with an exception since the JVM started, as "METHOD path:
   * exception" (the fabric8 server leaves such a request without an answer; this one answers 422).
   */
  public static List<String> failedRequests() {
    return List.copyOf(FAILED);
  }

  /**
   * Makes the server refuse the next {@code count} requests that match with 409 Conflict, without
   * applying them: what a real API server answers a write from a stale copy.
   */
  public void conflictOnNext(Predicate<RecordedRequest> matching, int count) {
    dispatcher.conflicts.add(new Conflicts(matching, new AtomicInteger(count)));
  }

  /** How many requests {@link #conflictOnNext} refused so far. */
  public int conflictsAnswered() {
    return dispatcher.answered.get();
  }

  private record Conflicts(Predicate<RecordedRequest> matching, AtomicInteger left) {}

  /**
   * The status writes this server refused with 409 Conflict as sent from a stale copy (as a real
   * API server does), as "PUT path", oldest first. Each is one request in {@link #drainRequests}
   * that changed nothing: the writer reads the object again and retries.
   */
  public List<String> staleWritesRefused() {
    return List.copyOf(dispatcher.staleRefused);
  }

  /**
   * The CRUD dispatcher, answering every request: a handler's exception (a JSON Patch that does not
   * apply, say) becomes a 422 with the exception's message, recorded for the harness, instead of a
   * request left hanging until the client times out.
   */
  private static final class AnsweringDispatcher extends KubernetesCrudDispatcher {
    final List<Conflicts> conflicts = new CopyOnWriteArrayList<>();
    final AtomicInteger answered = new AtomicInteger();
    final List<String> staleRefused = new CopyOnWriteArrayList<>();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      for (Conflicts c : conflicts) {
        if (c.matching().test(request) && c.left().getAndDecrement() > 0) {
          answered.incrementAndGet();
          return status(409, "Conflict", "the object has been modified (injected by the test)");
        }
      }
      try {
        if ("GET".equals(request.getMethod())) {
          return super.dispatch(request);
        }
        // Writes one at a time, so that the precondition checked is the one applied to.
        synchronized (this) {
          if (staleUpdate(request)) {
            String path = request.getPath();
            int q = path.indexOf('?');
            staleRefused.add("PUT " + (q < 0 ? path : path.substring(0, q)));
            return status(
                409,
                "Conflict",
                "the object has been modified; apply your changes to the latest version and try"
                    + " again");
          }
          return super.dispatch(request);
        }
      } catch (RuntimeException e) {
        FAILED.add(request.getMethod() + " " + request.getPath() + ": " + e);
        return status(422, "Invalid", "the mock API server failed the request: " + e);
      }
    }

    /**
     * A PUT whose resourceVersion is not the stored one. The fabric8 server checks it on the object
     * but not on its status subresource; a real API server checks both.
     */
    private boolean staleUpdate(RecordedRequest request) {
      if (!"PUT".equals(request.getMethod())) {
        return false;
      }
      String path = request.getPath();
      int q = path.indexOf('?');
      path = q < 0 ? path : path.substring(0, q);
      if (!path.endsWith("/status")) {
        return false;
      }
      String sent =
          Serialization.unmarshal(
                  new String(request.getBody().getBytes(), StandardCharsets.UTF_8),
                  GenericKubernetesResource.class)
              .getMetadata()
              .getResourceVersion();
      MockResponse stored = handleGet(path.substring(0, path.length() - "/status".length()));
      if (sent == null || stored.code() != 200) {
        return false;
      }
      String current =
          Serialization.unmarshal(
                  new String(stored.getBody().getBytes(), StandardCharsets.UTF_8),
                  GenericKubernetesResource.class)
              .getMetadata()
              .getResourceVersion();
      return !sent.equals(current);
    }

    private static MockResponse status(int code, String reason, String message) {
      Status status =
          new StatusBuilder()
              .withStatus("Failure")
              .withCode(code)
              .withReason(reason)
              .withMessage(message)
              .build();
      return new MockResponse()
          .setResponseCode(code)
          .setHeader("Content-Type", "application/json")
          .setBody(Serialization.asJson(status));
    }
  }

  public KubernetesClient client() {
    return client;
  }

  /**
   * The requests the server received since the last call, as "METHOD path" (path without the
   * query), oldest first.
   */
  public java.util.List<String> drainRequests() {
    java.util.List<String> out = new java.util.ArrayList<>();
    try {
      for (var r = server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS);
          r != null;
          r = server.takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        String path = r.getPath();
        int q = path.indexOf('?');
        out.add(r.getMethod() + " " + (q < 0 ? path : path.substring(0, q)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
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

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
