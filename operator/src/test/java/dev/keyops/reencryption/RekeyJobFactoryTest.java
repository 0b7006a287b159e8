package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.RekeyMode;
import dev.keyops.api.v1alpha1.WorkerOverrides;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RekeyJobFactoryTest {

  static ReencryptionJob rej() {
    ReencryptionJob r =
        dev.keyops.testing.Fixtures.reencryptionJob(
            "data", "rotate", "events", "events-data", "parts");
    r.getMetadata().setUid("u1");
    r.getSpec().setShards(4);
    r.getSpec().setParallelism(2);
    r.getSpec().setMode(RekeyMode.Rewrap);
    return r;
  }

  static Map<String, String> env(Container c) {
    return c.getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() == null ? "" : e.getValue()));
  }

  @Test
  void theWorkerJobIsIndexedRestrictedAndOwned() {
    ReencryptionJob r = rej();
    WorkerOverrides w = new WorkerOverrides();
    w.setImage("registry/keyops:1");
    w.setServiceAccountName("rekey-sa");
    w.setNodeSelector(Map.of("disk", "ssd"));
    r.getSpec().setWorker(w);
    Job job =
        RekeyJobFactory.build(
            r, "registry/keyops:0", "ab".repeat(16), WorkerCredentials.gcp("gcp-sa", "key.json"));
    assertEquals("rotate-rekey", job.getMetadata().getName());
    assertEquals("u1", job.getMetadata().getOwnerReferences().get(0).getUid());
    assertEquals("Indexed", job.getSpec().getCompletionMode());
    assertEquals(4, job.getSpec().getCompletions());
    assertEquals(2, job.getSpec().getParallelism());
    var pod = job.getSpec().getTemplate().getSpec();
    assertEquals("Never", pod.getRestartPolicy());
    assertEquals("rekey-sa", pod.getServiceAccountName());
    assertEquals(Map.of("disk", "ssd"), pod.getNodeSelector());
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
    Container c = pod.getContainers().get(0);
    assertEquals("registry/keyops:1", c.getImage());
    assertEquals(
        List.of(
            "rekey",
            "--keyring",
            RekeyJobFactory.KEYRING_FILE,
            "--data",
            "/data",
            "--mode",
            "rewrap",
            "--shards",
            "4",
            "--result",
            "/dev/termination-log",
            "--expect-primary",
            "ab".repeat(16),
            "--location",
            "events-data/parts"),
        c.getArgs());
    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals("/etc/keyops/gcp/key.json", env(c).get("GOOGLE_APPLICATION_CREDENTIALS"));
    assertTrue(
        c.getVolumeMounts().stream()
            .anyMatch(m -> m.getMountPath().equals("/data") && "parts".equals(m.getSubPath())));
    assertTrue(
        c.getVolumeMounts().stream()
            .anyMatch(
                m -> m.getMountPath().equals(RekeyJobFactory.KEYRING_DIR) && m.getReadOnly()));
    assertEquals(
        "rekey",
        job.getSpec().getPodFailurePolicy().getRules().get(0).getOnExitCodes().getContainerName());
    assertEquals(
        job,
        RekeyJobFactory.build(
            r, "registry/keyops:0", "ab".repeat(16), WorkerCredentials.gcp("gcp-sa", "key.json")),
        "deterministic: a restart builds the same Job");
  }

  @Test
  void transitKeysGiveTheWorkersTheirTokenFileOrTheirKubernetesAuthRole() {
    EncryptionKey token = transitKey("b-token");
    var auth = new dev.keyops.api.v1alpha1.TransitAuthSpec();
    auth.setTokenSecretRef(new dev.keyops.api.v1alpha1.SecretKeySelector("bao-token", "token"));
    token.getSpec().getProvider().getTransit().setAuth(auth);
    token
        .getSpec()
        .getProvider()
        .getTransit()
        .setCaSecretRef(new dev.keyops.api.v1alpha1.SecretKeySelector("bao-ca", "ca.crt"));
    EncryptionKey role = transitKey("a-role");
    var k8s = new dev.keyops.api.v1alpha1.TransitKubernetesAuth();
    k8s.setRole("keyops-worker");
    k8s.setMountPath("k8s-east");
    var roleAuth = new dev.keyops.api.v1alpha1.TransitAuthSpec();
    roleAuth.setKubernetes(k8s);
    role.getSpec().getProvider().getTransit().setAuth(roleAuth);

    // The first key by name decides: a-role logs in with the worker's ServiceAccount token.
    Job byRole =
        RekeyJobFactory.build(
            rej(),
            "registry/keyops:0",
            "ab".repeat(16),
            WorkerCredentials.of(List.of(token, role)));
    Container c = byRole.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals("keyops-worker", env(c).get("KEYOPS_TRANSIT_ROLE"));
    assertEquals("k8s-east", env(c).get("KEYOPS_TRANSIT_AUTH_MOUNT"));
    assertFalse(env(c).containsKey("KEYOPS_TRANSIT_TOKEN_FILE"));

    Job byToken =
        RekeyJobFactory.build(
            rej(), "registry/keyops:0", "ab".repeat(16), WorkerCredentials.of(List.of(token)));
    var pod = byToken.getSpec().getTemplate().getSpec();
    c = pod.getContainers().get(0);
    assertEquals("/etc/keyops/transit-token/token", env(c).get("KEYOPS_TRANSIT_TOKEN_FILE"));
    assertEquals("/etc/keyops/transit-ca/ca.crt", env(c).get("KEYOPS_TRANSIT_CA_FILE"));
    assertFalse(env(c).containsKey("KEYOPS_TRANSIT_ROLE"));
    assertTrue(
        pod.getVolumes().stream()
            .anyMatch(
                v ->
                    v.getSecret() != null
                        && "bao-token".equals(v.getSecret().getSecretName())
                        && "transit-token".equals(v.getName())));
    assertTrue(
        c.getVolumeMounts().stream()
            .anyMatch(
                m ->
                    m.getName().equals("transit-token")
                        && m.getMountPath().equals(RekeyJobFactory.TRANSIT_TOKEN_DIR)
                        && m.getReadOnly()));
    assertFalse(env(c).containsKey("GOOGLE_APPLICATION_CREDENTIALS"), "no gcpKms key");
  }

  private static EncryptionKey transitKey(String name) {
    EncryptionKey k = new EncryptionKey();
    k.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
    var spec = new dev.keyops.api.v1alpha1.EncryptionKeySpec();
    var provider = new dev.keyops.api.v1alpha1.Provider();
    var transit = new dev.keyops.api.v1alpha1.TransitProvider();
    transit.setAddress("http://10.213.0.1:18200");
    transit.setKeyName("e2e");
    provider.setTransit(transit);
    spec.setProvider(provider);
    spec.setKeyRing("events");
    k.setSpec(spec);
    return k;
  }

  @Test
  void severalClaimsAreEachMountedAndNamedWithTheirGlobs() {
    ReencryptionJob r = rej();
    dev.keyops.api.v1alpha1.Storage storage = new dev.keyops.api.v1alpha1.Storage();
    var a = new dev.keyops.api.v1alpha1.StorageClaim("db-data-0", null);
    var b = new dev.keyops.api.v1alpha1.StorageClaim("db-data-1", "parts");
    var c = new dev.keyops.api.v1alpha1.StorageClaim("db-data-1", "more");
    for (var e : List.of(a, b, c)) {
      e.setInclude(List.of("**/*.kp"));
      e.setExclude(List.of("tmp/**"));
    }
    storage.setClaims(List.of(a, b, c));
    r.getSpec().setStorage(storage);
    Job job = RekeyJobFactory.build(r, "img", List.of(), "ab".repeat(16), null);
    var pod = job.getSpec().getTemplate().getSpec();
    // One volume per claim (never the same claim twice), one read-write mount per location.
    assertEquals(
        Map.of("data-0", "db-data-0", "data-1", "db-data-1"),
        pod.getVolumes().stream()
            .filter(v -> v.getPersistentVolumeClaim() != null)
            .collect(
                Collectors.toMap(
                    v -> v.getName(), v -> v.getPersistentVolumeClaim().getClaimName())));
    Container w = pod.getContainers().get(0);
    assertEquals(
        List.of("data-0 /data/0 null", "data-1 /data/1 parts", "data-1 /data/2 more"),
        w.getVolumeMounts().stream()
            .filter(m -> m.getName().startsWith("data-"))
            .map(
                m ->
                    m.getName()
                        + " "
                        + m.getMountPath()
                        + " "
                        + m.getSubPath()
                        + (Boolean.TRUE.equals(m.getReadOnly()) ? " ro" : ""))
            .toList());
    String args = String.join(" ", w.getArgs());
    assertTrue(
        args.contains(
            "--data db-data-0#include:**/*.kp;exclude:tmp/**=/data/0"
                + " --data db-data-1/parts#include:**/*.kp;exclude:tmp/**=/data/1"
                + " --data db-data-1/more#include:**/*.kp;exclude:tmp/**=/data/2"),
        args);
    assertTrue(args.endsWith("--include **/*.kp --exclude tmp/**"), args);
    assertFalse(args.contains("--location"), args);
    // A selection of files is part of the location's name: a scan of some files is never taken
    // for a scan of all of them.
    String sel = "#include:**/*.kp;exclude:tmp/**";
    assertEquals(
        "db-data-0"
            + sel
            + "=/data/0,db-data-1/parts"
            + sel
            + "=/data/1,db-data-1/more"
            + sel
            + "=/data/2",
        env(w).get("KEYOPS_LOCATIONS"));
    assertEquals(
        List.of("db-data-0" + sel, "db-data-1/parts" + sel, "db-data-1/more" + sel),
        Locations.of(r.getSpec()));
  }

  @Test
  void entriesWithDifferentGlobsCannotShareAWorker() {
    var a = new Locations.Entry("c", null, List.of("*.kp"), null);
    var b = new Locations.Entry("d", null, null, null);
    assertNull(Locations.selectionConflict(List.of(a, a)));
    String why = Locations.selectionConflict(List.of(a, b));
    assertTrue(why.contains("locations c#include:*.kp;exclude: and d give different"), why);
  }

  @Test
  void aCustomTemplateGetsTheWorkerContract() {
    ReencryptionJob r = rej();
    r.getSpec()
        .setTemplate(
            new PodTemplateSpecBuilder()
                .withNewMetadata()
                .addToLabels("app", "columnstore")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("rebuild")
                .withImage("columnstore:9")
                .withArgs("rebuild-partitions")
                .endContainer()
                .endSpec()
                .build());
    Job job = RekeyJobFactory.build(r, "registry/keyops:0", "cd".repeat(16), null);
    var pod = job.getSpec().getTemplate();
    assertEquals("columnstore", pod.getMetadata().getLabels().get("app"));
    assertEquals("rotate", pod.getMetadata().getLabels().get(RekeyJobFactory.LABEL_JOB));
    Container c = pod.getSpec().getContainers().get(0);
    assertEquals(List.of("rebuild-partitions"), c.getArgs());
    Map<String, String> env = env(c);
    assertEquals(RekeyJobFactory.KEYRING_FILE, env.get("KEYOPS_KEYRING"));
    assertEquals("/data", env.get("KEYOPS_DATA"));
    assertEquals("rewrap", env.get("KEYOPS_MODE"));
    assertEquals("4", env.get("KEYOPS_SHARDS"));
    assertEquals("cd".repeat(16), env.get("KEYOPS_TARGET_KEY_ID"));
    assertEquals("/dev/termination-log", env.get("KEYOPS_RESULT"));
    assertEquals("FallbackToLogsOnError", c.getTerminationMessagePolicy());
    assertNull(
        job.getSpec().getPodFailurePolicy().getRules().get(0).getOnExitCodes().getContainerName(),
        "the policy must not name a container the template does not have");
  }

  static String name(int length, boolean dots) {
    return dev.keyops.testing.LongNames.of(length, dots);
  }

  /** Every name the API accepts gives a Job whose pods' hostnames and labels are valid. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
    "1,false",
    "52,false",
    "63,false",
    "64,false",
    "253,false",
    "52,true",
    "64,true",
    "253,true"
  })
  void everyObjectNameGivesValidJobPodAndLabelNames(int length, boolean dots) {
    ReencryptionJob r = rej();
    r.getMetadata().setName(name(length, dots));
    Job job = RekeyJobFactory.build(r, "img", "ab".repeat(16), null);
    String jobName = job.getMetadata().getName();
    assertTrue(jobName.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"), jobName);
    assertTrue((jobName + "-99999").length() <= 63, jobName);
    String label = job.getMetadata().getLabels().get(RekeyJobFactory.LABEL_JOB);
    assertTrue(label.length() <= 63 && label.matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"));
    var podMeta = job.getSpec().getTemplate().getMetadata();
    assertEquals(label, podMeta.getLabels().get(RekeyJobFactory.LABEL_JOB));
    assertEquals(r.getMetadata().getName(), RekeyJobFactory.owner(podMeta));
    assertEquals(
        jobName, RekeyJobFactory.build(r, "img", "ab".repeat(16), null).getMetadata().getName());
    if (length <= 57 - "-rekey".length() && !dots) {
      assertEquals(r.getMetadata().getName() + "-rekey", jobName, "short names stay readable");
    }
  }

  @Test
  void twoLongNamesWithACommonPrefixGetDifferentJobs() {
    ReencryptionJob a = rej();
    ReencryptionJob b = rej();
    a.getMetadata().setName(name(100, false) + "a");
    b.getMetadata().setName(name(100, false) + "b");
    assertTrue(!RekeyJobFactory.jobName(a).equals(RekeyJobFactory.jobName(b)));
  }

  @Test
  void workerPodsPullWithTheOperatorsSecretsUnlessATemplateNamesItsOwn() {
    ReencryptionJob r = rej();
    var pod =
        RekeyJobFactory.build(r, "img", java.util.List.of("regcred", "mirror"), "k", null)
            .getSpec()
            .getTemplate()
            .getSpec();
    assertEquals(
        java.util.List.of("regcred", "mirror"),
        pod.getImagePullSecrets().stream().map(x -> x.getName()).toList());
    assertTrue(
        RekeyJobFactory.build(r, "img", "k", null)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getImagePullSecrets()
            .isEmpty(),
        "none configured, none added");
  }

  @Test
  void activeDeadlineGoesToTheJob() {
    ReencryptionJob r = rej();
    assertNull(RekeyJobFactory.build(r, "img", null, null).getSpec().getActiveDeadlineSeconds());
    r.getSpec().setActiveDeadlineSeconds(3600L);
    assertEquals(
        3600L, RekeyJobFactory.build(r, "img", null, null).getSpec().getActiveDeadlineSeconds());
  }

  static Container firstContainer(ReencryptionJob r) {
    return RekeyJobFactory.build(r, "img", null, null)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0);
  }

  @Test
  void bytesPerSecondGoesToTheWorkerAndToACustomTemplatesEnvironment() {
    ReencryptionJob r = rej();
    Container unlimited = firstContainer(r);
    assertFalse(unlimited.getArgs().contains("--bytes-per-second"), "no limit unless asked");
    assertFalse(env(unlimited).containsKey("KEYOPS_BYTES_PER_SECOND"));

    r.getSpec().setBytesPerSecond(52428800L);
    Container c = firstContainer(r);
    List<String> args = c.getArgs();
    int at = args.indexOf("--bytes-per-second");
    assertTrue(at > 0, args.toString());
    assertEquals("52428800", args.get(at + 1));
    assertEquals("52428800", env(c).get("KEYOPS_BYTES_PER_SECOND"));

    r.getSpec()
        .setTemplate(
            new PodTemplateSpecBuilder()
                .withNewSpec()
                .addNewContainer()
                .withName("rebuild")
                .withImage("columnstore:9")
                .endContainer()
                .endSpec()
                .build());
    Container custom = firstContainer(r);
    assertEquals("52428800", env(custom).get("KEYOPS_BYTES_PER_SECOND"));
    assertFalse(
        custom.getArgs().contains("--bytes-per-second"),
        "a custom container's arguments are its own");
  }

  @Test
  void encryptPlaintextParquetGoesToTheWorkerAsItsLayoutOptions() {
    ReencryptionJob r = rej();
    assertFalse(
        firstContainer(r).getArgs().stream().anyMatch(a -> a.startsWith("--parquet")),
        "plaintext Parquet is left as it is unless asked");
    dev.keyops.api.v1alpha1.ParquetOptions parquet = new dev.keyops.api.v1alpha1.ParquetOptions();
    dev.keyops.api.v1alpha1.ParquetEncryption layout =
        new dev.keyops.api.v1alpha1.ParquetEncryption();
    parquet.setEncryptPlaintext(layout);
    r.getSpec().setParquet(parquet);
    List<String> uniform = firstContainer(r).getArgs();
    assertEquals(
        List.of("--parquet-encrypt-plaintext"),
        uniform.stream().filter(a -> a.startsWith("--parquet")).toList(),
        "the defaults: uniform, encrypted footer, double wrapping, internal key material");

    layout.setColumns(List.of("ssn", "address.street"));
    layout.setPlaintextFooter(true);
    layout.setDoubleWrapping(false);
    layout.setKeyMaterial(dev.keyops.api.v1alpha1.ParquetEncryption.KeyMaterial.External);
    Container c = firstContainer(r);
    List<String> args = c.getArgs();
    int at = args.indexOf("--parquet-encrypt-plaintext");
    assertEquals(
        List.of(
            "--parquet-encrypt-plaintext",
            "--parquet-columns",
            "ssn,address.street",
            "--parquet-plaintext-footer",
            "--parquet-single-wrapping",
            "--parquet-key-material",
            "external"),
        args.subList(at, at + 7));
    Map<String, String> env = env(c);
    assertEquals("true", env.get("KEYOPS_PARQUET_ENCRYPT_PLAINTEXT"));
    assertEquals("ssn,address.street", env.get("KEYOPS_PARQUET_COLUMNS"));
    assertEquals("true", env.get("KEYOPS_PARQUET_PLAINTEXT_FOOTER"));
    assertEquals("false", env.get("KEYOPS_PARQUET_DOUBLE_WRAPPING"));
    assertEquals("external", env.get("KEYOPS_PARQUET_KEY_MATERIAL"));

    layout.setColumns(List.of("ssn", "a;b"));
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> RekeyJobFactory.parquetArgs(parquet));
    assertTrue(
        e.getMessage().startsWith("spec.parquet.encryptPlaintext.columns: "), e.getMessage());
    assertTrue(e.getMessage().contains("'a;b'"), e.getMessage());
    assertTrue(e.getMessage().contains("create a new ReencryptionJob"), e.getMessage());
  }
}
