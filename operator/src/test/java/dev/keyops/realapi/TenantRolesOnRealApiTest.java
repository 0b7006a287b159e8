package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.testing.Fixtures;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The chart's aggregated ClusterRoles on a real API server (with its clusterrole-aggregation
 * controller): a tenant bound to the built-in {@code edit} role in a namespace manages
 * EncryptionKeys and ReencryptionJobs there; one bound to {@code view} reads them and cannot change
 * them.
 */
@Tag("realapi")
class TenantRolesOnRealApiTest {

  @Test
  void editManagesAndViewReadsKeyopsResources() throws Exception {
    RealApi.kubeconfig();
    String rbac = System.getProperty("keyops.chartRbac");
    assumeTrue(rbac != null && !rbac.isBlank(), "no rendered chart RBAC: run dev/test");
    try (KubernetesClient admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      for (HasMetadata o : admin.load(Files.newInputStream(Path.of(rbac))).items()) {
        if (o instanceof ClusterRole) {
          admin.resource(o).forceConflicts().serverSideApply();
        }
      }
      // The aggregation controller copies our rules into the built-in roles.
      for (String role : new String[] {"view", "edit", "admin"}) {
        admin
            .rbac()
            .clusterRoles()
            .withName(role)
            .waitUntilCondition(
                r ->
                    r.getRules().stream()
                        .anyMatch(
                            x ->
                                x.getApiGroups().contains("keyops.dev")
                                    && x.getResources().contains("encryptionkeys")),
                60,
                TimeUnit.SECONDS);
      }
      String ns = RealApi.namespace(admin, "tenant");
      bind(admin, ns, "edit", "alice");
      bind(admin, ns, "view", "bob");

      try (KubernetesClient alice = as("alice");
          KubernetesClient bob = as("bob")) {
        var aliceKeys = alice.resources(EncryptionKey.class).inNamespace(ns);
        aliceKeys.resource(key(ns, "orders-1")).create();
        aliceKeys.withName("orders-1").edit(k -> withLabel(k, "team", "orders"));
        alice
            .resources(ReencryptionJob.class)
            .inNamespace(ns)
            .resource(Fixtures.reencryptionJob(ns, "inventory", "orders", "orders-data", null))
            .create();

        var bobKeys = bob.resources(EncryptionKey.class).inNamespace(ns);
        assertEquals(1, bobKeys.list().getItems().size());
        assertEquals(
            1, bob.resources(ReencryptionJob.class).inNamespace(ns).list().getItems().size());
        KubernetesClientException denied =
            assertThrows(
                KubernetesClientException.class,
                () -> bobKeys.resource(key(ns, "orders-2")).create());
        assertEquals(403, denied.getCode());
        denied =
            assertThrows(
                KubernetesClientException.class, () -> bobKeys.withName("orders-1").delete());
        assertEquals(403, denied.getCode());
        // view never reaches the material: Secrets stay out of the view role.
        denied =
            assertThrows(
                KubernetesClientException.class, () -> bob.secrets().inNamespace(ns).list());
        assertEquals(403, denied.getCode());

        aliceKeys.withName("orders-1").withGracePeriod(0).delete();
        // Outside the namespace the tenant has nothing.
        denied =
            assertThrows(
                KubernetesClientException.class,
                () -> alice.resources(EncryptionKey.class).inNamespace("default").list());
        assertEquals(403, denied.getCode());
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }

  private static EncryptionKey key(String ns, String name) {
    EncryptionKey k = Fixtures.managedKey(name, "orders");
    k.getMetadata().setNamespace(ns);
    return k;
  }

  private static EncryptionKey withLabel(EncryptionKey k, String key, String value) {
    k.getMetadata().setLabels(java.util.Map.of(key, value));
    return k;
  }

  private static void bind(KubernetesClient admin, String ns, String clusterRole, String user) {
    admin
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(user)
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("ClusterRole")
                .withName(clusterRole)
                .endRoleRef()
                .addNewSubject()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("User")
                .withName(user)
                .endSubject()
                .build())
        .create();
  }

  private static KubernetesClient as(String user) throws Exception {
    Config c = RealApi.config();
    c.setImpersonateUsername(user);
    c.setImpersonateGroups("system:authenticated");
    return new KubernetesClientBuilder().withConfig(c).build();
  }
}
