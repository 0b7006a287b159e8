package dev.keyops.partition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * Which file a path names, and in what version: file key (device and inode on Linux), size,
 * modification time and, where the platform has it, change time. A writer that follows the contract
 * (write a new file, rename it over the old one) changes the file key; one that writes in place
 * changes the times. A rebuild replaces a partition only while this is unchanged.
 */
public record FileIdentity(Object fileKey, long size, FileTime modified, Object changed) {

  /** The identity of the file {@code path} names now (not following a symbolic link). */
  public static FileIdentity of(Path path) throws IOException {
    BasicFileAttributes a =
        Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Object ctime = null;
    try {
      ctime = Files.getAttribute(path, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // not a Unix file system: file key, size and mtime only
    }
    return new FileIdentity(a.fileKey(), a.size(), a.lastModifiedTime(), ctime);
  }

  /** Whether {@code other} is the same file (same file key), whatever its content now. */
  public boolean sameFile(FileIdentity other) {
    return fileKey != null && Objects.equals(fileKey, other.fileKey);
  }
}
