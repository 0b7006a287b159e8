package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a real kube-apiserver: the rules of a key ring's declared storage and of a ReencryptionJob's
 * storage forms (one claim, several claims, a selector) refuse bad manifests with their messages.
 */
@Tag("realapi")
class StorageCelTest {

  static KubernetesClient admin;
  static String ns;

  @BeforeAll
  static void setUp() throws Exception {
    RealApi.kubeconfig();
    admin = RealApi.admin();
    RealApi.installCrds(admin);
    ns = RealApi.namespace(admin, "storage-cel");
  }

  @AfterAll
  static void tearDown() {
    if (admin != null) {
      RealApi.dispose(admin, ns);
      admin.close();
    }
  }

  static final String RING =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: KeyRing
      metadata: {name: %s}
      spec: %s
      """;

  static final String JOB =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: ReencryptionJob
      metadata: {name: %s}
      spec: {keyRing: events, storage: %s}
      """;

  @Test
  void aKeyRingDeclaresClaimsOrASelectorThatNamesALabel() {
    RealApi.create(
        admin,
        ns,
        RING.formatted(
            "declared",
            "{storage: {claims: [{claimName: data-0, subPath: parts, include: ['*.kp']}],"
                + " selector: {matchLabels: {app: db}, subPath: parts}}}"));
    String m = RealApi.rejected(admin, ns, RING.formatted("empty", "{storage: {}}"));
    assertTrue(m.contains("storage: set claims, selector or both"), m);
    m =
        RealApi.rejected(
            admin, ns, RING.formatted("everything", "{storage: {selector: {matchLabels: {}}}}"));
    assertTrue(m.contains("selector.matchLabels must name at least one label"), m);
    m =
        RealApi.rejected(
            admin,
            ns,
            RING.formatted(
                "nowhere",
                "{reencryption: {mode: Rewrap}, rotation: {period: 24h, keyTemplate: {managed:"
                    + " {}}}}"));
    assertTrue(m.contains("reencryption needs to know where the partitions are"), m);
  }

  @Test
  void aReencryptionJobNamesExactlyOneStorageForm() {
    RealApi.create(admin, ns, JOB.formatted("one", "{persistentVolumeClaim: {claimName: data}}"));
    RealApi.create(
        admin,
        ns,
        JOB.formatted("several", "{claims: [{claimName: data-0}, {claimName: data-1}]}"));
    RealApi.create(admin, ns, JOB.formatted("selected", "{selector: {matchLabels: {app: db}}}"));
    String m =
        RealApi.rejected(
            admin,
            ns,
            JOB.formatted(
                "both",
                "{persistentVolumeClaim: {claimName: data}, claims: [{claimName: data-1}]}"));
    assertTrue(
        m.contains("storage: set exactly one of persistentVolumeClaim, claims or selector"), m);
    m = RealApi.rejected(admin, ns, JOB.formatted("none", "{}"));
    assertTrue(
        m.contains("storage: set exactly one of persistentVolumeClaim, claims or selector"), m);
  }
}
