package dev.keyops.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingSpec;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.provider.KmsAccessValidator;
import dev.keyops.provider.KmsVersionFollower;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Crds;
import dev.keyops.testing.FakeKubelet;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import dev.keyops.testing.Patches;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes a running operator (mock API server, stand-in kubelet, fake Cloud KMS, injected clock)
 * over HTTP after a rotation and ReencryptionJobs: the per-ring gauges carry the right labels and
 * values, a deleted ring's and job's series end, and every metric that an alert of the chart's
 * PrometheusRule or a panel of its Grafana dashboard reads is in the scrape (both rendered by Helm
 * from helm/keyops, so an alert on a metric that does not exist fails here).
 */
class MetricsScrapeTest {

  static final Instant T0 = Instant.parse("2026-03-01T08:00:00Z");
  static final String KMS_KEY =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/payments";
  static final String EVENTS = "key_ring=\"events\",namespace=\"default\"";
  static final String PAYMENTS = "key_ring=\"payments\",namespace=\"default\"";

  @TempDir Path tmp;
  MutableClock clock;
  OperatorHarness h;
  FakeKubelet kubelet;
  Path data;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(T0);
    h = new OperatorHarness(Duration.ofMinutes(10), clock);
    data = Files.createDirectories(tmp.resolve("pvc/partitions"));
    kubelet = new FakeKubelet(h.client(), Files.createDirectories(tmp.resolve("pods")));
    kubelet.claim("events-data", tmp.resolve("pvc"));
  }

  @AfterEach
  void stop() throws Exception {
    kubelet.close();
    h.close();
    assertNull(kubelet.failure(), () -> "fake kubelet failed: " + kubelet.failure());
  }

  @Test
  void perRingSeriesAndEveryMetricTheAlertsAndTheDashboardRead() throws Exception {
    // payments: one gcpKms key. events: a rotation by hand under a KeyRing with a period.
    primary(Fixtures.managedKey("events-1", "events"));
    h.kms.create(KMS_KEY);
    primary(Fixtures.gcpKey("payments-1", "payments", KMS_KEY));
    write("k1-0", 1000, "events-1");
    write("k1-1", 1001, "events-1");
    write("plain-0", 300, null);
    h.client().resource(keyRing("events", "2160h")).create();
    clock.advance(Duration.ofHours(1));
    primary(Fixtures.managedKey("events-2", "events"));
    h.awaitKey("events-1", k -> k.getStatus().getState() == KeyState.Retired, "Retired");
    // Dropped before any inventory: the drop guard refuses it.
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("events-1").delete();
    h.awaitKey(
        "events-1",
        k -> Conditions.isTrue(k.getStatus().getConditions(), Conditions.DROP_BLOCKED),
        "drop refused");
    h.client().resource(Fixtures.managedKey("scratch-1", "scratch")).create();
    clock.advance(Duration.ofMinutes(30));

    awaitScrape(
        "keyops_primary_key_age_seconds{" + EVENTS + "} 1800.0",
        "keyops_keys{" + EVENTS + ",state=\"Primary\"} 1.0",
        "keyops_keys{" + EVENTS + ",state=\"Retired\"} 1.0",
        "keyops_keys{" + EVENTS + ",state=\"Staged\"} 0.0",
        "keyops_key_ring_rotation_period_seconds{" + EVENTS + "} 7776000.0",
        "keyops_key_ring_rotation_staged_for_seconds{" + EVENTS + "} 600.0",
        "keyops_keys_drop_blocked{" + EVENTS + "} 1.0",
        "keyops_drop_blocked_seconds{" + EVENTS + "} 1800.0",
        "keyops_primary_key_age_seconds{" + PAYMENTS + "} 5400.0",
        "keyops_kms_access{" + PAYMENTS + "} 1.0",
        "keyops_kms_keys_without_access{" + PAYMENTS + "} 0.0",
        "keyops_keys_data_at_risk{" + PAYMENTS + "} 0.0",
        "keyops_keys{key_ring=\"scratch\",namespace=\"default\",state=\"Staged\"} 1.0");
    String before = scrape();
    assertTrue(!before.contains("keyops_kms_access{" + EVENTS), "no gcpKms key in events");
    assertTrue(!before.contains("keyops_primary_key_age_seconds{key_ring=\"scratch\""), before);

    // The rebuild: every partition onto events-2; the inventory lets events-1 go.
    job("rotate", "events", 2, false);
    await("rotate", JobPhase.Succeeded);
    h.awaitGone("events-1");
    String done =
        awaitScrape(
            "keyops_reencryption_last_result{"
                + EVENTS
                + ",reencryption_job=\"rotate\",result=\"Succeeded\"} 1.0",
            "keyops_reencryption_last_result{"
                + EVENTS
                + ",reencryption_job=\"rotate\",result=\"Failed\"} 0.0",
            "keyops_reencryption_last_completion_timestamp_seconds{"
                + EVENTS
                + ",result=\"Succeeded\"} "
                + (double) clock.instant().getEpochSecond(),
            "keyops_reencryption_jobs{" + EVENTS + ",phase=\"Succeeded\"} 1.0",
            "keyops_unencrypted_partitions{" + EVENTS + "} 0.0",
            "keyops_key_partitions{" + EVENTS + ",state=\"Primary\"} 3.0",
            "keyops_keys{" + EVENTS + ",state=\"Retired\"} 0.0",
            "keyops_keys_drop_blocked{" + EVENTS + "} 0.0",
            "keyops_drop_blocked_seconds{" + EVENTS + "} 0.0");
    assertTrue(
        sample(done, "keyops_reencryption_bytes_total{" + EVENTS + "}") >= 1000 + 1001 + 300, done);

    // A dry run after someone wrote plain data: the unencrypted partition is reported and left.
    write("plain-late", 200, null);
    clock.advance(Duration.ofMinutes(5));
    job("inventory", "events", 1, true);
    await("inventory", JobPhase.Succeeded);
    awaitScrape(
        "keyops_unencrypted_partitions{" + EVENTS + "} 1.0",
        "keyops_reencryption_last_result{"
            + EVENTS
            + ",reencryption_job=\"inventory\",result=\"Succeeded\"} 1.0");
    assertTrue(!scrape().contains("reencryption_job=\"rotate\""), "only the last job's result");

    // A job whose workers never start: per-job series while it runs, and Stalled.
    kubelet.pause(true);
    job("stuck", "payments", 3, true);
    String stuck = "key_ring=\"payments\",namespace=\"default\",reencryption_job=\"stuck\"";
    awaitScrape(
        "keyops_reencryption_job_shards{" + stuck + "} 3.0",
        "keyops_reencryption_job_shards_completed{" + stuck + "} 0.0",
        "keyops_reencryption_job_partitions{"
            + PAYMENTS
            + ",outcome=\"scanned\",reencryption_job=\"stuck\"} 0.0",
        "keyops_reencryption_job_stalled{" + stuck + "} 0.0");
    String jobName =
        OperatorHarness.await(() -> rej("stuck"), r -> jobName(r) != null, "a Job")
            .getStatus()
            .getJobName();
    clock.advance(Duration.ofMinutes(1));
    pokeJob(jobName);
    awaitScrape("keyops_reencryption_job_stalled{" + stuck + "} 1.0");

    // Cloud KMS access revoked: the ring's access gauge turns 0.
    h.kms.revoke(KMS_KEY, KmsAccessValidator.USE_TO_DECRYPT);
    Patches.annotate(
        h.client(), "default", "payments-1", KmsVersionFollower.REVALIDATE_ANNOTATION, "1");
    String full =
        awaitScrape(
            "keyops_kms_access{" + PAYMENTS + "} 0.0",
            "keyops_kms_keys_without_access{" + PAYMENTS + "} 1.0");

    // Every metric an alert or a dashboard panel reads is in the scrape.
    Map<String, Set<String>> used = usedMetrics();
    assertTrue(used.size() >= 15, "too few metrics found in the rules and dashboard: " + used);
    Set<String> scraped = sampleNames(full);
    Map<String, Set<String>> missing = new TreeMap<>(used);
    missing.keySet().removeAll(scraped);
    assertTrue(
        missing.isEmpty(), "metrics read by alerts/panels but not in the scrape: " + missing);

    // Deleted: a ring's series and a job's series end.
    h.client().resources(EncryptionKey.class).inNamespace("default").withName("scratch-1").delete();
    h.awaitGone("scratch-1");
    h.client().resources(ReencryptionJob.class).inNamespace("default").withName("stuck").delete();
    OperatorHarness.await(this::scrape, s -> !s.contains("key_ring=\"scratch\""), "scratch gone");
    String after =
        OperatorHarness.await(
            this::scrape, s -> !s.contains("reencryption_job=\"stuck\""), "stuck's series gone");
    assertTrue(after.contains("keyops_keys{" + PAYMENTS + ",state=\"Primary\"} 1.0"), after);
    kubelet.pause(false);
  }

  // --- what the chart's alerts and dashboard read -------------------------------------------

  /** Metric name -> where it is used, over every alert and every dashboard panel query. */
  static Map<String, Set<String>> usedMetrics() throws Exception {
    List<JsonNode> docs =
        render(
            "metrics.prometheusRule.enabled=true",
            "metrics.dashboard.enabled=true",
            "--show-only",
            "templates/prometheusrule.yaml",
            "--show-only",
            "templates/dashboard.yaml");
    Map<String, Set<String>> used = new TreeMap<>();
    int alerts = 0;
    int queries = 0;
    for (JsonNode doc : docs) {
      String kind = doc.path("kind").asText();
      if (kind.equals("PrometheusRule")) {
        for (JsonNode group : doc.path("spec").path("groups")) {
          for (JsonNode rule : group.path("rules")) {
            alerts++;
            use(used, rule.path("expr").asText(), "alert " + rule.path("alert").asText());
          }
        }
      } else if (kind.equals("ConfigMap")) {
        JsonNode dash = new ObjectMapper().readTree(doc.path("data").path("keyops.json").asText());
        List<JsonNode> panels = new ArrayList<>();
        dash.path("panels").forEach(panels::add);
        for (int i = 0; i < panels.size(); i++) {
          panels.get(i).path("panels").forEach(panels::add); // panels inside collapsed rows
          for (JsonNode t : panels.get(i).path("targets")) {
            queries++;
            use(used, t.path("expr").asText(), "panel " + panels.get(i).path("title").asText());
          }
        }
        for (JsonNode v : dash.path("templating").path("list")) {
          String q = v.path("query").path("query").asText(v.path("query").asText());
          java.util.regex.Matcher m =
              java.util.regex.Pattern.compile("label_values\\((.*),\\s*\\w+\\)").matcher(q);
          if (m.find()) {
            queries++;
            use(used, m.group(1), "variable " + v.path("name").asText());
          }
        }
      }
    }
    assertTrue(alerts >= 6, "alerts found: " + alerts);
    assertTrue(queries >= 15, "dashboard queries found: " + queries);
    return used;
  }

  private static void use(Map<String, Set<String>> used, String expr, String where) {
    assertTrue(!expr.isBlank(), where + " has no expression");
    Set<String> names = PromQl.metricNames(expr);
    assertTrue(!names.isEmpty(), where + " reads no metric: " + expr);
    names.forEach(n -> used.computeIfAbsent(n, x -> new TreeSet<>()).add(where));
  }

  /** The chart rendered by Helm (dev/tools provides it) with the given --set values and flags. */
  static List<JsonNode> render(String... args) throws Exception {
    Path root = Crds.repoRoot();
    String bin = run(List.of(root.resolve("dev/tools").toString())).trim();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(bin, "helm").toString(),
                "template",
                "keyops",
                root.resolve("helm/keyops").toString(),
                "--namespace",
                "keyops"));
    for (String a : args) {
      if (a.startsWith("--") || a.startsWith("templates/")) {
        cmd.add(a);
      } else {
        cmd.add("--set");
        cmd.add(a);
      }
    }
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = new YAMLFactory().createParser(run(cmd))) {
      new ObjectMapper().readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs.stream().filter(d -> d != null && !d.isNull() && !d.isMissingNode()).toList();
  }

  private static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " did not end");
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed: " + err);
    return new String(out, StandardCharsets.UTF_8);
  }

  // --- scraping --------------------------------------------------------------------------------

  String scrape() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + h.operator().httpPort() + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      return r.body();
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  String awaitScrape(String... lines) {
    return OperatorHarness.await(
        this::scrape,
        s -> List.of(lines).stream().allMatch(l -> s.lines().anyMatch(l::equals)),
        "a scrape with every one of " + List.of(lines));
  }

  /** The names of the samples in a scrape (a counter's with _total, a histogram's _bucket...). */
  static Set<String> sampleNames(String scrape) {
    Set<String> out = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        out.add(line.split("[{ ]", 2)[0]);
      }
    }
    return out;
  }

  static double sample(String scrape, String series) {
    return scrape
        .lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(series + " not in scrape:\n" + scrape));
  }

  // --- the scenario's objects -----------------------------------------------------------------

  void primary(EncryptionKey k) {
    k.getSpec().setActivate(true);
    h.client().resource(k).create();
    String name = k.getMetadata().getName();
    int[] retries = {0};
    h.awaitKey(
        name,
        x -> {
          // On a loaded machine the first call to the fake Cloud KMS can outlast the client's
          // deadline; with the clock frozen the backoff never ends, so ask for a check again.
          if (Conditions.find(x.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED)
              .map(c -> "KmsUnavailable".equals(c.getReason()))
              .orElse(false)) {
            Patches.annotate(
                h.client(),
                "default",
                name,
                KmsVersionFollower.REVALIDATE_ANNOTATION,
                "retry-" + ++retries[0]);
          }
          return x.getStatus().getState() == KeyState.Primary && x.getStatus().getKeyId() != null;
        },
        "Primary");
  }

  static KeyRing keyRing(String name, String period) {
    KeyRing r = new KeyRing();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
    RotationPolicy p = new RotationPolicy();
    p.setPeriod(period); // no keyTemplate: rotations by hand, RotationDue says when
    KeyRingSpec spec = new KeyRingSpec();
    spec.setRotation(p);
    r.setSpec(spec);
    return r;
  }

  void job(String name, String ring, int shards, boolean dryRun) {
    ReencryptionJob r =
        Fixtures.reencryptionJob("default", name, ring, "events-data", "partitions");
    r.getSpec().setShards(shards);
    r.getSpec().setParallelism(shards);
    r.getSpec().setDryRun(dryRun);
    h.client().resource(r).create();
  }

  ReencryptionJob rej(String name) {
    return h.client().resources(ReencryptionJob.class).inNamespace("default").withName(name).get();
  }

  static String jobName(ReencryptionJob r) {
    return r == null || r.getStatus() == null ? null : r.getStatus().getJobName();
  }

  void await(String name, JobPhase phase) {
    OperatorHarness.await(
        () -> rej(name),
        r -> r != null && r.getStatus() != null && r.getStatus().getPhase() == phase,
        "ReencryptionJob " + name + " " + phase);
  }

  /** Wakes a ReencryptionJob after the clock moved, through a change of its Job. */
  void pokeJob(String jobName) {
    h.client()
        .batch()
        .v1()
        .jobs()
        .inNamespace("default")
        .withName(jobName)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"test.keyops.dev/poke\":\"1\"}}}");
  }

  /** Writes a partition encrypted with the ring's current keyring (Primary = key), or plain. */
  void write(String name, int size, String key) throws IOException {
    byte[] plain = new byte[size];
    new Random(name.hashCode()).nextBytes(plain);
    Path p = data.resolve(name);
    if (key == null) {
      Files.write(p, plain);
      return;
    }
    String keyId = h.key(key).getStatus().getKeyId();
    KeyBundle ring =
        OperatorHarness.await(
            () -> {
              Secret s =
                  h.client().secrets().inNamespace("default").withName("events-keyring").get();
              return s == null
                  ? null
                  : KeyBundle.parse(
                      Base64.getDecoder().decode(s.getData().get("keyring.json")),
                      DataKeyUnwrapper.NONE);
            },
            r -> r != null && keyId.equals(r.document().primaryKeyId()),
            "keyring with primary " + keyId);
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      new PartitionCodec().encrypt(new ByteArrayInputStream(plain), ch, ring);
    }
  }
}
