package dev.keyops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingSpec;
import dev.keyops.api.v1alpha1.KeyRingStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.KeyTemplate;
import dev.keyops.api.v1alpha1.ManagedProvider;
import dev.keyops.api.v1alpha1.PartitionTotals;
import dev.keyops.api.v1alpha1.ProviderKind;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.key.NoKeyMaterialLeaksTest;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MockApiServer;
import dev.keyops.testing.Plugin;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each cluster command prints, against objects with known statuses on the mock API server and
 * a fixed clock: tables cell by cell, JSON for scripts, exit codes, and the errors a user meets.
 */
class KubectlKeyopsOnMockApiTest {

  static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
  static final String ID0 = "00000000000000000000000000000000";
  static final String ID1 = "11111111111111111111111111111111";
  static final String ID2 = "22222222222222222222222222222222";
  static final String IDO = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

  @TempDir Path tmp;
  MockApiServer api;
  KubernetesClient client;
  String kubeconfig;
  final List<byte[]> material = new ArrayList<>();

  @BeforeEach
  void cluster() throws Exception {
    api = new MockApiServer();
    client = api.client();
    kubeconfig = api.writeKubeconfig(tmp).toString();
    key("e0", "events", ID0, KeyState.Retired, NOW.minus(Duration.ofDays(10)), 3L);
    key("e1", "events", ID1, KeyState.Retired, NOW.minus(Duration.ofDays(3)), 0L);
    key("e2", "events", ID2, KeyState.Primary, null, 4L);
    key("o1", "orders", IDO, KeyState.Primary, null, null);

    KeyRing orders = new KeyRing();
    orders.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("default").build());
    RotationPolicy rotation = new RotationPolicy();
    rotation.setPeriod("2160h");
    KeyTemplate template = new KeyTemplate();
    template.setManaged(new ManagedProvider());
    rotation.setKeyTemplate(template);
    orders.setSpec(new KeyRingSpec());
    orders.getSpec().setRotation(rotation);
    orders = client.resource(orders).create();
    orders.setStatus(new KeyRingStatus());
    orders.getStatus().setPrimary("o1");
    orders.getStatus().setNextRotationTime(NOW.plus(Duration.ofDays(3)).toString());
    client.resource(orders).updateStatus();

    ReencryptionJob count =
        Fixtures.reencryptionJob("default", "count-1", "events", "events-data", null);
    count.getSpec().setDryRun(true);
    count = client.resource(count).create();
    count.setStatus(new ReencryptionJobStatus());
    count.getStatus().setPhase(JobPhase.Succeeded);
    PartitionTotals totals = new PartitionTotals();
    totals.setTotal(8L);
    totals.setUnencrypted(1L);
    totals.setParquet(2L);
    totals.setPlaintextParquet(1L);
    count.getStatus().setPartitions(totals);
    count.getStatus().setByKey(Map.of(ID0, 3L, ID2, 4L, "none", 1L));
    client.resource(count).updateStatus();

