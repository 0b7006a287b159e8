package dev.keyops.rekey;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keyops probe URL}: GETs an endpoint of a running operator ({@code /readyz}) until it
 * answers 2xx or the wait ends. The chart's {@code helm test} pod runs it with the operator's own
 * image, so the test needs no other image (the image has no shell or curl).
 */
@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    description = {
      "GET URL (e.g. http://keyops-metrics.keyops:8080/readyz) until it answers 2xx.",
      "Exit 0: it answered 2xx; 1: it did not within --wait."
    })
public final class ProbeCommand implements Callable<Integer> {

  @Parameters(paramLabel = "URL", description = "the endpoint to GET")
  URI url;

  @Option(
      names = "--wait",
      defaultValue = "0s",
      description = "keep trying (every second) for this long, e.g. 60s; default: one try")
  String wait;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    Instant deadline = Instant.now().plus(parse(wait));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String last;
    while (true) {
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        last = "HTTP " + r.statusCode() + " " + r.body().strip();
        if (r.statusCode() / 100 == 2) {
          out.println(url + ": " + last);
          out.flush();
          return 0;
        }
      } catch (java.io.IOException e) {
        last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
      if (!Instant.now().isBefore(deadline)) {
        out.println(url + ": " + last);
        out.flush();
        return 1;
      }
      Thread.sleep(1000);
    }
  }

  private static Duration parse(String s) {
    if (!s.matches("[0-9]+[smh]")) {
      throw new IllegalArgumentException("--wait: expected a duration like 30s, 5m or 1h: " + s);
    }
    long n = Long.parseLong(s.substring(0, s.length() - 1));
    return switch (s.charAt(s.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }
}
