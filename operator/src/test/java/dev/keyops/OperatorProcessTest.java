package dev.keyops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MockApiServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts the real operator process (dev.keyops.Main) against the mock API server. */
class OperatorProcessTest {

  @TempDir Path tmp;

  @Test
  void servesHealthAndMetricsAndReconcilesAndStopsGracefully() throws Exception {
    try (MockApiServer api = new MockApiServer()) {
      int port = freePort();
      Path log = tmp.resolve("operator.log");
      ProcessBuilder pb =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Dlogback.configurationFile=logback.xml",
                  "-cp",
                  System.getProperty("java.class.path"),
                  "dev.keyops.Main")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("KUBECONFIG", api.writeKubeconfig(tmp).toString());
      pb.environment().put("KEYOPS_HTTP_PORT", Integer.toString(port));
      pb.environment().put("KEYOPS_SERVER_SIDE_APPLY", "false");
      pb.environment().put("KEYOPS_LEADER_ELECTION", "false");
      pb.environment().put("KEYOPS_LOG_FORMAT", "json");
      pb.environment().put("KEYOPS_WORKER_IMAGE", "keyops-worker:test");
      Process process = pb.start();
      try {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port;
        awaitStatus(http, base + "/healthz", 200, process, log);
        awaitStatus(http, base + "/readyz", 200, process, log);

        api.client().resource(Fixtures.managedKey("k1", "orders")).create();
        Instant deadline = Instant.now().plusSeconds(30);
        EncryptionKey seen = null;
        while (Instant.now().isBefore(deadline)) {
          seen = api.client().resources(EncryptionKey.class).withName("k1").get();
          if (seen.getStatus() != null && seen.getStatus().getObservedGeneration() != null) {
            break;
          }
          Thread.sleep(100);
        }
        assertNotNull(
            seen.getStatus(), "operator never wrote status; log:\n" + Files.readString(log));

        String metrics = get(http, base + "/metrics").body();
        assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics missing");
        assertTrue(metrics.contains("keyops_keys"), "keyops metrics missing");
        assertTrue(
            metrics.contains("operator_sdk_reconciliations_started"),
            "framework metrics missing:\n" + metrics);
      } finally {
        process.destroy(); // SIGTERM: the shutdown hook stops the operator
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "operator did not stop on SIGTERM");
      }
      assertEquals(143, process.exitValue(), Files.readString(log));
      String output = Files.readString(log);
      assertTrue(output.contains("\"formattedMessage\":\"keyops stopping\""), output);
    }
  }

  private static void awaitStatus(HttpClient http, String url, int code, Process p, Path log)
      throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      if (!p.isAlive()) {
        throw new AssertionError("operator exited early:\n" + Files.readString(log));
      }
      try {
        if (get(http, url).statusCode() == code) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError(url + " never answered " + code + ":\n" + Files.readString(log));
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
