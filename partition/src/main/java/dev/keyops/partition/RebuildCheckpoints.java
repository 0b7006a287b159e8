package dev.keyops.partition;

/**
 * The named points of a rebuild between its writes, fsyncs, verification, rename and slot wipe.
 * {@link PartitionRebuilder} reports each point it passes; production code passes {@link #NONE}.
 * This is the seam the crash-safety tests use to halt a worker process at an exact point.
 *
 * <p>Points: {@code reencrypt.temp-created}, {@code reencrypt.temp-synced}, {@code
 * reencrypt.verified}, {@code reencrypt.renamed}, {@code rewrap.new-slot-synced}, {@code
 * rewrap.old-slot-wiped}.
 */
@FunctionalInterface
public interface RebuildCheckpoints {

  /** Nothing happens at any point. */
  RebuildCheckpoints NONE = point -> {};

  /** Called when a rebuild reaches {@code point}. */
  void reached(String point);

  /**
   * Called when the rebuild of {@code file} reaches {@code point}. Tests that play a writer
   * replacing the file at that point override this one.
   */
  default void reached(String point, java.nio.file.Path file) throws java.io.IOException {
    reached(point);
  }
}
