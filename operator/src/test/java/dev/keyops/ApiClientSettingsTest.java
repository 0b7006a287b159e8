package dev.keyops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ApiClientSettingsTest {

  @Test
  void theDefaultsBoundOneRequestToAboutTwentySeconds() {
    ApiClientSettings s = ApiClientSettings.fromEnv(Map.of());
    assertEquals(Duration.ofSeconds(10), s.requestTimeout());
    assertEquals(1, s.retries());
    assertTrue(
        s.worstCase().compareTo(Duration.ofSeconds(21)) <= 0,
        "worst case " + s.worstCase() + " is above 21 s");
  }

  @Test
  void theSettingsReachTheClientConfiguration() {
    ApiClientSettings s =
        ApiClientSettings.fromEnv(
            Map.of(
                "KEYOPS_API_REQUEST_TIMEOUT", "3s",
                "KEYOPS_API_REQUEST_RETRIES", "2",
                "KEYOPS_API_RETRY_BACKOFF", "100ms"));
    Config c = s.applyTo(Config.empty());
    assertEquals(3000, c.getRequestTimeout());
    assertEquals(2, c.getRequestRetryBackoffLimit());
    assertEquals(100, c.getRequestRetryBackoffInterval());
    assertEquals(Duration.ofMillis(3 * 3000 + 100 + 200), s.worstCase());
  }

  @Test
  void badValuesSayWhatIsWrong() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ApiClientSettings.fromEnv(Map.of("KEYOPS_API_REQUEST_RETRIES", "many")));
    assertTrue(e.getMessage().contains("KEYOPS_API_REQUEST_RETRIES"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ApiClientSettings.fromEnv(Map.of("KEYOPS_API_REQUEST_TIMEOUT", "0s")));
    assertTrue(e.getMessage().contains("KEYOPS_API_REQUEST_TIMEOUT"), e.getMessage());
  }

  @Test
  void everyRequestNamesKeyopsAsItsUserAgent() throws Exception {
    // A real HTTP server on loopback records what the real fabric8 client sends.
    List<String> agents = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          agents.add(String.valueOf(exchange.getRequestHeaders().getFirst("User-Agent")));
          byte[] body =
              "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"x\"}}"
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      Config config =
          ApiClientSettings.fromEnv(Map.of())
              .applyTo(
                  new ConfigBuilder(Config.empty())
                      .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort())
                      .build());
      try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
        client.namespaces().withName("x").get();
      }
    } finally {
      server.stop(0);
    }
    assertEquals(List.of(ApiClientSettings.USER_AGENT), agents);
    assertTrue(
        ApiClientSettings.USER_AGENT.startsWith("keyops-operator/"), ApiClientSettings.USER_AGENT);
  }
}
