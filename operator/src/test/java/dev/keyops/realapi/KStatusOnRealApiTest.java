package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tools that GitOps users run say about keyops objects on a real API server: {@code
 * kubectl wait} on the Ready and Stalled conditions, and the kstatus library itself
 * (sigs.k8s.io/cli-utils, which Flux's health checks use; the probe in dev/kstatus, built by
 * dev/kstatus/build and passed as -Dkeyops.kstatus) for objects that are Current, InProgress and
 * Failed. The manifests are applied with kubectl, as a user or a GitOps tool would.
 */
@Tag("realapi")
class KStatusOnRealApiTest {

  private static final String MANIFESTS =
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: customer-keys}
      stringData:
        good: q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=
        bad: q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: good}
      spec:
        keyRing: invoices
        provider: {secretRef: {name: customer-keys, key: good}}
        activate: true
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: bad-material}
      spec:
        keyRing: invoices
        provider: {secretRef: {name: customer-keys, key: bad}}
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: staged}
      spec:
        keyRing: invoices
        provider: {managed: {}}
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: KeyRing
      metadata: {name: invoices}
      spec: {}
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: KeyRing
      metadata: {name: orders}
      spec:
        rotation:
          period: 2160h
          stagedFor: 10m
          keyTemplate: {managed: {}}
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: KeyRing
      metadata: {name: legacy}
      spec:
        rotation: {period: 2160h}
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: ReencryptionJob
      metadata: {name: onto-staged}
      spec:
        keyRing: invoices
        targetKey: staged
        storage: {persistentVolumeClaim: {claimName: invoices-data}}
      ---
      apiVersion: keyops.dev/v1alpha1
      kind: ReencryptionJob
      metadata: {name: onto-missing}
      spec:
        keyRing: invoices
        targetKey: no-such-key
        storage: {persistentVolumeClaim: {claimName: invoices-data}}
      """;

  @TempDir Path tmp;

  @Test
  void kubectlWaitAndKstatusReportTheTruth() throws Exception {
    Path kubeconfig = RealApi.kubeconfig();
    assumeTrue(onPath("kubectl"), "no kubectl on PATH: run dev/test (it adds dev/tools)");
    try (var admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "kstatus");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false)
              .withWatchNamespaces(List.of(ns));
      try (KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC())) {
        Path manifests = Files.writeString(tmp.resolve("manifests.yaml"), MANIFESTS);
        kubectl(kubeconfig, "apply", "-n", ns, "-f", manifests.toString());

        await(kubeconfig, ns, "Ready", "ek/good", "ek/staged", "kr/invoices");
        await(kubeconfig, ns, "Stalled", "ek/bad-material", "kr/legacy", "rej/onto-missing");
        await(kubeconfig, ns, "Reconciling", "kr/orders", "rej/onto-staged");
        String why =
            kubectl(
                kubeconfig,
                "get",
                "-n",
                ns,
                "ek/bad-material",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Stalled\")].reason}");
        assertEquals("InvalidKeyMaterial", why.strip());

        String kstatus = System.getProperty("keyops.kstatus");
        assumeTrue(
            kstatus != null && !kstatus.isBlank(),
            "no kstatus probe: run dev/test (it builds dev/kstatus)");
        String json =
            kubectl(
                kubeconfig,
                "get",
                "-n",
                ns,
                "encryptionkeys,keyrings,reencryptionjobs",
                "-o",
                "json");
        Map<String, String> computed = kstatus(kstatus, json);
        System.out.println("kstatus: " + computed);
        Map<String, String> expected = new TreeMap<>();
        expected.put("EncryptionKey/good", "Current");
        expected.put("EncryptionKey/staged", "Current");
        expected.put("EncryptionKey/bad-material", "Failed");
        expected.put("KeyRing/invoices", "Current");
        expected.put("KeyRing/orders", "InProgress");
        expected.put("KeyRing/legacy", "Failed");
        expected.put("ReencryptionJob/onto-staged", "InProgress");
        expected.put("ReencryptionJob/onto-missing", "Failed");
        expected.forEach(
            (object, status) ->
                assertEquals(status, computed.get(object), object + " in " + computed));
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }

  /** Runs the kstatus probe on a JSON list; returns "Kind/name" to status. */
  private static Map<String, String> kstatus(String probe, String json) throws Exception {
    Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(json.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "kstatus did not finish");
    assertEquals(0, p.exitValue(), out);
    System.out.print(out);
    Map<String, String> result = new TreeMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.split("\t", 3);
      String[] id = f[0].split("/");
      result.put(id[0] + "/" + id[2], f[1]);
    }
    return result;
  }

  /** kubectl wait --for=condition=TYPE on the objects, as a user or a script would. */
  private static void await(Path kubeconfig, String ns, String condition, String... objects)
      throws Exception {
    List<String> args =
        new ArrayList<>(List.of("wait", "-n", ns, "--for=condition=" + condition, "--timeout=60s"));
    args.addAll(List.of(objects));
    kubectl(kubeconfig, args.toArray(String[]::new));
  }

  private static String kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "kubectl " + String.join(" ", args) + " hung");
    assertEquals(0, p.exitValue(), () -> "kubectl " + String.join(" ", args) + ":\n" + out);
    return out;
  }

  private static boolean onPath(String command) throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
