package dev.keyops.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.rekey.Cli;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@code keyops probe}, what the chart's `helm test` pod runs, against the real endpoints. */
class ProbeCommandTest {

  @Test
  void answersZeroWhenReadyAndOneWhenNot() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try (HttpEndpoints http =
        HttpEndpoints.start(
            "127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), ready::get)) {
      String url = "http://127.0.0.1:" + http.port() + "/readyz";
      assertEquals(1, Cli.run(new String[] {"probe", url}));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("HTTP 503"), out.toString());
      ready.set(true);
      assertEquals(0, Cli.run(new String[] {"probe", "--wait=5s", url}));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("HTTP 200 ok"), out.toString());
      assertEquals(1, Cli.run(new String[] {"probe", "http://127.0.0.1:1/readyz"}));
      assertEquals(2, Cli.run(new String[] {"probe", "--wait=soon", "http://127.0.0.1:1/"}));
    } finally {
      System.setOut(old);
    }
  }
}
