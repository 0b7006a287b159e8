package dev.keyops.rekey;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.RebuildCheckpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The worker command with a live writer, for {@link LiveWriterTest}: with {@code
 * KEYOPS_REPLACE_AT=<point>} and {@code KEYOPS_REPLACE_TIMES=<n>}, each of the first n times the
 * rebuild of a partition reaches that point (between reading it and replacing it), a writer
 * rewrites that partition as the library does (a new file renamed over the old one), with the key
 * ring in {@code KEYOPS_WRITER_KEYRING} and the content {@link LiveWriter#content}(name, version).
 * Deterministic: the writer acts exactly inside the window a timing-based test would hope to hit.
 */
public final class WriterRaceWorker {

  private WriterRaceWorker() {}

  public static void main(String[] args) {
    System.exit(Cli.run(args, writer(System.getenv())));
  }

  static RebuildCheckpoints writer(Map<String, String> env) {
    String point = env.get("KEYOPS_REPLACE_AT");
    int times = Integer.parseInt(env.get("KEYOPS_REPLACE_TIMES"));
    KeyBundle ring;
    try {
      ring =
          KeyBundle.parse(
              Files.readAllBytes(Path.of(env.get("KEYOPS_WRITER_KEYRING"))), DataKeyUnwrapper.NONE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<Path, Integer> versions = new HashMap<>();
    return new RebuildCheckpoints() {
      @Override
      public void reached(String reached) {}

      @Override
      public void reached(String reached, Path file) throws IOException {
        if (reached.equals(point) && versions.getOrDefault(file, 0) < times) {
          int v = versions.merge(file, 1, Integer::sum);
          LiveWriter.write(file, LiveWriter.content(file.getFileName().toString(), v), ring);
        }
      }
    };
  }
}
