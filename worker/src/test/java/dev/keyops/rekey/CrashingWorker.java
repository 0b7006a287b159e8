package dev.keyops.rekey;

import dev.keyops.partition.RebuildCheckpoints;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker command with a crash point, for {@link CrashSafetyTest}: with {@code
 * KEYOPS_CRASH_AT=<point>:<n>} in the environment, the process halts (like SIGKILL: no shutdown
 * hooks, no flushing) the n-th time a rebuild reaches that point.
 */
public final class CrashingWorker {

  private CrashingWorker() {}

  public static void main(String[] args) {
    String spec = System.getenv("KEYOPS_CRASH_AT");
    RebuildCheckpoints checkpoints = RebuildCheckpoints.NONE;
    if (spec != null) {
      int colon = spec.lastIndexOf(':');
      String point = spec.substring(0, colon);
      int n = Integer.parseInt(spec.substring(colon + 1));
      AtomicInteger hits = new AtomicInteger();
      checkpoints =
          reached -> {
            if (reached.equals(point) && hits.incrementAndGet() == n) {
              Runtime.getRuntime().halt(137);
            }
          };
    }
    System.exit(Cli.run(args, checkpoints));
  }
}
