package dev.keyops.realapi;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.testing.Crds;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Access to the real kube-apiserver that dev/control-plane runs (the test tier `realapi`). The
 * tests run when -Dkeyops.realApiKubeconfig names its kubeconfig (dev/test does); without it they
 * are skipped and say so.
 */
final class RealApi {

  private RealApi() {}

  static Path kubeconfig() {
    String path = System.getProperty("keyops.realApiKubeconfig");
    assumeTrue(
        path != null && !path.isBlank(),
        "no real API server: run dev/test (it starts dev/control-plane)");
    return Path.of(path);
  }

  static Config config() throws IOException {
    Config c = Config.fromKubeconfig(Files.readString(kubeconfig()));
    c.setNamespace("default");
    return c;
  }

  static KubernetesClient admin() throws IOException {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /** A client that acts as a ServiceAccount (impersonation), to test with exactly its RBAC. */
  static KubernetesClient as(String namespace, String serviceAccount) throws IOException {
    return new KubernetesClientBuilder().withConfig(asConfig(namespace, serviceAccount)).build();
  }

  /** The configuration of {@link #as}, for clients built otherwise (a request counter). */
  static Config asConfig(String namespace, String serviceAccount) throws IOException {
    Config c = config();
    c.setImpersonateUsername("system:serviceaccount:" + namespace + ":" + serviceAccount);
    c.setImpersonateGroups(
        "system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated");
    return c;
  }

  /**
   * Applies the Helm chart's ServiceAccount and RBAC (rendered by dev/test into -Dkeyops.chartRbac)
   * into the operator's namespace, which it creates; skips the test without it.
   */
  static void installChartRbac(KubernetesClient admin, String systemNamespace) throws IOException {
    String rbac = System.getProperty("keyops.chartRbac");
    assumeTrue(rbac != null && !rbac.isBlank(), "no rendered chart RBAC: run dev/test");
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(systemNamespace)
                .endMetadata()
                .build())
        .createOr(n -> n.update());
    for (HasMetadata o : admin.load(Files.newInputStream(Path.of(rbac))).items()) {
      admin.resource(o).inNamespace(systemNamespace).forceConflicts().serverSideApply();
    }
  }

  /** Installs (or updates) the committed CRDs and waits until they are established. */
  static void installCrds(KubernetesClient client) {
    for (CustomResourceDefinition crd : Crds.parsed()) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(crd)
          .forceConflicts()
          .serverSideApply();
    }
    for (CustomResourceDefinition crd : Crds.parsed()) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(crd.getMetadata().getName())
          .waitUntilCondition(
              c ->
                  c != null
                      && c.getStatus() != null
                      && c.getStatus().getConditions().stream()
                          .anyMatch(
                              x ->
                                  "Established".equals(x.getType())
                                      && "True".equals(x.getStatus())),
              60,
              TimeUnit.SECONDS);
    }
  }

  static String namespace(KubernetesClient client, String prefix) {
    String name = prefix + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    // Pod Security 'restricted' is enforced: every pod keyops makes must pass it.
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .endMetadata()
                .build())
        .create();
    // Pods need the namespace's default ServiceAccount, which a controller creates.
    client
        .serviceAccounts()
        .inNamespace(name)
        .withName("default")
        .waitUntilCondition(sa -> sa != null, 60, TimeUnit.SECONDS);
    return name;
  }

  /**
   * Deletes a test namespace and everything keyops made in it, finalizers included: with the
   * operator stopped, nothing would remove the drop guard's or the rebuild's finalizer, and the
   * namespace would stay Terminating for the rest of the run, loading the API server under later
   * tests. Waits until the namespace is gone.
   */
  static void dispose(KubernetesClient admin, String namespace) {
    for (Class<? extends HasMetadata> kind :
        List.of(EncryptionKey.class, ReencryptionJob.class, KeyRing.class)) {
      for (HasMetadata o : admin.resources(kind).inNamespace(namespace).list().getItems()) {
        if (!o.getMetadata().getFinalizers().isEmpty()) {
          admin
              .resources(kind)
              .inNamespace(namespace)
              .withName(o.getMetadata().getName())
              .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
        }
      }
    }
    admin.namespaces().withName(namespace).delete();
    // Pods on the stand-in node have no kubelet left to confirm their deletion: the namespace
    // would stay Terminating. Force them out (a Job's pod may be replaced once, until the
    // namespace controller has deleted the Job) until the namespace is gone.
    Instant deadline = Instant.now().plusSeconds(120);
    while (admin.namespaces().withName(namespace).get() != null) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "namespace "
                + namespace
                + " still Terminating after 120 s: "
                + admin.namespaces().withName(namespace).get().getStatus());
      }
      for (Pod pod : admin.pods().inNamespace(namespace).list().getItems()) {
        var one = admin.pods().inNamespace(namespace).withName(pod.getMetadata().getName());
        if (!pod.getMetadata().getFinalizers().isEmpty()) {
          one.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
        }
        one.withGracePeriod(0).delete();
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static List<String> lines(String s) {
    return s.lines().toList();
  }

  /** Creates every object of a YAML document (one or several) in the namespace. */
  static void create(KubernetesClient client, String namespace, String yaml) {
    for (HasMetadata o :
        client
            .load(
                new java.io.ByteArrayInputStream(
                    yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .items()) {
      client.resource(o).inNamespace(namespace).create();
    }
  }

  /** Creates the YAML, expecting the API server to refuse it as invalid (422); its message. */
  static String rejected(KubernetesClient client, String namespace, String yaml) {
    io.fabric8.kubernetes.client.KubernetesClientException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.fabric8.kubernetes.client.KubernetesClientException.class,
            () -> create(client, namespace, yaml));
    org.junit.jupiter.api.Assertions.assertEquals(422, e.getCode(), e.getMessage());
    return e.getMessage();
  }
}
