package dev.keyops.kms.aws.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;

/**
 * A real moto server ({@code moto_server}, in memory) on a free loopback port, standing in for AWS
 * KMS in the awsKms provider's tests. The launcher comes from {@code dev/moto} (PyPI moto[server])
 * and is passed as {@code -Dkeyops.moto=PATH}; without it the tests are skipped. Whoever starts a
 * server closes it.
 *
 * <p>{@link #startEnforcingIam()} starts it with {@code INITIAL_NO_AUTH_ACTION_COUNT}: the first
 * requests (which create an admin user) are unauthenticated, every later one is checked against the
 * IAM identity policies of the caller's access key. Admin calls then go as that admin user.
 */
public final class MotoServer implements AutoCloseable {

  public static final String REGION = "us-east-1";
  public static final String ACCOUNT = "123456789012";

  /** Requests before moto checks IAM: CreateUser, PutUserPolicy, CreateAccessKey of the admin. */
  private static final int ADMIN_SETUP_REQUESTS = 3;

  private final Process process;
  private final Path home;
  private final Path log;
  private final int port;
  private final AwsBasicCredentials admin;
  private final KmsClient kms;
  private final IamClient iam;

  private MotoServer(Process process, Path home, Path log, int port, AwsBasicCredentials admin) {
    this.process = process;
    this.home = home;
    this.log = log;
    this.port = port;
    this.admin = admin;
    this.kms = kmsClient(admin);
    this.iam = iamClient(admin);
  }

  /** The moto_server launcher, or a skipped test saying how to get it. */
  public static Path binary() {
    String p = System.getProperty("keyops.moto");
    Assumptions.assumeTrue(
        p != null && !p.isBlank() && Files.isExecutable(Path.of(p)),
        "no moto server: run with -Dkeyops.moto=$(dev/moto) (dev/test passes it) to test the"
            + " awsKms provider against a local AWS KMS stand-in");
    return Path.of(p);
  }

  /** Starts a server that allows everything (no IAM checks). */
  public static MotoServer start() {
    return start(false);
  }

  /** Starts a server that checks IAM identity policies after the admin user is created. */
  public static MotoServer startEnforcingIam() {
    return start(true);
  }

  private static MotoServer start(boolean enforceIam) {
    Path bin = binary();
    Path home = null;
    Process process = null;
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      home = Files.createTempDirectory("keyops-moto");
      Path log = home.resolve("moto.log");
      ProcessBuilder pb =
          new ProcessBuilder(bin.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("HOME", home.toString());
      pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
      if (enforceIam) {
        pb.environment()
            .put("INITIAL_NO_AUTH_ACTION_COUNT", Integer.toString(ADMIN_SETUP_REQUESTS));
      }
      process = pb.start();
      awaitListening(process, port, log);
      AwsBasicCredentials admin = AwsBasicCredentials.create("testing", "testing");
      if (enforceIam) {
        try (IamClient setup = iamClient(port, admin)) {
          admin = user(setup, "keyops-test-admin", List.of("*"), "*");
        }
      }
      return new MotoServer(process, home, log, port, admin);
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        stop(process);
      }
      delete(home);
      throw new IllegalStateException("cannot start moto: " + e, e);
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Admin access to KMS (create keys, change their state). */
  public KmsClient kms() {
    return kms;
  }

  /** Credentials that may do everything. */
  public AwsBasicCredentials adminCredentials() {
    return admin;
  }

  /** Creates a symmetric encryption key and returns its ARN. */
  public String createKey() {
    return createKey(KeySpec.SYMMETRIC_DEFAULT, KeyUsageType.ENCRYPT_DECRYPT);
  }

  /** Creates a key of this spec and usage and returns its ARN. */
  public String createKey(KeySpec spec, KeyUsageType usage) {
    return kms.createKey(r -> r.keySpec(spec).keyUsage(usage)).keyMetadata().arn();
  }

  /** Creates alias/NAME for a key. */
  public void alias(String name, String keyArn) {
    kms.createAlias(r -> r.aliasName("alias/" + name).targetKeyId(keyArn));
  }

  public void disable(String keyArn) {
    kms.disableKey(r -> r.keyId(id(keyArn)));
  }

  public void enable(String keyArn) {
    kms.enableKey(r -> r.keyId(id(keyArn)));
  }

  /** Schedules deletion in {@code days} (7 to 30). */
  public void scheduleDeletion(String keyArn, int days) {
    kms.scheduleKeyDeletion(r -> r.keyId(id(keyArn)).pendingWindowInDays(days));
  }

  public void cancelDeletion(String keyArn) {
    kms.cancelKeyDeletion(r -> r.keyId(id(keyArn)));
  }

  /** The key id of a key ARN: moto's state-changing calls fail (HTTP 500) when given the ARN. */
  private static String id(String keyArn) {
    return keyArn.substring(keyArn.lastIndexOf('/') + 1);
  }

  /**
   * Creates an IAM user allowed only {@code actions} on {@code resource} and returns its access key
   * (meaningful on a server started with {@link #startEnforcingIam()}).
   */
  public AwsBasicCredentials userAllowed(String name, List<String> actions, String resource) {
    return user(iam, name, actions, resource);
  }

  /** Replaces the policy of a user made by {@link #userAllowed} (a grant revoked or widened). */
  public void allow(String name, List<String> actions, String resource) {
    putPolicy(iam, name, actions, resource);
  }

  private static AwsBasicCredentials user(
      IamClient iam, String name, List<String> actions, String resource) {
    iam.createUser(r -> r.userName(name));
    putPolicy(iam, name, actions, resource);
    AccessKey k = iam.createAccessKey(r -> r.userName(name)).accessKey();
    return AwsBasicCredentials.create(k.accessKeyId(), k.secretAccessKey());
  }

  private static void putPolicy(IamClient iam, String name, List<String> actions, String resource) {
    String actionList = String.join(", ", actions.stream().map(a -> "\"" + a + "\"").toList());
    String policy =
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": ["
            + actionList
            + "], \"Resource\": \""
            + resource
            + "\"}]}";
    iam.putUserPolicy(r -> r.userName(name).policyName(name).policyDocument(policy));
  }

  private KmsClient kmsClient(AwsBasicCredentials c) {
    return KmsClient.builder()
        .region(Region.of(REGION))
        .endpointOverride(URI.create(endpoint()))
        .credentialsProvider(StaticCredentialsProvider.create(c))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  private IamClient iamClient(AwsBasicCredentials c) {
    return iamClient(port, c);
  }

  private static IamClient iamClient(int port, AwsBasicCredentials c) {
    return IamClient.builder()
        .region(Region.AWS_GLOBAL)
        .endpointOverride(URI.create("http://127.0.0.1:" + port))
        .credentialsProvider(StaticCredentialsProvider.create(c))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  private static void awaitListening(Process process, int port, Path log) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("moto_server exited: " + tail(log));
      }
      // A TCP connect, not a request: with INITIAL_NO_AUTH_ACTION_COUNT every request counts.
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        // not listening yet
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("moto_server did not listen in 60 s: " + tail(log));
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void stop(Process process) {
    if (process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  private static void delete(Path home) {
    if (home == null) {
      return;
    }
    try (var files = Files.walk(home)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }

  /** Stops the server (an outage, or the end of a test); idempotent. */
  @Override
  public void close() {
    kms.close();
    iam.close();
    stop(process);
    delete(home);
  }
}
