package dev.keyops.testing;

import dev.keyops.cli.KubectlKeyops;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;

/**
 * Runs {@code kubectl keyops} in this process and captures what it prints: the command's own stdout
 * and stderr, and (for the partition commands, which print to the process's stdout) what reached
 * System.out meanwhile.
 *
 * @param code the exit code
 */
public record Plugin(int code, String out, String err) {

  public static Plugin run(String... args) {
    return run(Clock.systemUTC(), args);
  }

  public static synchronized Plugin run(Clock clock, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    PrintStream stdout = System.out;
    ByteArrayOutputStream passedThrough = new ByteArrayOutputStream();
    System.setOut(new PrintStream(passedThrough, true, StandardCharsets.UTF_8));
    int code;
    try {
      code =
          KubectlKeyops.run(
              "kubectl keyops", args, new PrintWriter(out), new PrintWriter(err), clock);
    } finally {
      System.setOut(stdout);
    }
    return new Plugin(code, out + passedThrough.toString(StandardCharsets.UTF_8), err.toString());
  }

  /**
   * The cells of the table row whose first cell is {@code first} (cells are separated by at least
   * three spaces; an empty cell joins its neighbours).
   */
  public static List<String> row(String table, String first) {
    return table
        .lines()
        .filter(l -> l.startsWith(first + " "))
        .findFirst()
        .map(l -> List.of(l.split(" {3,}")))
        .orElseThrow(() -> new AssertionError("no row " + first + " in\n" + table));
  }

  /** Everything it printed, for leak checks and failure messages. */
  public String all() {
    return out + err;
  }

  @Override
  public String toString() {
    return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
}
