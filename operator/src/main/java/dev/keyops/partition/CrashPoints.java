package dev.keyops.partition;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for the crash-safety tests: with {@code KEYOPS_CRASH_AT=<point>:<n>} in the
 * environment, the process halts (like SIGKILL: no shutdown hooks, no flushing) the n-th time it
 * reaches that point. Without the variable this does nothing.
 */
public final class CrashPoints {

  private static final String SPEC = System.getenv("KEYOPS_CRASH_AT");
  private static final AtomicInteger HITS = new AtomicInteger();

  private CrashPoints() {}

  public static void reach(String point) {
    if (SPEC == null) {
      return;
    }
    int colon = SPEC.lastIndexOf(':');
    if (SPEC.substring(0, colon).equals(point)
        && HITS.incrementAndGet() == Integer.parseInt(SPEC.substring(colon + 1))) {
      Runtime.getRuntime().halt(137);
    }
  }
}
