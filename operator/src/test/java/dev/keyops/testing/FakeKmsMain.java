package dev.keyops.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The fake Cloud KMS as a process, for dev/bench-scale: prints "endpoint HOST:PORT", then answers
 * commands on standard input, one line each: "down" (UNAVAILABLE from now on), "up", "calls"
 * (prints "calls N"). Ends at end of input.
 */
public final class FakeKmsMain {

  static final String BENCH_KEY =
      "projects/keyops-bench/locations/global/keyRings/bench/cryptoKeys/bench";

  private FakeKmsMain() {}

  public static void main(String[] args) throws Exception {
    try (FakeKms kms = new FakeKms()) {
      kms.create(BENCH_KEY);
      System.out.println("endpoint " + kms.endpoint());
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        switch (line.trim()) {
          case "down" -> kms.setUnavailable(true);
          case "up" -> kms.setUnavailable(false);
          case "calls" -> {}
          default -> System.err.println("unknown command: " + line);
        }
        System.out.println("calls " + kms.totalCalls());
        System.out.flush();
      }
    }
  }
}
