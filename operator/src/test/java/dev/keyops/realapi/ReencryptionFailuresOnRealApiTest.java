package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.reencryption.RekeyJobFactory;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Claims;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.LocalPodRunner;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 on a real kube-apiserver and Job controller: ReencryptionJob names at their limits run;
 * jobs that cannot run say why within a minute and never block their key ring; a Job the API server
 * refuses, and a foreign Job with our name, end the job Failed without a retry loop. This control
 * plane has no scheduler and no kubelet: {@link LocalPodRunner} runs pods whose claim it backs, and
 * the tests write pod status themselves to play an image pull error, an unschedulable pod and an
 * OOMKilled worker.
 */
@Tag("realapi")
class ReencryptionFailuresOnRealApiTest {

  static final Duration MINUTE = Duration.ofSeconds(60);
  static final String LABEL_VALUE = "([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?";
  static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

  @TempDir static Path tmp;
  static KubernetesClient admin;
  static KeyopsOperator operator;
  static LocalPodRunner runner;
  static final List<String> namespaces = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    RealApi.kubeconfig();
    admin = RealApi.admin();
    RealApi.installCrds(admin);
    OperatorConfig config =
        OperatorConfig.defaults()
            .withStagedFor(Duration.ZERO)
            .withPropagationMargin(Duration.ZERO)
            .withHttpPort(0)
            .withLeaderElection(false);
    operator = KeyopsOperator.start(admin, config, Clock.systemUTC());
    runner = new LocalPodRunner(admin, Files.createDirectories(tmp.resolve("pods")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (runner != null) {
      runner.close();
    }
    if (operator != null) {
      operator.close();
    }
    if (admin != null) {
      namespaces.forEach(n -> RealApi.dispose(admin, n));
      admin.close();
    }
  }

  /** A namespace with a Primary key in each ring, and claim events-data backed locally if asked. */
  static String namespace(String prefix, boolean runPods, String... rings) throws Exception {
    String ns = RealApi.namespace(admin, prefix);
    namespaces.add(ns);
    if (runPods) {
      Path pvc = Files.createDirectories(tmp.resolve(ns + "/pvc/partitions"));
      runner.claim(ns, "events-data", pvc.getParent());
    } else {
      Claims.bound(admin, ns, "events-data");
    }
    for (String ring : rings) {
      EncryptionKey k = Fixtures.managedKey(ring + "-1", ring);
      k.getMetadata().setNamespace(ns);
      k.getSpec().setActivate(true);
      admin.resource(k).create();
    }
    for (String ring : rings) {
      OperatorHarness.await(
          () -> admin.resources(EncryptionKey.class).inNamespace(ns).withName(ring + "-1").get(),
          k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary,
          ring + "-1 Primary");
      OperatorHarness.await(
          () -> admin.secrets().inNamespace(ns).withName(ring + "-keyring").get(),
          s -> s != null,
          ring + " keyring");
    }
    return ns;
  }

  static ReencryptionJob create(
      String ns, String name, String ring, String claim, UnaryOperator<ReencryptionJob> edit) {
    ReencryptionJob r = Fixtures.reencryptionJob(ns, name, ring, claim, "partitions");
    r.getSpec().setDryRun(true);
    return admin.resource(edit.apply(r)).create();
  }

  static ReencryptionJob get(String ns, String name) {
    return admin.resources(ReencryptionJob.class).inNamespace(ns).withName(name).get();
  }

  static ReencryptionJob awaitCondition(
      String ns, String name, String type, String reason, Duration timeout) {
    return OperatorHarness.await(
        () -> get(ns, name),
        r ->
            r != null
                && r.getStatus() != null
                && Conditions.find(r.getStatus().getConditions(), type)
                    .map(c -> "True".equals(c.getStatus()) && reason.equals(c.getReason()))
                    .orElse(false),
        name + " " + type + "=" + reason,
        timeout);
  }

  static ReencryptionJob awaitPhase(String ns, String name, JobPhase phase, Duration timeout) {
    return OperatorHarness.await(
        () -> get(ns, name),
        r -> r != null && r.getStatus() != null && r.getStatus().getPhase() == phase,
        name + " " + phase,
        timeout);
  }

  static String name(int length, boolean dots) {
    return dev.keyops.testing.LongNames.of(length, dots);
  }

  static long warnings(String ns, String name, String reason) {
    return admin.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .count();
  }

  @Test
  void namesAtTheirLimitsRunAndLongKeyNamesGetMaterial() throws Exception {
    String ns = namespace("names", true, "events");
    List<String> names =
        List.of(
            name(52, false), name(63, false), name(64, false), name(253, false), name(90, true));
    for (String n : names) {
      create(ns, n, "events", "events-data", r -> r);
    }
    // Keys whose names are no label values still get material (hashed label values).
    for (String n : List.of(name(64, false), name(253, true))) {
      EncryptionKey k = Fixtures.managedKey(n, "long");
      k.getMetadata().setNamespace(ns);
      admin.resource(k).create();
    }
    for (String n : names) {
      ReencryptionJob done = awaitPhase(ns, n, JobPhase.Succeeded, Duration.ofSeconds(120));
      String job = done.getStatus().getJobName();
      assertTrue(job.length() <= 57 && job.matches(DNS_LABEL), job);
      Job j = admin.batch().v1().jobs().inNamespace(ns).withName(job).get();
      String label = j.getMetadata().getLabels().get(RekeyJobFactory.LABEL_JOB);
      assertTrue(label.matches(LABEL_VALUE) && label.length() <= 63, label);
      assertEquals(0L, done.getStatus().getPartitions().getTotal());
    }
    for (String n : List.of(name(64, false), name(253, true))) {
      OperatorHarness.await(
          () -> admin.resources(EncryptionKey.class).inNamespace(ns).withName(n).get(),
          k -> k.getStatus() != null && Conditions.isTrue(k.getStatus().getConditions(), "Ready"),
          "key " + n.length() + " Ready");
    }
  }

  @Test
  void aMissingClaimFailsAtOnceAndTheRingMovesOn() throws Exception {
    String ns = namespace("claim", true, "events");
    create(ns, "no-claim", "events", "missing", r -> r);
    create(ns, "after", "events", "events-data", r -> r);
    ReencryptionJob failed = awaitCondition(ns, "no-claim", "Failed", "ClaimNotFound", MINUTE);
    assertEquals(JobPhase.Failed, failed.getStatus().getPhase());
    assertTrue(
        Conditions.find(failed.getStatus().getConditions(), "Failed")
            .get()
            .getMessage()
            .contains("missing"));
    awaitPhase(ns, "after", JobPhase.Succeeded, MINUTE);
  }

  @Test
  void anUnboundClaimIsReportedAndTheProgressDeadlineFreesTheRing() throws Exception {
    String ns = namespace("unbound", true, "events");
    Claims.pending(admin, ns, "unbound");
    create(
        ns,
        "stuck",
        "events",
        "unbound",
        r -> {
          r.getSpec().setProgressDeadlineSeconds(10);
          return r;
        });
    awaitPhase(ns, "stuck", JobPhase.Running, MINUTE);
    create(ns, "next", "events", "events-data", r -> r);
    awaitCondition(ns, "next", "Waiting", "Queued", MINUTE);
    awaitCondition(ns, "stuck", "Stalled", "ClaimNotBound", MINUTE);
    ReencryptionJob failed =
        awaitCondition(ns, "stuck", "Failed", "ProgressDeadlineExceeded", MINUTE);
    assertTrue(
        Conditions.find(failed.getStatus().getConditions(), "Failed")
            .get()
            .getMessage()
            .contains("ClaimNotBound"));
    OperatorHarness.await(
        () -> admin.batch().v1().jobs().inNamespace(ns).withName("stuck-rekey").get(),
        j -> j == null,
        "the stuck Job stopped");
    awaitPhase(ns, "next", JobPhase.Succeeded, MINUTE);
    assertEquals(1, warnings(ns, "stuck", "ProgressDeadlineExceeded"));
  }

  @Test
  void imagePullErrorsUnschedulablePodsAndOomKilledWorkersAreReported() throws Exception {
    String ns = namespace("pods", false, "pull", "sched", "oom");
    create(ns, "pull", "pull", "events-data", r -> r);
    create(ns, "sched", "sched", "events-data", r -> r);
    create(ns, "oom", "oom", "events-data", r -> r);

    Pod pull = awaitPod(ns, "pull", Set.of());
    bind(pull);
    writeStatus(
        pull,
        new PodStatusBuilder()
            .withPhase("Pending")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName(RekeyJobFactory.CONTAINER)
                    .withImage(image(pull))
                    .withImageID("")
                    .withReady(false)
                    .withRestartCount(0)
                    .withNewState()
                    .withNewWaiting()
                    .withReason("ImagePullBackOff")
                    .withMessage("Back-off pulling image \"" + image(pull) + "\"")
                    .endWaiting()
                    .endState()
                    .build())
            .build());

    Pod sched = awaitPod(ns, "sched", Set.of());
    writeStatus(
        sched,
        new PodStatusBuilder()
            .withPhase("Pending")
            .withConditions(
                new PodConditionBuilder()
                    .withType("PodScheduled")
                    .withStatus("False")
                    .withReason("Unschedulable")
                    .withMessage("0/3 nodes are available: 3 Insufficient memory.")
                    .withLastTransitionTime(Instant.now().toString())
                    .build())
            .build());

    ReencryptionJob pulled = awaitCondition(ns, "pull", "Stalled", "ImagePullFailed", MINUTE);
    assertEquals(JobPhase.Running, pulled.getStatus().getPhase());
    ReencryptionJob unsched = awaitCondition(ns, "sched", "Stalled", "Unschedulable", MINUTE);
    assertTrue(
        Conditions.find(unsched.getStatus().getConditions(), "Stalled")
            .get()
            .getMessage()
            .contains("Insufficient memory"));

    // Every attempt of the shard is OOMKilled: reported at once, and the job ends Failed.
    Set<String> killed = new HashSet<>();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(150));
    boolean reported = false;
    while (Instant.now().isBefore(deadline)) {
      for (Pod p :
          admin
              .pods()
              .inNamespace(ns)
              .withLabel(RekeyJobFactory.LABEL_JOB, "oom")
              .list()
              .getItems()) {
        if (killed.add(p.getMetadata().getName())) {
          bind(p);
          writeStatus(p, oomKilled(p));
        }
      }
      ReencryptionJob r = get(ns, "oom");
      if (!reported
          && Conditions.find(r.getStatus().getConditions(), "Degraded")
              .map(c -> "WorkerOOMKilled".equals(c.getReason()))
              .orElse(false)) {
        reported = true;
      }
      if (r.getStatus().getPhase() == JobPhase.Failed) {
        break;
      }
      Thread.sleep(200);
    }
    assertTrue(reported, "Degraded WorkerOOMKilled reported while running");
    awaitCondition(ns, "oom", "Failed", "WorkerOOMKilled", MINUTE);
    assertTrue(warnings(ns, "oom", "WorkerOOMKilled") >= 1);
  }

  @Test
  void aRefusedJobAndAForeignJobWithOurNameFailWithoutARetryLoop() throws Exception {
    String ns = namespace("refused", true, "events");
    // The API server refuses the Job: a container name that is no DNS label.
    create(
        ns,
        "invalid",
        "events",
        "events-data",
        r -> {
          r.getSpec()
              .setTemplate(
                  new PodTemplateSpecBuilder()
                      .withNewSpec()
                      .addNewContainer()
                      .withName("Not_A_Label")
                      .withImage("example.com/rebuilder:1")
                      .endContainer()
                      .endSpec()
                      .build());
          return r;
        });
    ReencryptionJob invalid = awaitCondition(ns, "invalid", "Failed", "InvalidJob", MINUTE);
    assertTrue(
        Conditions.find(invalid.getStatus().getConditions(), "Failed")
            .get()
            .getMessage()
            .contains("Not_A_Label"));

    // A Job with the name keyops would use, not owned by the ReencryptionJob: left alone.
    Job foreign =
        admin
            .resource(
                new JobBuilder()
                    .withNewMetadata()
                    .withName("taken-rekey")
                    .withNamespace(ns)
                    .endMetadata()
                    .withNewSpec()
                    .withSuspend(true)
                    .withNewTemplate()
                    .withNewSpec()
                    .withRestartPolicy("Never")
                    .addNewContainer()
                    .withName("c")
                    .withImage("example.com/other:1")
                    .endContainer()
                    .endSpec()
                    .endTemplate()
                    .endSpec()
                    .build())
            .create();
    create(ns, "taken", "events", "events-data", r -> r);
    awaitCondition(ns, "taken", "Failed", "JobNameConflict", MINUTE);
    create(ns, "after", "events", "events-data", r -> r);
    awaitPhase(ns, "after", JobPhase.Succeeded, MINUTE);

    Job still = admin.batch().v1().jobs().inNamespace(ns).withName("taken-rekey").get();
    assertEquals(foreign.getMetadata().getUid(), still.getMetadata().getUid());
    assertTrue(still.getMetadata().getOwnerReferences().isEmpty(), "the foreign Job was adopted");
    Thread.sleep(3000); // a retry loop would add events and status writes meanwhile
    assertEquals(1, warnings(ns, "invalid", "InvalidJob"));
    assertEquals(1, warnings(ns, "taken", "JobNameConflict"));
    // Deleting the failed ReencryptionJob leaves the foreign Job alone.
    admin.resources(ReencryptionJob.class).inNamespace(ns).withName("taken").delete();
    OperatorHarness.await(() -> get(ns, "taken"), r -> r == null, "taken deleted");
    assertNotNull(admin.batch().v1().jobs().inNamespace(ns).withName("taken-rekey").get());
  }

  static Pod awaitPod(String ns, String rej, Set<String> seen) {
    return OperatorHarness.await(
            () ->
                admin
                    .pods()
                    .inNamespace(ns)
                    .withLabel(RekeyJobFactory.LABEL_JOB, rej)
                    .list()
                    .getItems()
                    .stream()
                    .filter(p -> !seen.contains(p.getMetadata().getName()))
                    .findFirst(),
            p -> p.isPresent(),
            "a pod of " + rej,
            MINUTE)
        .get();
  }

  static String image(Pod p) {
    return p.getSpec().getContainers().get(0).getImage();
  }

  static void bind(Pod p) {
    if (p.getSpec().getNodeName() != null) {
      return;
    }
    admin
        .resource(
            new BindingBuilder()
                .withNewMetadata()
                .withName(p.getMetadata().getName())
                .withNamespace(p.getMetadata().getNamespace())
                .endMetadata()
                .withNewTarget()
                .withKind("Node")
                .withName(LocalPodRunner.NODE)
                .endTarget()
                .build())
        .create();
  }

  static PodStatus oomKilled(Pod p) {
    String now = Instant.now().toString();
    return new PodStatusBuilder()
        .withPhase("Failed")
        .withContainerStatuses(
            new ContainerStatusBuilder()
                .withName(RekeyJobFactory.CONTAINER)
                .withImage(image(p))
                .withImageID("")
                .withReady(false)
                .withRestartCount(0)
                .withNewState()
                .withNewTerminated()
                .withReason("OOMKilled")
                .withExitCode(137)
                .withStartedAt(now)
                .withFinishedAt(now)
                .endTerminated()
                .endState()
                .build())
        .build();
  }

  static void writeStatus(Pod p, PodStatus status) {
    Pod fresh =
        admin
            .pods()
            .inNamespace(p.getMetadata().getNamespace())
            .withName(p.getMetadata().getName())
            .get();
    fresh.setStatus(status);
    admin.pods().inNamespace(fresh.getMetadata().getNamespace()).resource(fresh).updateStatus();
  }
}
