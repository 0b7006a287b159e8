package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyops.partition.PartitionRebuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards share one directory: while one lists its partitions, another creates temporary files and
 * renames them over its own partitions. Listing must not fail on an entry that vanished meanwhile
 * (found on a real node: a shard ended with NoSuchFileException on another shard's temporary file).
 */
class ConcurrentShardsTest {

  @TempDir Path dir;

  @Test
  void listingSurvivesAnotherShardRenamingItsTemporaryFiles() throws Exception {
    for (int i = 0; i < 200; i++) {
      Files.write(dir.resolve("p" + i), new byte[] {1});
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> other = new AtomicReference<>();
    Thread otherShard =
        new Thread(
            () -> {
              try {
                for (int n = 0; !stop.get(); n++) {
                  Path target = dir.resolve("p" + (n % 200));
                  Path temp = dir.resolve(PartitionRebuilder.TEMP_PREFIX + target.getFileName());
                  Files.write(temp, new byte[] {2});
                  Files.move(
                      temp,
                      target,
                      StandardCopyOption.ATOMIC_MOVE,
                      StandardCopyOption.REPLACE_EXISTING);
                }
              } catch (Exception e) {
                other.set(e);
              }
            });
    otherShard.start();
    try {
      Shard mine = Shard.parse("0/1");
      for (int round = 0; round < 300; round++) {
        assertEquals(200, RekeyRun.partitions(dir, mine).size(), "round " + round);
      }
    } finally {
      stop.set(true);
      otherShard.join();
    }
    assertNull(other.get());
  }
}
