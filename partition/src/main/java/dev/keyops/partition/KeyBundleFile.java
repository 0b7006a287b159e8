package dev.keyops.partition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A keyring.json mounted from the keyring Secret. Kubernetes updates Secret volumes by swapping a
 * symlink, so {@link #current()} re-reads the file when its content changed, at most once per
 * second; unwrapped Cloud KMS keys stay cached across reloads (failures do not: see {@link
 * UnwrapRetry}).
 */
public final class KeyBundleFile {

  private static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;

  private final Path path;
  private final DataKeyUnwrapper unwrapper;
  private final UnwrapRetry retry;
  private final Map<String, Object> cache = new ConcurrentHashMap<>();
  private byte[] lastBytes;
  private KeyBundle current;
  private long lastCheck;

  public KeyBundleFile(Path path, DataKeyUnwrapper unwrapper) {
    this(path, unwrapper, UnwrapRetry.DEFAULT);
  }

  /**
   * @param retry how a transient unwrap failure is retried (tests pass a sleeper that never waits)
   */
  public KeyBundleFile(Path path, DataKeyUnwrapper unwrapper, UnwrapRetry retry) {
    this.path = path;
    this.unwrapper = unwrapper;
    this.retry = retry;
    reload();
  }

  /** The keyring as it is on disk now (re-checked at most once per second). */
  public synchronized KeyBundle current() {
    if (System.nanoTime() - lastCheck > CHECK_INTERVAL_NANOS) {
      reload();
    }
    return current;
  }

  private void reload() {
    lastCheck = System.nanoTime();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      if (current != null) {
        return; // keep the last good keyring while the volume is being swapped
      }
      throw new UncheckedIOException("cannot read keyring file " + path + ": " + e.getMessage(), e);
    }
    if (lastBytes == null || !Arrays.equals(bytes, lastBytes)) {
      try {
        current = KeyBundle.parse(bytes, unwrapper, cache, retry);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
      }
      lastBytes = bytes;
    }
  }
}
