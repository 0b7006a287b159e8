package dev.keyops.api.v1alpha1;

/** The descriptions of the include and exclude globs, shared by every storage entry. */
final class Globs {

  private Globs() {}

  static final String INCLUDE =
      "Only files whose path relative to the location matches one of these globs (java.nio"
          + " glob: *.bin is top-level only, **/*.bin below it) are partitions. Default: every"
          + " file. Every entry a job scans must give the same include and exclude lists (one"
          + " worker pod applies one selection to all its locations).";

  static final String EXCLUDE =
      "Files whose path relative to the location matches one of these globs are left out."
          + " Default: none.";
}
