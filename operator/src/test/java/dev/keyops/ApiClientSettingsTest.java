package dev.keyops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import java.time.Duration;
import java.util.Map;
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
}
