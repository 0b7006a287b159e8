package dev.keyops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.testing.Plugin;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line itself: help, arguments, the file commands, and errors before any cluster. */
class KubectlKeyopsTest {

  static final List<String> COMMANDS =
      List.of("status", "rotate", "inventory", "can-drop", "keyring", "install-plugin");

  @TempDir Path tmp;

  @Test
  void helpListsEveryCommandAndEachCommandHasItsOwn() {
    Plugin help = Plugin.run("--help");
    assertEquals(0, help.code(), help::toString);
    assertTrue(
        help.out().contains("    keyops.dev/revalidate-requested=\"$(date +%s)\"\n"),
        help::toString);
    for (String c : COMMANDS) {
      assertTrue(help.out().contains("\n  " + c + " "), c + " missing from\n" + help.out());
      Plugin own = Plugin.run(c, "--help");
      assertEquals(0, own.code(), own::toString);
      assertTrue(own.out().contains("Usage: kubectl keyops " + c), own::toString);
    }
    for (String c : KubectlKeyops.FILE_COMMANDS.keySet()) {
      assertTrue(help.out().contains("\n  " + c + " "), c + " missing from\n" + help.out());
      Plugin own = Plugin.run(c, "--help");
      assertEquals(0, own.code(), own::toString);
      assertTrue(own.out().contains("Usage: keyops " + c), own::toString);
      assertEquals(own.out(), Plugin.run("help", c).out());
    }
    assertEquals(0, Plugin.run().code(), "no arguments: the usage");
  }

  @Test
  void theFileCommandsPassThrough() throws Exception {
    Path plain = Files.write(tmp.resolve("plain"), new byte[] {1, 2, 3});
    Plugin r = Plugin.run("inspect", plain.toString());
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.out().contains(plain + "\tunencrypted\t3 bytes"), r::toString);
  }

  @Test
  void badArgumentsAreRefusedBeforeAnyCluster() {
    Plugin r = Plugin.run("status", "-o", "xml", "--kubeconfig", "/nonexistent");
    assertEquals(2, r.code(), r::toString);
    assertEquals("error: -o xml: the output format must be json or yaml\n", r.err());

    r = Plugin.run("rotate", "orders", "--wait", "--timeout", "0s");
    assertEquals(2, r.code(), r::toString);
    assertTrue(r.err().contains("Invalid value for option '--timeout'"), r::toString);
    assertTrue(
        r.err().startsWith("Invalid value for option '--timeout': the duration must be a positive"),
        r::toString);

    r = Plugin.run("can-drop");
    assertEquals(2, r.code(), r::toString);
    assertTrue(r.err().contains("Missing required parameter: 'KEY'"), r::toString);

    r = Plugin.run("drop-everything");
    assertEquals(2, r.code(), r::toString);
    assertTrue(r.err().contains("Unmatched argument"), r::toString);
  }

  @Test
  void aKubeconfigProblemIsNamed() throws Exception {
    Plugin r = Plugin.run("status", "--kubeconfig", tmp.resolve("none").toString());
    assertEquals(2, r.code(), r::toString);
    assertEquals(
        "error: --kubeconfig " + tmp.resolve("none") + ": no such readable file\n", r.err());

    Path kc = kubeconfig("https://127.0.0.1:1");
    r = Plugin.run("status", "--kubeconfig", kc.toString(), "--context", "prod");
    assertEquals(2, r.code(), r::toString);
    assertEquals(
        "error: context prod is not in the kubeconfig " + kc + "; its contexts: dev, staging\n",
        r.err());
  }

  @Test
  void aServerThatDoesNotAnswerIsReportedAtOnce() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path kc = kubeconfig("https://127.0.0.1:" + port);
    long start = System.nanoTime();
    Plugin r = Plugin.run("status", "--kubeconfig", kc.toString());
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(2, r.code(), r::toString);
    assertTrue(
        r.err()
            .startsWith(
                "error: cannot reach the Kubernetes API server (context dev, server https://127.0.0.1:"
                    + port
                    + "/): connection refused"),
        r::toString);
    // One retry at most: a refused connection is not retried for minutes.
    assertTrue(millis < 10_000, "took " + millis + " ms");
  }

  @Test
  void installPluginNeedsTheJar() {
    // Tests run from target/classes, not from the jar: the command says how to run it.
    Plugin r = Plugin.run("install-plugin", tmp.toString());
    assertEquals(2, r.code(), r::toString);
    assertTrue(r.err().contains("java -jar keyops.jar install-plugin DIR"), r::toString);
  }

  private Path kubeconfig(String server) throws Exception {
    return Files.writeString(
        tmp.resolve("kubeconfig"),
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        contexts:
        - name: dev
          context: {cluster: c, user: u}
        - name: staging
          context: {cluster: c, user: u, namespace: staging}
        current-context: dev
        users:
        - name: u
          user: {token: t}
        """
            .formatted(server));
  }
}
