package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.UnwrapRetry;
import dev.keyops.partition.testing.FakeKms;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rekey command over partitions on a gcpKms ring key, with a fake Cloud KMS: UNAVAILABLE is
 * retried (and, if it lasts, fails the shard retryably with nothing reported unrecoverable);
 * PERMISSION_DENIED is still reported unrecoverable.
 */
class KmsOutageTest {

  static final String KMS_KEY = "projects/p/locations/l/keyRings/r/cryptoKeys/old";

  @TempDir Path dir;

  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Retired");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final FakeKms kms = new FakeKms().knows(KMS_KEY, old.material());
  final List<Duration> sleeps = new ArrayList<>();

  @AfterEach
  void restore() {
    Cli.unwrapperFactory =
        endpoint ->
            new dev.keyops.kms.gcp.KmsDataKeyUnwrapper(
                endpoint != null ? endpoint : System.getenv("KEYOPS_KMS_ENDPOINT"));
    Cli.unwrapRetry = UnwrapRetry.DEFAULT;
  }

  @Test
  void oneUnavailableUnwrapIsRetriedAndEveryPartitionIsRebuilt() throws IOException {
    Path data = partitions(3);
    kms.thenFail(FakeKms.Code.UNAVAILABLE);

    int exit = rekey(data);

    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.OK, exit, Files.readString(dir.resolve("result.json")));
    assertEquals(3, r.rebuilt);
    assertEquals(0, r.unrecoverable);
    assertEquals(List.of(Duration.ofMillis(1)), sleeps);
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(
          plain(i),
          RekeyRunTest.decrypt(
              data.resolve("p" + i), TestKeyBundles.ring(TestKeyBundles.doc(target))));
    }
  }

  @Test
  void aLastingOutageFailsTheShardRetryablyAndReportsNothingUnrecoverable() throws IOException {
    Path data = partitions(3);
    byte[] before = Files.readAllBytes(data.resolve("p0"));
    kms.alwaysFail(FakeKms.Code.UNAVAILABLE);

    int exit = rekey(data);

    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.RETRY, exit);
    assertEquals(0, r.unrecoverable);
    assertEquals(3, r.failed);
    assertTrue(r.failures.stream().allMatch(WorkerResult.Failure::retryable), r.toJson());
    assertEquals(WorkerResult.KEY_TEMPORARILY_UNAVAILABLE, r.errorReason);
    assertTrue(r.error.contains(old.keyId()), r.error);
    assertEquals(3, kms.calls.get(), "the outage is retried a bounded number of times per run");
    assertArrayEquals(before, Files.readAllBytes(data.resolve("p0")));
  }

  @Test
  void permissionDeniedIsStillUnrecoverable() throws IOException {
    Path data = partitions(2);
    kms.alwaysFail(FakeKms.Code.PERMISSION_DENIED);

    int exit = rekey(data);

    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.PARTIAL_FAILURE, exit);
    assertEquals(2, r.unrecoverable);
    assertFalse(r.failures.get(0).retryable());
    assertTrue(
        r.failures.get(0).reason().contains("PERMISSION_DENIED"), r.failures.get(0).reason());
    assertEquals(null, r.errorReason);
    assertTrue(sleeps.isEmpty(), "a refusal was retried");
  }

  private int rekey(Path data) throws IOException {
    Path keyring =
        TestKeyBundles.write(
            dir.resolve("keyring.json"),
            TestKeyBundles.doc(target, TestKeyBundles.asGcpKms(old, KMS_KEY)));
    Cli.unwrapperFactory = endpoint -> kms;
    Cli.unwrapRetry =
        new UnwrapRetry(
            3, Duration.ofMillis(1), Duration.ofHours(1), sleeps::add, System::nanoTime);
    return Cli.run(
        new String[] {
          "rekey",
          "--keyring",
          keyring.toString(),
          "--data",
          data.toString(),
          "--result",
          dir.resolve("result.json").toString()
        });
  }

  private Path partitions(int n) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int i = 0; i < n; i++) {
      try (FileChannel ch =
          FileChannel.open(
              data.resolve("p" + i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        new PartitionCodec()
            .encrypt(
                new ByteArrayInputStream(plain(i)),
                ch,
                TestKeyBundles.ring(TestKeyBundles.doc(old)));
      }
    }
    return data;
  }

  private static byte[] plain(int i) {
    return ("partition " + i).repeat(100).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
