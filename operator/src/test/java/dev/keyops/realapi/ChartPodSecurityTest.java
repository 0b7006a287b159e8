package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The chart's operator pod passes Pod Security 'restricted' admission on a real API server. */
@Tag("realapi")
class ChartPodSecurityTest {

  @Test
  void theOperatorPodIsAdmittedUnderRestricted() throws Exception {
    RealApi.kubeconfig();
    String rendered = System.getProperty("keyops.chartDeployment");
    assumeTrue(
        rendered != null && !rendered.isBlank(), "no rendered chart Deployment: run dev/test");
    try (KubernetesClient admin = RealApi.admin()) {
      String ns = RealApi.namespace(admin, "psa");
      try {
        Deployment d = null;
        for (HasMetadata o : admin.load(Files.newInputStream(Path.of(rendered))).items()) {
          if (o instanceof Deployment dep) {
            d = dep;
          }
        }
        Pod pod =
            new PodBuilder()
                .withNewMetadata()
                .withName("keyops-operator")
                .withNamespace(ns)
                .endMetadata()
                .withSpec(d.getSpec().getTemplate().getSpec())
                .build();
        pod.getSpec().setServiceAccountName("default");
        // Server-side dry run: the real admission chain, PodSecurity included, nothing persisted.
        admin.resource(pod).dryRun().create();
        // And a pod that breaks the profile is refused, so the check above means something.
        pod.getSpec().getContainers().get(0).getSecurityContext().setAllowPrivilegeEscalation(true);
        KubernetesClientException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                KubernetesClientException.class, () -> admin.resource(pod).dryRun().create());
        assertEquals(403, e.getCode(), e.getMessage());
      } finally {
        RealApi.dispose(admin, ns);
      }
    }
  }
}
