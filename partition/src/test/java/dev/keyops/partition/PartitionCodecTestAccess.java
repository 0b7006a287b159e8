package dev.keyops.partition;

import java.io.IOException;
import java.nio.file.Path;

/** Test helpers shared across packages. */
public final class PartitionCodecTestAccess {
  private PartitionCodecTestAccess() {}

  public static void flip(Path p, long offset) throws IOException {
    PartitionCodecTest.flip(p, offset);
  }
}
