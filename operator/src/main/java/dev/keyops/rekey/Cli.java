package dev.keyops.rekey;

/** Command line of the partition tools. */
public final class Cli {
  private Cli() {}

  public static int run(String[] args) {
    System.err.println("unknown command: " + args[0]);
    return 2;
  }
}
