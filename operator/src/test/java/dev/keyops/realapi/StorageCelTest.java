package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real kube-apiserver: the rules of a key ring's declared storage and of a ReencryptionJob's
 * storage forms (one claim, several claims, a selector) refuse bad manifests with their messages.
 */
@Tag("realapi")
class StorageCelTest {

  @RegisterExtension static final CrdNamespace api = new CrdNamespace("storage-cel");

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
    api.create(
        RING.formatted(
            "declared",
            "{storage: {claims: [{claimName: data-0, subPath: parts, include: ['*.kp']}],"
                + " selector: {matchLabels: {app: db}, subPath: parts}}}"));
    String m = api.rejected(RING.formatted("empty", "{storage: {}}"));
    assertTrue(m.contains("storage: set claims, selector or both"), m);
    m = api.rejected(RING.formatted("everything", "{storage: {selector: {matchLabels: {}}}}"));
    assertTrue(m.contains("selector.matchLabels must name at least one label"), m);
    m =
        api.rejected(
            RING.formatted(
                "nowhere",
                "{reencryption: {mode: Rewrap}, rotation: {period: 24h, keyTemplate: {managed:"
                    + " {}}}}"));
    assertTrue(m.contains("reencryption needs to know where the partitions are"), m);
  }

  @Test
  void aReencryptionJobNamesExactlyOneStorageForm() {
    api.create(JOB.formatted("one", "{persistentVolumeClaim: {claimName: data}}"));
    api.create(JOB.formatted("several", "{claims: [{claimName: data-0}, {claimName: data-1}]}"));
    api.create(JOB.formatted("selected", "{selector: {matchLabels: {app: db}}}"));
    String m =
        api.rejected(
            JOB.formatted(
                "both",
                "{persistentVolumeClaim: {claimName: data}, claims: [{claimName: data-1}]}"));
    assertTrue(
        m.contains("storage: set exactly one of persistentVolumeClaim, claims or selector"), m);
    m = api.rejected(JOB.formatted("none", "{}"));
    assertTrue(
        m.contains("storage: set exactly one of persistentVolumeClaim, claims or selector"), m);
  }
}
