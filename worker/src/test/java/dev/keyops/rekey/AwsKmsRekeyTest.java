package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.aws.AwsKmsDataKeyUnwrapper;
import dev.keyops.kms.aws.AwsKmsGateway;
import dev.keyops.kms.aws.AwsKmsTarget;
import dev.keyops.kms.aws.SdkAwsKmsGateway;
import dev.keyops.kms.aws.testing.MotoServer;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.UnwrapRetry;
import dev.keyops.partition.testing.TestKeyBundles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The rekey command over partitions on an awsKms ring key, unwrapped by the real AWS SDK against a
 * real moto server: one Decrypt per key per process; an outage fails the shard retryably with
 * nothing reported unrecoverable; a denied Decrypt is unrecoverable and names kms:Decrypt.
 */
class AwsKmsRekeyTest {

  static final String AAD = "keyops/v1/shop/orders/old";
  static final Map<String, String> CONTEXT = Map.of("keyops", "v1/shop/orders/old");

  /**
   * moto 5.2.5 matches KMS actions against a policy's Resource "*" only (a statement naming the key
   * ARN is denied), so the users here are scoped by action alone.
   */
  static final String MOTO_RESOURCE = "*";

  @TempDir Path dir;
  MotoServer moto;
  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Retired");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final AtomicInteger decrypts = new AtomicInteger();
  final List<Duration> sleeps = new ArrayList<>();
  String arn;
  byte[] wrapped;

  @BeforeEach
  void start() {
    moto = MotoServer.startEnforcingIam();
    arn = moto.createKey();
    try (var g = gateway(moto.adminCredentials())) {
      wrapped = g.encrypt(Base64.getDecoder().decode(old.material()), CONTEXT).ciphertext();
    }
  }

  @AfterEach
  void stop() {
    moto.close();
    Cli.awsKmsUnwrapperFactory = AwsKmsDataKeyUnwrapper::withDefaultCredentials;
    Cli.unwrapRetry = UnwrapRetry.DEFAULT;
  }

  private SdkAwsKmsGateway gateway(AwsBasicCredentials c) {
    return gateway(c, new AwsKmsTarget(arn, null, moto.endpoint()));
  }

  private static SdkAwsKmsGateway gateway(AwsBasicCredentials c, AwsKmsTarget t) {
    return new SdkAwsKmsGateway(t, StaticCredentialsProvider.create(c), Duration.ofSeconds(2));
  }

  @Test
  void rebuildsWithOneDecryptPerKey() throws IOException {
    Path data = partitions(3);
    int exit = rekey(data, moto.userAllowed("worker", List.of("kms:Decrypt"), MOTO_RESOURCE));
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.OK, exit, r.toJson());
    assertEquals(3, r.rebuilt);
    assertEquals(1, decrypts.get(), "one AWS KMS Decrypt per key per process");
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(
          plain(i),
          RekeyRunTest.decrypt(
              data.resolve("p" + i), TestKeyBundles.ring(TestKeyBundles.doc(target))));
    }
  }

  @Test
  void anOutageIsRetryableAndNothingIsUnrecoverable() throws IOException {
    Path data = partitions(2);
    byte[] before = Files.readAllBytes(data.resolve("p0"));
    AwsBasicCredentials worker = moto.userAllowed("worker", List.of("kms:Decrypt"), MOTO_RESOURCE);
    moto.close();
    int exit = rekey(data, worker);
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.RETRY, exit, r.toJson());
    assertEquals(0, r.unrecoverable);
    assertEquals(3, decrypts.get(), "bounded: the retry's attempts, not one per partition");
    assertArrayEquals(before, Files.readAllBytes(data.resolve("p0")));
  }

  @Test
  void aDeniedDecryptIsUnrecoverableAndNamesTheAction() throws IOException {
    Path data = partitions(2);
    int exit = rekey(data, moto.userAllowed("encrypt-only", List.of("kms:Encrypt"), MOTO_RESOURCE));
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.PARTIAL_FAILURE, exit, r.toJson());
    assertEquals(2, r.unrecoverable);
    assertFalse(r.failures.get(0).retryable());
    assertTrue(r.failures.get(0).reason().contains("kms:Decrypt"), r.failures.get(0).reason());
    assertTrue(sleeps.isEmpty(), "a refusal was retried");
  }

  private int rekey(Path data, AwsBasicCredentials worker) throws IOException {
    KeyBundleDocument.Entry aws =
        new KeyBundleDocument.Entry(
            old.keyId(),
            old.name(),
            old.state(),
            "awsKms",
            null,
            arn,
            Base64.getEncoder().encodeToString(wrapped),
            AAD,
            null,
            new KeyBundleDocument.AwsKms(arn, MotoServer.REGION, moto.endpoint(), CONTEXT));
    Path keyring =
        TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target, aws));
    Cli.awsKmsUnwrapperFactory =
        () -> new AwsKmsDataKeyUnwrapper(t -> new Counting(gateway(worker, t)));
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

  /** Counts Decrypt calls. */
  final class Counting implements AwsKmsGateway {
    private final AwsKmsGateway d;

    Counting(AwsKmsGateway d) {
      this.d = d;
    }

    @Override
    public AwsKmsTarget target() {
      return d.target();
    }

    @Override
    public KeyInfo describeKey() {
      return d.describeKey();
    }

    @Override
    public Wrapped encrypt(byte[] plaintext, Map<String, String> context) {
      return d.encrypt(plaintext, context);
    }

    @Override
    public byte[] decrypt(byte[] ciphertext, Map<String, String> context) {
      decrypts.incrementAndGet();
      return d.decrypt(ciphertext, context);
    }

    @Override
    public Boolean rotationEnabled(String keyArn) {
      return d.rotationEnabled(keyArn);
    }

    @Override
    public void close() {
      d.close();
    }
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
    return ("partition " + i).repeat(100).getBytes(StandardCharsets.UTF_8);
  }
}
