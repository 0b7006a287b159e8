package dev.keyops.partition;

import java.io.IOException;

/**
 * Told how many partition bytes a rebuild has just streamed, so that it can slow the rebuild down
 * (a rate limit). {@link PartitionRebuilder} calls it after every chunk it reads from the source of
 * a re-encryption (the partition's plaintext, or an unencrypted file), at most {@code 1 MiB} at a
 * time, on the rebuilding thread, while the partition is being processed: blocking there paces one
 * large partition smoothly, not only the gaps between partitions. A rewrap streams no body and so
 * calls it not at all; neither does a dry run or a partition already on the target.
 *
 * <p>Production code without a limit passes {@link #NONE}. One pacer may be shared by rebuilders on
 * several threads.
 */
@FunctionalInterface
public interface RebuildPacer {

  /** Never slows anything down. */
  RebuildPacer NONE = bytes -> {};

  /**
   * Called after {@code bytes} more bytes were streamed; may block until the rebuild may go on.
   *
   * @throws IOException to abandon the partition (it is then reported as failed and left intact),
   *     for example {@link java.io.InterruptedIOException} when the thread is interrupted
   */
  void streamed(long bytes) throws IOException;
}
