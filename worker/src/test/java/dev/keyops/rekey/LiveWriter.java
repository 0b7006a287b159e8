package dev.keyops.rekey;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.PartitionCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** A workload's writer as docs/embedding.md has it: a new file, renamed over the old one. */
final class LiveWriter {

  private LiveWriter() {}

  static byte[] content(String name, int version) {
    return ("partition " + name + ", version " + version + "\n")
        .repeat(200 + version)
        .getBytes(StandardCharsets.UTF_8);
  }

  static void write(Path partition, byte[] data, KeyBundle ring) throws IOException {
    Path temp = partition.resolveSibling(partition.getFileName() + ".tmp");
    try (FileChannel out =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(data), out, ring);
    }
    Files.move(temp, partition, StandardCopyOption.ATOMIC_MOVE);
  }
}
