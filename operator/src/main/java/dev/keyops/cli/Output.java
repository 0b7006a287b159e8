package dev.keyops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code -o json|yaml}: what a command prints for scripts instead of its table. */
final class Output {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "json or yaml (default: a table)")
  String format;

  /** True when a table (or text) is wanted; rejects an unknown format. */
  boolean table() {
    if (format == null || format.isEmpty()) {
      return true;
    }
    if (format.equals("json") || format.equals("yaml")) {
      return false;
    }
    throw new CliException("-o " + format + ": the output format must be json or yaml");
  }

  void print(Object report, PrintWriter out) {
    if (format.equals("json")) {
      try {
        out.println(JSON.writeValueAsString(report));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else {
      out.print(Serialization.asYaml(report));
    }
    out.flush();
  }
}
