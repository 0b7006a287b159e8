package dev.keyops.partition.example;

// [embedding-example]
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundleFile;
import dev.keyops.partition.PartitionCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A workload's partitions: ring keys from the mounted keyring Secret, one encrypted file per
 * partition. Not thread-safe (the codec owns its buffers): one store per thread.
 */
public final class PartitionStore {

  private final KeyBundleFile keyring;
  private final PartitionCodec codec = new PartitionCodec();

  /**
   * @param keyringFile keyring.json of the {@code <ring>-keyring} Secret mounted as a volume, for
   *     example /etc/keyops/keyring.json. A ring with gcpKms keys needs {@code new
   *     dev.keyops.kms.gcp.KmsDataKeyUnwrapper(null)} (keyops-kms-gcp) instead of NONE.
   */
  public PartitionStore(Path keyringFile) {
    this.keyring = new KeyBundleFile(keyringFile, DataKeyUnwrapper.NONE);
  }

  /** Writes a partition with the ring's Primary key as it is now; readers never see half of it. */
  public void write(Path partition, byte[] data) throws IOException {
    Path temp = partition.resolveSibling(partition.getFileName() + ".tmp");
    try (FileChannel out = FileChannel.open(temp, CREATE, TRUNCATE_EXISTING, WRITE)) {
      // keyring.current() re-reads the file when the Secret changed (checked at most once a
      // second), so a rotation is followed without a restart: new writes use the new Primary.
      codec.encrypt(new ByteArrayInputStream(data), out, keyring.current()); // fsyncs
    }
    Files.move(temp, partition, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Reads a partition with whichever key of the ring it is on. */
  public byte[] read(Path partition) throws IOException {
    try (InputStream in = codec.decrypt(partition, keyring.current())) {
      return in.readAllBytes(); // valid only because the stream was read to its end
    }
  }

  /** The key id a partition is on, without decrypting it. */
  public static String keyOf(Path partition) throws IOException {
    return PartitionCodec.inspect(partition).keyId().hex();
  }
}
// [/embedding-example]