    List<KeyBundleDocument.Entry> entries = new ArrayList<>();
    for (var k :
        List.of(
            List.of("e0", ID0, "Retired"),
            List.of("e1", ID1, "Retired"),
            List.of("e2", ID2, "Primary"))) {
      byte[] m = new byte[32];
      new SecureRandom().nextBytes(m);
      material.add(m);
      entries.add(
          new KeyBundleDocument.Entry(
              k.get(1),
              k.get(0),
              k.get(2),
              "managed",
              Base64.getEncoder().encodeToString(m),
              null,
              null,
              null));
    }
    byte[] json =
        dev.keyops.partition.KeyBundle.toJson(
            new KeyBundleDocument(1, "default", "events", ID2, entries));
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("events-keyring")
                .withNamespace("default")
                .endMetadata()
                .withType("keyops.dev/keyring")
                .addToData("keyring.json", Base64.getEncoder().encodeToString(json))
                .build())
        .create();
  }

  @AfterEach
  void close() {
    api.close();
  }

  private void key(
      String name, String ring, String id, KeyState state, Instant retiredAt, Long partitions) {
    EncryptionKey k = client.resource(Fixtures.managedKey(name, ring)).create();
    EncryptionKeyStatus s = new EncryptionKeyStatus();
    s.setState(state);
    s.setKeyId(id);
    s.setProvider(ProviderKind.managed);
    s.setFingerprint("f" + id.substring(0, 15));
    s.setActivatedAt(NOW.minus(Duration.ofDays(state == KeyState.Primary ? 3 : 20)).toString());
    s.setRetiredAt(retiredAt == null ? null : retiredAt.toString());
    if (partitions != null) {
      s.setPartitions(
          dev.keyops.testing.Fixtures.inventory(
              partitions, NOW.minus(Duration.ofDays(1)).toString(), "count-1"));
    }
    Conditions.set(
        s.getConditions(), Conditions.READY, Conditions.TRUE, "KeyMaterialValid", "ok", 1L, NOW);
    k.setStatus(s);
    client.resource(k).updateStatus();
  }

  private Plugin run(String... args) {
    String[] all = Arrays.copyOf(args, args.length + 2);
    all[args.length] = "--kubeconfig";
    all[args.length + 1] = kubeconfig;
    return Plugin.run(Clock.fixed(NOW, ZoneOffset.UTC), all);
  }

  @Test
  void statusListsEveryRingOnALine() {
    Plugin r = run("status");
    assertEquals(0, r.code(), r::toString);
    assertEquals(
        List.of(
            "KEYRING", "PRIMARY", "ACTIVE FOR", "NEXT ROTATION", "KEYS", "PARTITIONS", "LAST JOB"),
        Plugin.row(r.out(), "KEYRING"));
    assertEquals(
        List.of(
            "events",
            "e2",
            "3d",
            "manual",
            "1 Primary, 2 Retired",
            "e0=3,e1=0,e2=4",
            "count-1 Succeeded"),
        Plugin.row(r.out(), "events"));
    assertEquals(
        List.of("orders", "o1", "3d", "in 3d", "1 Primary", "<none>", "<none>"),
        Plugin.row(r.out(), "orders"));

    Plugin all = run("status", "-A");
    assertEquals(List.of("default", "events"), Plugin.row(all.out(), "default").subList(0, 2));
  }

  @Test
  void statusOfOneRingShowsItsKeysAndJobs() {
    Plugin r = run("status", "events");
    assertEquals(0, r.code(), r::toString);
    assertTrue(
        r.out().contains("Primary:        e2 (key id " + ID2 + ", active for 3d)\n"), r::toString);
    assertTrue(r.out().contains("Policy:         none (no KeyRing)"), r::toString);
    assertEquals(
        List.of(
            "e0",
            "Retired",
            "True",
            "managed",
            ID0,
            "f" + ID0.substring(0, 15),
            "3",
            "24h ago by count-1"),
        Plugin.row(r.out(), "e0"));
    // The mock server stamps creationTimestamp with the real time.
    String created =
        client
            .resources(ReencryptionJob.class)
            .withName("count-1")
            .get()
            .getMetadata()
            .getCreationTimestamp();
    assertEquals(
        List.of(
            "count-1",
            "Succeeded",
            "DryRun",
            "<none>",
            "8",
            "<none>",
            "<none>",
            "1",
            "2 (+1 plaintext)",
            HumanTime.age(created, NOW),
            "<none>"),
        Plugin.row(r.out(), "count-1"));

    Plugin orders = run("status", "orders");
    assertTrue(
        orders
            .out()
            .contains("Policy:         KeyRing orders, rotates every 2160h; next rotation in 3d"),
        orders::toString);
  }

  @Test
  void statusForScripts() throws Exception {
    Plugin r = run("status", "events", "-o", "json");
    assertEquals(0, r.code(), r::toString);
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals("e2", j.get("primary").asText());
    assertEquals(2, j.get("keysByState").get("Retired").asInt());
    assertEquals(3, j.get("keys").get(0).get("partitions").asInt());
    assertEquals("count-1", j.get("reencryptionJobs").get(0).get("name").asText());
    assertTrue(j.get("reencryptionJobs").get(0).get("dryRun").asBoolean());

    JsonNode list = new ObjectMapper().readTree(run("status", "-o", "json").out());
    assertEquals(2, list.get("keyRings").size());
    Plugin yaml = run("status", "orders", "-o", "yaml");
    assertTrue(yaml.out().contains("rotationPeriod: \"2160h\""), yaml::toString);
  }

  @Test
  void aRingThatDoesNotExistIsNamedWithTheRingsThatDo() {
    Plugin r = run("status", "event");
    assertEquals(2, r.code(), r::toString);
    assertEquals(
        "error: key ring event not found in namespace default; key rings there: events, orders\n",
        r.err());
    r = run("keyring", "event", "-n", "other");
    assertEquals(
        "error: key ring event not found in namespace other: there is no key ring (no"
            + " EncryptionKey or KeyRing) in this namespace; pick another with -n (kubectl keyops"
            + " status -A lists every ring)\n",
        r.err());
  }

  @Test
  void canDropAnswersWithTheDropGuardsRulesAndExitCode() throws Exception {
    Plugin yes = run("can-drop", "e1");
    assertEquals(0, yes.code(), yes::toString);
    assertTrue(
        yes.out()
            .startsWith("yes: no partition uses this key any more in data (scans started after "),
        yes::toString);
    assertTrue(
        yes.out().contains("last inventory: 0 partition(s), 24h ago by ReencryptionJob count-1"),
        yes::toString);

    Plugin data = run("can-drop", "e0");
    assertEquals(1, data.code(), data::toString);
    assertTrue(
        data.out().startsWith("no: 3 partition(s) of key ring events still use this key"),
        data::toString);

    Plugin primary = run("can-drop", "e2");
    assertEquals(1, primary.code(), primary::toString);
    assertTrue(
        primary.out().startsWith("no: this key is the Primary of key ring events"),
        primary::toString);

    JsonNode j = new ObjectMapper().readTree(run("can-drop", "e1", "-o", "json").out());
    assertTrue(j.get("canDrop").asBoolean());
    assertEquals("DropAllowed", j.get("reason").asText());

    Plugin missing = run("can-drop", "e9");
    assertEquals(2, missing.code(), missing::toString);
    assertEquals(
        "error: EncryptionKey e9 not found in namespace default; keys there (key ring): e0"
            + " (events), e1 (events), e2 (events), o1 (orders)\n",
        missing.err());
  }

  @Test
  void keyringShowsIdsStatesAndFingerprintsNeverMaterial() {
    Plugin r = run("keyring", "events");
    assertEquals(0, r.code(), r::toString);
    assertTrue(
        r.out()
            .startsWith(
                "Keyring of key ring events in namespace default, from Secret events-keyring\n"),
        r::toString);
    assertEquals(
        List.of(ID2, "e2", "Primary", "yes", "managed", "f" + ID2.substring(0, 15), "<none>"),
        Plugin.row(r.out(), ID2));
    // An empty PRIMARY cell: the split joins its neighbours.
    assertEquals(
        List.of(ID1, "e1", "Retired", "managed", "f" + ID1.substring(0, 15), "<none>"),
        Plugin.row(r.out(), ID1));
    Plugin json = run("keyring", "events", "-o", "json");
    Plugin yaml = run("keyring", "events", "-o", "yaml");
    for (byte[] m : material) {
      for (String form : NoKeyMaterialLeaksTest.forms(m)) {
        for (Plugin p : List.of(r, json, yaml)) {
          assertFalse(p.all().contains(form), "key material in the keyring output");
        }
      }
    }
    assertTrue(
        json.out().contains("\"fingerprint\" : \"f" + ID1.substring(0, 15) + "\""), json::toString);

    // No Secret yet: what the keys' statuses say it holds, and that it is not the Secret.
    Plugin orders = run("keyring", "orders");
    assertEquals(0, orders.code(), orders::toString);
    assertTrue(
        orders
            .out()
            .contains(
                "from EncryptionKey statuses\nNote: Secret orders-keyring does not exist yet"),
        orders::toString);
    assertEquals("o1", Plugin.row(orders.out(), IDO).get(1));
  }

  @Test
  void rotateAsksTheKeyRingOrSaysWhatToDoInstead() {
    Plugin none = run("rotate", "events");
    assertEquals(2, none.code(), none::toString);
    assertTrue(
        none.err()
            .startsWith(
                "error: key ring events has no KeyRing, so keyops does not rotate it by itself: apply a new EncryptionKey with spec.keyRing: events and spec.activate: true (it becomes Primary and retires e2)"),
        none::toString);

    Plugin ok = run("rotate", "orders");
    assertEquals(0, ok.code(), ok::toString);
    KeyRing orders = client.resources(KeyRing.class).withName("orders").get();
    assertEquals(
        NOW.toString(), orders.getMetadata().getAnnotations().get(KeyRing.ROTATE_ANNOTATION));
    assertTrue(ok.out().startsWith("keyring.keyops.dev/orders rotation requested"), ok::toString);

    orders.getStatus().setPendingKey("orders-20261124-1000");
    client.resource(orders).updateStatus();
    Plugin busy = run("rotate", "orders");
    assertEquals(1, busy.code(), busy::toString);
    assertTrue(
        busy.err().contains("is already under way: key orders-20261124-1000 is Staged"),
        busy::toString);

    orders = client.resources(KeyRing.class).withName("orders").get();
    orders.getSpec().getRotation().setKeyTemplate(null);
    client.resource(orders).update();
    Plugin manual = run("rotate", "orders");
    assertEquals(2, manual.code(), manual::toString);
    assertTrue(
        manual
            .err()
            .contains("has no spec.rotation.keyTemplate (a ring of customer secretRef keys)"),
        manual::toString);
  }

  @Test
  void rotateWaitsForKeyopsAndExitsNonZeroWithItsRefusal() throws Exception {
    // No operator runs here: the test answers the request as keyops does when a rotation started
    // between the command's check and its request.
    var rotate =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> run("rotate", "orders", "--wait", "--timeout", "30s"));
    var resource = client.resources(KeyRing.class).withName("orders");
    KeyRing requested =
        dev.keyops.testing.OperatorHarness.await(
            resource::get,
            k ->
                k.getMetadata().getAnnotations() != null
                    && k.getMetadata().getAnnotations().containsKey(KeyRing.ROTATE_ANNOTATION),
            "the request");
    String refusal =
        "rotation request |"
            + NOW
            + " refused: "
            + dev.keyops.ring.RotationRequests.inProgress(
                "orders", "orders-20261124-095959", "10m");
    requested.getStatus().setRotationRequestHandled("|" + NOW);
    Conditions.set(
        requested.getStatus().getConditions(),
        "RotationRequest",
        "False",
        "RotationInProgress",
        refusal,
        1L,
        NOW);
    client.resource(requested).updateStatus();

    Plugin refused = rotate.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(1, refused.code(), refused::toString);
    assertEquals(
        "error: " + refusal + "\n", refused.err().substring(refused.err().indexOf("error: ")));
    assertTrue(
        refused.err().contains("request again once orders-20261124-095959 is Primary"),
        refused::toString);
  }

  @Test
  void inventoryNeedsToKnowWhereThePartitionsAre() {
    Plugin r = run("inventory", "orders");
    assertEquals(2, r.code(), r::toString);
    assertTrue(r.err().startsWith("error: no storage known for key ring orders"), r::toString);
    r = run("inventory", "orders", "--sub-path", "p");
    assertEquals("error: --sub-path needs --claim (the PersistentVolumeClaim it is in)\n", r.err());
  }

  @Test
  void waitingEndsAtTheTimeoutAndSaysWhatGoesOn() {
    // No operator runs here: nothing ever acts on the request or the job.
    Plugin rotate = run("rotate", "orders", "--wait", "--timeout", "2s");
    assertEquals(2, rotate.code(), rotate::toString);
    assertTrue(
        rotate
            .err()
            .startsWith(
                "error: timed out after 2s waiting for keyops to act on the request (is the"
                    + " operator running?) (--timeout to wait longer): the rotation goes on"),
        rotate::toString);

    Plugin inventory = run("inventory", "events", "--timeout", "2s");
    assertEquals(2, inventory.code(), inventory::toString);
    assertTrue(
        inventory.err().contains("a dry run over claim events-data from ReencryptionJob count-1"),
        inventory::toString);
    assertTrue(
        inventory.err().contains("keyops has not picked the job up: is the operator running"),
        inventory::toString);
    ReencryptionJob created =
        client.resources(ReencryptionJob.class).list().getItems().stream()
            .filter(j -> j.getMetadata().getName().startsWith("events-inventory-"))
            .findFirst()
            .orElseThrow();
    assertTrue(created.getSpec().getDryRun());
    assertEquals(
        "events-data", created.getSpec().getStorage().getPersistentVolumeClaim().getClaimName());
    assertEquals(
        "kubectl-keyops", created.getMetadata().getLabels().get(InventoryCommand.CREATED_BY));
  }
}
