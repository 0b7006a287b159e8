package dev.keyops.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.testing.FakeKms;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One Cloud KMS hiccup must not make a key unusable for the life of the process. */
class TransientUnwrapTest {

  static final String KMS_KEY = "projects/p/locations/l/keyRings/r/cryptoKeys/k";

  @TempDir Path dir;

  private final KeyBundleDocument.Entry managed = TestKeyBundles.key("k", "Primary");
  private final FakeKms kms = new FakeKms().knows(KMS_KEY, managed.material());
  private final List<Duration> sleeps = new ArrayList<>();
  private final AtomicLong now = new AtomicLong();
  private final UnwrapRetry retry =
      new UnwrapRetry(3, Duration.ofMillis(100), Duration.ofSeconds(10), sleeps::add, now::get);

  @Test
  void anUnavailableUnwrapIsRetriedAndTheReadSucceeds() throws IOException {
    Path p = partition(new byte[] {1, 2, 3});
    KeyBundleFile file = gcpKeyringFile();
    kms.thenFail(FakeKms.Code.UNAVAILABLE);

    assertArrayEquals(new byte[] {1, 2, 3}, read(p, file.current()));
    assertEquals(2, kms.calls.get());
    assertEquals(List.of(Duration.ofMillis(100)), sleeps);
  }

  @Test
  void anOutageLongerThanTheRetriesIsHeldBrieflyThenTriedAgainWithoutARestart() throws IOException {
    Path p = partition(new byte[] {4});
    KeyBundleFile file = gcpKeyringFile();
    kms.alwaysFail(FakeKms.Code.DEADLINE_EXCEEDED);

    PartitionException e = assertThrows(PartitionException.class, () -> read(p, file.current()));
    assertTrue(e.transientFailure(), e.getMessage());
    assertEquals(3, kms.calls.get(), "attempts are bounded");
    assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), sleeps);
    assertThrows(PartitionException.class, () -> read(p, file.current()));
    assertEquals(3, kms.calls.get(), "held: no call during the hold");

    kms.alwaysFail(null);
    now.addAndGet(Duration.ofSeconds(11).toNanos());
    assertArrayEquals(new byte[] {4}, read(p, file.current()));
    assertEquals(4, kms.calls.get());
  }

  @Test
  void aRefusalIsNotRetriedAndStaysARefusal() throws IOException {
    Path p = partition(new byte[] {5});
    KeyBundleFile file = gcpKeyringFile();
    kms.thenFail(FakeKms.Code.PERMISSION_DENIED);

    PartitionException e = assertThrows(PartitionException.class, () -> read(p, file.current()));
    assertFalse(e.transientFailure());
    assertEquals(PartitionException.Kind.KEY_UNAVAILABLE, e.kind());
    assertTrue(sleeps.isEmpty(), "a refusal was retried");
    assertEquals(1, kms.calls.get());
  }

  private KeyBundleFile gcpKeyringFile() throws IOException {
    Path f =
        TestKeyBundles.write(
            dir.resolve("keyring.json"),
            TestKeyBundles.doc(TestKeyBundles.asGcpKms(managed, KMS_KEY)));
    return new KeyBundleFile(f, kms, retry);
  }

  private Path partition(byte[] plain) throws IOException {
    Path p = dir.resolve("p");
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec()
          .encrypt(
              new ByteArrayInputStream(plain),
              ch,
              TestKeyBundles.ring(TestKeyBundles.doc(managed)));
    }
    return p;
  }

  private static byte[] read(Path p, KeyBundle ring) throws IOException {
    try (InputStream in = new PartitionCodec().decrypt(p, ring)) {
      return in.readAllBytes();
    }
  }
}
