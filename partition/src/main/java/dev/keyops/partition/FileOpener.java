package dev.keyops.partition;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * How {@link PartitionRebuilder} opens the files it reads and writes. Production code passes {@link
 * #DEFAULT}; tests pass an opener whose channels fail (an fsync that reports a writeback error, a
 * read refused with EACCES, which a test running as root cannot get from file modes).
 */
@FunctionalInterface
public interface FileOpener {

  /** {@link FileChannel#open(Path, OpenOption...)}. */
  FileOpener DEFAULT = FileChannel::open;

  FileChannel open(Path file, OpenOption... options) throws IOException;
}
