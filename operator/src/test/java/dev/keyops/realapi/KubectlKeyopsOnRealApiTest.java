package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.key.NoKeyMaterialLeaksTest;
import dev.keyops.partition.KeyBundle;
import dev.keyops.testing.LocalPodRunner;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Plugin;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl keyops} against a real kube-apiserver with the operator running and rebuild pods
 * executed by {@link LocalPodRunner}: every cluster command run in this process with the real
 * kubeconfig, its output and exit code checked.
 */
@Tag("realapi")
class KubectlKeyopsOnRealApiTest {

  @TempDir Path tmp;

  /** A ring without a KeyRing: status, can-drop, an inventory, a rebuild, and the drop. */
  @Test
  void fromStatusThroughAnInventoryToTheDrop() throws Exception {
    Path kubeconfig = RealApi.kubeconfig();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "plugin");
      Path pvc = Files.createDirectories(tmp.resolve("pvc/partitions"));
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false);
      try (KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC());
          LocalPodRunner runner =
              new LocalPodRunner(admin, Files.createDirectories(tmp.resolve("pods")))) {
        runner.claim(ns, "events-data", tmp.resolve("pvc"));
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        EncryptionKey k1 = RotationOnRealApiTest.create(admin, ns, "events-1");
        k1 = RotationOnRealApiTest.await(keys, "events-1", k -> state(k) == KeyState.Primary);
        KeyBundle ring1 = RotationOnRealApiTest.keyring(admin, ns, k1.getStatus().getKeyId());
        for (int i = 0; i < 3; i++) {
          RotationOnRealApiTest.write(pvc.resolve("old-" + i), 1000 + i, ring1);
        }
        Files.write(pvc.resolve("plain"), new byte[] {1, 2, 3});
        EncryptionKey k2 = RotationOnRealApiTest.create(admin, ns, "events-2");
        k2 = RotationOnRealApiTest.await(keys, "events-2", k -> state(k) == KeyState.Primary);
        RotationOnRealApiTest.await(keys, "events-1", k -> state(k) == KeyState.Retired);
        KeyBundle ring2 = RotationOnRealApiTest.keyring(admin, ns, k2.getStatus().getKeyId());
        RotationOnRealApiTest.write(pvc.resolve("new-0"), 500, ring2);
        Map<String, byte[]> before = files(pvc);

        Plugin status = cli(kubeconfig, ns, "status");
        assertEquals(0, status.code(), status::toString);
        List<String> row = Plugin.row(status.out(), "events");
        assertEquals(List.of("events", "events-2"), row.subList(0, 2));
        assertEquals(
            List.of("manual", "1 Primary, 1 Retired", "<none>", "<none>"), row.subList(3, 7));

        Plugin primary = cli(kubeconfig, ns, "can-drop", "events-2");
        assertEquals(1, primary.code(), primary::toString);
        assertTrue(primary.out().startsWith("no: this key is the Primary"), primary::toString);
        Plugin uncounted = cli(kubeconfig, ns, "can-drop", "events-1");
        assertEquals(1, uncounted.code(), uncounted::toString);
        assertTrue(
            uncounted.out().startsWith("no: no location of key ring events was ever scanned"),
            uncounted::toString);

        // An inventory: a dry run over the claim, waited for, its counts recorded on the keys.
        Plugin count =
            cli(
                kubeconfig,
                ns,
                "inventory",
                "events",
                "--claim",
                "events-data",
                "--sub-path",
                "partitions",
                "--timeout",
                "90s");
        assertEquals(0, count.code(), count::toString);
        assertTrue(
            count
                .err()
                .contains(" created: a dry run over claim events-data (partitions) from --claim"),
            count::toString);
        assertTrue(
            count.out().contains(": Succeeded, 5 partition(s) scanned, 1 unencrypted\n"),
            count::toString);
        assertEquals(
            List.of("events-1", k1.getStatus().getKeyId(), "Retired", "3", "no: has partitions"),
            Plugin.row(count.out(), "events-1"));
        assertEquals(
            List.of("events-2", k2.getStatus().getKeyId(), "Primary", "1", "no: Primary"),
            Plugin.row(count.out(), "events-2"));
        assertEquals(
            List.of("(unencrypted)", "<none>", "<none>", "1"),
            Plugin.row(count.out(), "(unencrypted)"));
        assertTrue(
            count.out().contains("No Retired or Disabled key can be dropped now."),
            count::toString);
        Map<String, byte[]> after = files(pvc);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((f, b) -> assertArrayEquals(b, after.get(f), f + " changed by a dry run"));
        Plugin held = cli(kubeconfig, ns, "can-drop", "events-1");
        assertEquals(1, held.code(), held::toString);
        assertTrue(
            held.out().startsWith("no: 3 partition(s) of key ring events still use this key"),
            held::toString);

        // The rebuild, then an inventory that takes its storage from the ring's latest job.
        admin.resource(RotationOnRealApiTest.job(ns, "rebuild", null, false)).create();
        OperatorHarness.await(
            () -> admin.resources(ReencryptionJob.class).inNamespace(ns).withName("rebuild").get(),
            r -> r.getStatus() != null && r.getStatus().getPhase() == JobPhase.Succeeded,
            "the rebuild",
            Duration.ofSeconds(90));
        Plugin recount = cli(kubeconfig, ns, "inventory", "events", "--timeout", "90s");
        assertEquals(0, recount.code(), recount::toString);
        assertTrue(recount.err().contains("from ReencryptionJob rebuild"), recount::toString);
        assertEquals(
            List.of("events-1", k1.getStatus().getKeyId(), "Retired", "0", "yes"),
            Plugin.row(recount.out(), "events-1"));
        assertTrue(
            recount.out().contains("Can be dropped now: events-1 (kubectl delete ek events-1)"),
            recount::toString);
        Plugin free = cli(kubeconfig, ns, "can-drop", "events-1");
        assertEquals(0, free.code(), free::toString);
        assertTrue(
            free.out().startsWith("yes: no partition uses this key any more"), free::toString);

        Plugin detail = cli(kubeconfig, ns, "status", "events");
        assertEquals(0, detail.code(), detail::toString);
        assertEquals(
            List.of("rebuild", "Succeeded", "Reencrypt", "events-2", "5", "4"),
            Plugin.row(detail.out(), "rebuild").subList(0, 6));
        assertEquals("0", Plugin.row(detail.out(), "events-1").get(6));
        assertEquals("5", Plugin.row(detail.out(), "events-2").get(6));

        Plugin all = cli(kubeconfig, ns, "status", "-A");
        assertEquals(List.of(ns, "events", "events-2"), Plugin.row(all.out(), ns).subList(0, 3));

        // The keyring workloads read: ids and fingerprints, never the material.
        Plugin keyring = cli(kubeconfig, ns, "keyring", "events");
        Plugin keyringJson = cli(kubeconfig, ns, "keyring", "events", "-o", "json");
        assertEquals(0, keyring.code(), keyring::toString);
        assertEquals(
            List.of(
                k2.getStatus().getKeyId(),
                "events-2",
                "Primary",
                "yes",
                "managed",
                k2.getStatus().getFingerprint()),
            Plugin.row(keyring.out(), k2.getStatus().getKeyId()).subList(0, 6));
        assertEquals("events-1", Plugin.row(keyring.out(), k1.getStatus().getKeyId()).get(1));
        for (String key : List.of("events-1", "events-2")) {
          byte[] material =
              Base64.getDecoder()
                  .decode(
                      admin
                          .secrets()
                          .inNamespace(ns)
                          .withName("keyops-key-" + key)
                          .get()
                          .getData()
                          .get("key"));
          for (String form : NoKeyMaterialLeaksTest.forms(material)) {
            for (Plugin p : List.of(keyring, keyringJson, detail, free)) {
              assertFalse(
                  p.all().contains(form), "key material of " + key + " in kubectl keyops output");
            }
          }
        }

        // What a user without rights, or without a KeyRing, is told.
        Plugin nobody = cli(kubeconfig, ns, "status", "--as", "alice");
        assertEquals(2, nobody.code(), nobody::toString);
        assertTrue(
            nobody
                .err()
                .startsWith("error: forbidden: you may not list encryptionkeys in namespace " + ns),
            nobody::toString);
        assertTrue(
            nobody
                .err()
                .contains(
                    "User \"alice\" cannot list resource \"encryptionkeys\" in API group \"keyops.dev\""),
            nobody::toString);
        Plugin rotate = cli(kubeconfig, ns, "rotate", "events");
        assertEquals(2, rotate.code(), rotate::toString);
        assertTrue(
            rotate
                .err()
                .contains(
                    "has no KeyRing, so keyops does not rotate it by itself: apply a new EncryptionKey"),
            rotate::toString);

        // The guard agrees with can-drop.
        keys.withName("events-1").delete();
        OperatorHarness.await(
            () -> keys.withName("events-1").get(), k -> k == null, "events-1 dropped");
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }

  /** A ring with a KeyRing rotates on request; a user who may only read is told what is missing. */
  @Test
  void rotateMakesANewPrimaryOnAKeyRing() throws Exception {
    Path kubeconfig = RealApi.kubeconfig();
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "plugin-rotate");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withStagedFor(Duration.ZERO)
              .withPropagationMargin(Duration.ZERO)
              .withHttpPort(0)
              .withLeaderElection(false);
      try (KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC())) {
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        EncryptionKey first = dev.keyops.testing.Fixtures.managedKey("orders-first", "orders");
        first.getMetadata().setNamespace(ns);
        first.getSpec().setActivate(true);
        admin.resource(first).create();
        String yaml =
            """
            apiVersion: keyops.dev/v1alpha1
            kind: KeyRing
            metadata: {name: orders}
            spec:
              rotation: {period: 24h, stagedFor: 1s, keyTemplate: {managed: {}}}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: keyops-reader}
            rules:
            - apiGroups: [keyops.dev]
              resources: [encryptionkeys, keyrings, reencryptionjobs]
              verbs: [get, list, watch]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: reader}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: keyops-reader}
            subjects:
            - {apiGroup: rbac.authorization.k8s.io, kind: User, name: reader}
            """;
        for (HasMetadata o :
            admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
          admin.resource(o).inNamespace(ns).create();
        }
        OperatorHarness.await(
            () -> admin.resources(KeyRing.class).inNamespace(ns).withName("orders").get(),
            r -> r.getStatus() != null && "orders-first".equals(r.getStatus().getPrimary()),
            "the ring's Primary");

        Plugin readOnly = cli(kubeconfig, ns, "rotate", "orders", "--as", "reader");
        assertEquals(2, readOnly.code(), readOnly::toString);
        assertTrue(
            readOnly
                .err()
                .startsWith("error: forbidden: you may not patch keyrings in namespace " + ns),
            readOnly::toString);
        assertTrue(
            readOnly.err().contains("cannot patch resource \"keyrings\""), readOnly::toString);
        assertTrue(readOnly.err().contains("keyops-edit"), readOnly::toString);
        Plugin canRead = cli(kubeconfig, ns, "status", "orders", "--as", "reader");
        assertEquals(0, canRead.code(), canRead::toString);
        // Who may not read Secrets sees the keyring as the keys' statuses describe it.
        Plugin keyring = cli(kubeconfig, ns, "keyring", "orders", "--as", "reader");
        assertEquals(0, keyring.code(), keyring::toString);
        assertTrue(
            keyring
                .out()
                .contains(
                    "from EncryptionKey statuses\nNote: you may not read Secret orders-keyring (get"
                        + " secrets): shown from the keys' statuses\n"),
            keyring::toString);
        EncryptionKey firstKey = keys.withName("orders-first").get();
        assertEquals(
            List.of(firstKey.getStatus().getKeyId(), "orders-first", "Primary", "yes", "managed"),
            Plugin.row(keyring.out(), firstKey.getStatus().getKeyId()).subList(0, 5));

        Plugin rotated = cli(kubeconfig, ns, "rotate", "orders", "--wait", "--timeout", "90s");
        assertEquals(0, rotated.code(), rotated::toString);
        String created =
            rotated
                .out()
                .lines()
                .filter(l -> l.endsWith(" so every reader learns it, then activated"))
                .findFirst()
                .map(l -> l.substring("encryptionkey.keyops.dev/".length(), l.indexOf(" created")))
                .orElseThrow(() -> new AssertionError(rotated.toString()));
        assertNotEquals("orders-first", created);
        assertTrue(
            rotated.out().contains("encryptionkey.keyops.dev/" + created + " is Primary"),
            rotated::toString);
        EncryptionKey made = keys.withName(created).get();
        assertEquals(KeyState.Primary, state(made));
        assertEquals("orders", made.getMetadata().getOwnerReferences().get(0).getName());
        RotationOnRealApiTest.await(keys, "orders-first", k -> state(k) == KeyState.Retired);

        Plugin status = cli(kubeconfig, ns, "status", "orders");
        assertTrue(
            status.out().contains("Primary:        " + created + " (key id "), status::toString);
        assertTrue(
            status
                .out()
                .contains("Policy:         KeyRing orders, rotates every 24h; last rotation "),
            status::toString);
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }

  static Plugin cli(Path kubeconfig, String ns, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (List.of("inventory", "can-drop").contains(args[0])) {
      // The operator here runs with a 0s propagation margin: the CLI judges with the same one.
      all.addAll(List.of("--propagation-margin", "0s"));
    }
    all.addAll(List.of("--kubeconfig", kubeconfig.toString(), "-n", ns));
    return Plugin.run(all.toArray(String[]::new));
  }

  static KeyState state(EncryptionKey k) {
    return k == null || k.getStatus() == null ? null : k.getStatus().getState();
  }

  private static Map<String, byte[]> files(Path dir) throws Exception {
    Map<String, byte[]> out = new TreeMap<>();
    try (var s = Files.list(dir)) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }
}
