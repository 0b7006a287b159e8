package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.kms.transit.HttpTransitGateway;
import dev.keyops.kms.transit.TransitAuth;
import dev.keyops.kms.transit.TransitDataKeyUnwrapper;
import dev.keyops.kms.transit.TransitGateway;
import dev.keyops.kms.transit.TransitTarget;
import dev.keyops.kms.transit.testing.OpenBaoServer;
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

/**
 * The rekey command over partitions on a transit ring key, unwrapped by a real OpenBao (token file,
 * as KEYOPS_TRANSIT_TOKEN_FILE configures it): one decrypt per key per process; an outage fails the
 * shard retryably with nothing reported unrecoverable; a 403 is unrecoverable.
 */
class TransitRekeyTest {

  static final String AAD = "keyops/v1/shop/orders/old";

  @TempDir Path dir;
  OpenBaoServer bao;
  final KeyBundleDocument.Entry old = TestKeyBundles.key("old", "Retired");
  final KeyBundleDocument.Entry target = TestKeyBundles.key("new", "Primary");
  final AtomicInteger decrypts = new AtomicInteger();
  final List<Duration> sleeps = new ArrayList<>();
  String wrapped;

  @BeforeEach
  void start() {
    bao = OpenBaoServer.start();
    bao.createKey("orders", "aes256-gcm96");
    try (var g = gateway(OpenBaoServer.ROOT_TOKEN)) {
      wrapped =
          g.encrypt(
                  "orders",
                  Base64.getDecoder().decode(old.material()),
                  AAD.getBytes(StandardCharsets.UTF_8))
              .ciphertext();
    }
  }

  @AfterEach
  void stop() {
    bao.close();
    Cli.transitUnwrapperFactory = () -> TransitDataKeyUnwrapper.fromEnvironment(System.getenv());
    Cli.unwrapRetry = UnwrapRetry.DEFAULT;
  }

  private HttpTransitGateway gateway(String token) {
    return new HttpTransitGateway(
        new TransitTarget(bao.address(), null, null),
        new TransitAuth.Token(token),
        null,
        Duration.ofSeconds(5));
  }

  @Test
  void rebuildsWithOneDecryptPerKey() throws IOException {
    Path data = partitions(3);
    int exit = rekey(data, OpenBaoServer.ROOT_TOKEN);
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.OK, exit, r.toJson());
    assertEquals(3, r.rebuilt);
    assertEquals(1, decrypts.get(), "one Transit decrypt per key per process");
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
    bao.close();
    int exit = rekey(data, OpenBaoServer.ROOT_TOKEN);
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.RETRY, exit, r.toJson());
    assertEquals(0, r.unrecoverable);
    assertEquals(3, decrypts.get(), "bounded: the retry's attempts, not one per partition");
    assertArrayEquals(before, Files.readAllBytes(data.resolve("p0")));
  }

  @Test
  void aDeniedDecryptIsUnrecoverableAndNamesThePolicy() throws IOException {
    Path data = partitions(2);
    String token =
        bao.tokenWithPolicy(
            "encrypt-only", "path \"transit/encrypt/orders\" { capabilities = [\"update\"] }");
    int exit = rekey(data, token);
    WorkerResult r = WorkerResult.parse(Files.readString(dir.resolve("result.json")));
    assertEquals(Cli.PARTIAL_FAILURE, exit, r.toJson());
    assertEquals(2, r.unrecoverable);
    assertFalse(r.failures.get(0).retryable());
    assertTrue(
        r.failures.get(0).reason().contains("transit/decrypt/orders"), r.failures.get(0).reason());
    assertTrue(sleeps.isEmpty(), "a refusal was retried");
  }

  private int rekey(Path data, String token) throws IOException {
    KeyBundleDocument.Entry transit =
        new KeyBundleDocument.Entry(
            old.keyId(),
            old.name(),
            old.state(),
            "transit",
            null,
            "orders",
            Base64.getEncoder().encodeToString(wrapped.getBytes(StandardCharsets.UTF_8)),
            AAD,
            new KeyBundleDocument.Transit(bao.address(), "transit", null));
    Path keyring =
        TestKeyBundles.write(dir.resolve("keyring.json"), TestKeyBundles.doc(target, transit));
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, token);
    TransitAuth auth =
        TransitDataKeyUnwrapper.authFromEnvironment(
            Map.of("KEYOPS_TRANSIT_TOKEN_FILE", tokenFile.toString()));
    Cli.transitUnwrapperFactory =
        () ->
            new TransitDataKeyUnwrapper(
                t -> new Counting(new HttpTransitGateway(t, auth, null, Duration.ofSeconds(2))));
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

  /** Counts decrypt calls. */
  final class Counting implements TransitGateway {
    private final TransitGateway d;

    Counting(TransitGateway d) {
      this.d = d;
    }

    @Override
    public TransitTarget target() {
      return d.target();
    }

    @Override
    public KeyInfo readKey(String keyName) {
      return d.readKey(keyName);
    }

    @Override
    public Map<String, List<String>> capabilities(List<String> paths) {
      return d.capabilities(paths);
    }

    @Override
    public Wrapped encrypt(String keyName, byte[] plaintext, byte[] associatedData) {
      return d.encrypt(keyName, plaintext, associatedData);
    }

    @Override
    public byte[] decrypt(String keyName, String ciphertext, byte[] associatedData) {
      decrypts.incrementAndGet();
      return d.decrypt(keyName, ciphertext, associatedData);
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
