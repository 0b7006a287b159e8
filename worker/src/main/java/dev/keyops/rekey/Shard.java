package dev.keyops.rekey;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Shard {@code index} of {@code count}: a partition belongs to shard CRC32(relative path, UTF-8)
 * mod count, so N pods split the files deterministically and never touch the same file.
 */
public record Shard(int index, int count) {

  public static final Shard ALL = new Shard(0, 1);

  public Shard {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException(
          "a shard is I/N with 0 <= I < N, got " + index + "/" + count);
    }
  }

  /** Parses {@code I/N}. */
  public static Shard parse(String text) {
    String[] parts = text.split("/");
    try {
      if (parts.length == 2) {
        return new Shard(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException("--shard must be I/N such as 0/4, got '" + text + "'");
  }

  public boolean owns(String relativePath) {
    CRC32 crc = new CRC32();
    crc.update(relativePath.getBytes(StandardCharsets.UTF_8));
    return crc.getValue() % count == index;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
