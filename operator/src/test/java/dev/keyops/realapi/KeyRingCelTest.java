package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** On a real kube-apiserver: the KeyRing rules and EncryptionKey.spec.disabled's rule bite. */
@Tag("realapi")
class KeyRingCelTest {

  @RegisterExtension static final CrdNamespace api = new CrdNamespace("keyring-cel");

  static final String RING =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: KeyRing
      metadata: {name: %s}
      spec:
        rotation: %s
      """;

  @Test
  void periodIsAtLeastOneHourAndADuration() {
    String m = api.rejected(RING.formatted("short", "{period: 30m, keyTemplate: {managed: {}}}"));
    assertTrue(m.contains("period must be at least 1h"), m);
    m = api.rejected(RING.formatted("words", "{period: ninety-days, keyTemplate: {managed: {}}}"));
    assertTrue(m.contains("spec.rotation.period"), m);
    m = api.rejected(RING.formatted("empty", "{period: '', keyTemplate: {managed: {}}}"));
    assertTrue(m.contains("spec.rotation.period"), m);
    api.create(RING.formatted("hourly", "{period: 1h, keyTemplate: {managed: {}}}"));
    api.create(RING.formatted("quarterly", "{period: 2160h, keyTemplate: {managed: {}}}"));
    GenericKubernetesResource r =
        api.admin()
            .genericKubernetesResources("keyops.dev/v1alpha1", "KeyRing")
            .inNamespace(api.ns())
            .withName("hourly")
            .get();
    @SuppressWarnings("unchecked")
    Map<String, Object> rotation =
        (Map<String, Object>)
            ((Map<String, Object>) r.getAdditionalProperties().get("spec")).get("rotation");
    assertEquals("10m", rotation.get("stagedFor"), "stagedFor defaults to 10m");
  }

  @Test
  void keyTemplateIsExactlyOneOfManagedOrGcpKms() {
    String m =
        api.rejected(
            RING.formatted(
                "both",
                "{period: 24h, keyTemplate: {managed: {}, gcpKms: {keyName:"
                    + " projects/p/locations/l/keyRings/r/cryptoKeys/k}}}"));
    assertTrue(
        m.contains("keyTemplate needs exactly one of managed, gcpKms, transit or awsKms"), m);
    m = api.rejected(RING.formatted("none", "{period: 24h, keyTemplate: {}}"));
    assertTrue(
        m.contains("keyTemplate needs exactly one of managed, gcpKms, transit or awsKms"), m);
    m =
        api.rejected(
            RING.formatted(
                "bad-kms", "{period: 24h, keyTemplate: {gcpKms: {keyName: projects/p}}}"));
    assertTrue(m.contains("spec.rotation.keyTemplate.gcpKms.keyName"), m);
    api.create(
        RING.formatted(
            "kms",
            "{period: 24h, keyTemplate: {gcpKms: {keyName:"
                + " projects/p/locations/l/keyRings/r/cryptoKeys/k}}}"));
  }

  @Test
  void retentionAndReencryptionAreValidated() {
    String ring =
        """
        apiVersion: keyops.dev/v1alpha1
        kind: KeyRing
        metadata: {name: %s}
        spec:
          %s
        """;
    String m = api.rejected(ring.formatted("bad-ret", "retention: {destroyAfter: 30 days}"));
    assertTrue(m.contains("spec.retention.destroyAfter"), m);
    m =
        api.rejected(
            ring.formatted(
                "bad-shards",
                "reencryption: {storage: {persistentVolumeClaim: {claimName: d}}, shards: 0}"));
    assertTrue(m.contains("spec.reencryption.shards"), m);
    m = api.rejected(ring.formatted("no-storage", "reencryption: {mode: Rewrap}"));
    assertTrue(m.contains("spec.reencryption.storage"), m);
    api.create(ring.formatted("full", "retention: {disableAfter: 168h, destroyAfter: 720h}"));
  }

  static final String KEY =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: %s}
      spec:
        keyRing: r
        provider: {managed: {}}
        disabled: %s
      """;

  @Test
  void onlyRetiredKeysCanBeDisabled() {
    String m = api.rejected(KEY.formatted("new-disabled", "true"));
    assertTrue(m.contains("only a Retired key can be disabled"), m);
    api.create(KEY.formatted("k", "false"));
    var keys =
        api.admin()
            .genericKubernetesResources("keyops.dev/v1alpha1", "EncryptionKey")
            .inNamespace(api.ns());
    // Staged (as the operator records it): refused.
    setStatus(keys.withName("k").get(), "Staged");
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () -> keys.withName("k").edit(k -> SchemaAndCelTest.set(k, "disabled", true)));
    assertTrue(e.getMessage().contains("only a Retired key can be disabled"), e.getMessage());
    setStatus(keys.withName("k").get(), "Primary");
    e =
        assertThrows(
            KubernetesClientException.class,
            () -> keys.withName("k").edit(k -> SchemaAndCelTest.set(k, "disabled", true)));
    assertTrue(e.getMessage().contains("only a Retired key can be disabled"), e.getMessage());
    // Retired: allowed, and back.
    setStatus(keys.withName("k").get(), "Retired");
    keys.withName("k").edit(k -> SchemaAndCelTest.set(k, "disabled", true));
    keys.withName("k").edit(k -> SchemaAndCelTest.set(k, "disabled", false));
  }

  void setStatus(GenericKubernetesResource k, String state) {
    k.getAdditionalProperties().put("status", Map.of("state", state));
    api.admin()
        .genericKubernetesResources("keyops.dev/v1alpha1", "EncryptionKey")
        .inNamespace(api.ns())
        .resource(k)
        .updateStatus();
  }

  static final String JOB =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: ReencryptionJob
      metadata: {name: %s}
      spec:
        keyRing: r
        storage: {persistentVolumeClaim: {claimName: data}}
      %s
      """;

  @Test
  void aReencryptionJobCanBeSuspendedAndItsWindowsChangedButNothingElse() {
    String m =
        api.rejected(
            JOB.formatted(
                "long-window",
                "  windows: [{kind: Allow, schedule: '0 22 * * *', duration: 200h}]"));
    assertTrue(m.contains("duration must be between 1m and 168h"), m);
    m =
        api.rejected(
            JOB.formatted(
                "bad-cron", "  windows: [{kind: Allow, schedule: '0 22', duration: 8h}]"));
    assertTrue(m.contains("spec.windows[0].schedule"), m);
    m =
        api.rejected(
            JOB.formatted(
                "bad-kind", "  windows: [{kind: Maybe, schedule: '0 22 * * *', duration: 8h}]"));
    assertTrue(m.contains("spec.windows[0].kind"), m);
    api.create(
        JOB.formatted(
            "throttled", "  windows: [{kind: Deny, schedule: '0 9 * * 1-5', duration: 9h}]"));
    var jobs =
        api.admin()
            .genericKubernetesResources("keyops.dev/v1alpha1", "ReencryptionJob")
            .inNamespace(api.ns());
    jobs.withName("throttled").edit(j -> SchemaAndCelTest.set(j, "suspend", true));
    jobs.withName("throttled").edit(j -> SchemaAndCelTest.set(j, "windows", java.util.List.of()));
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () -> jobs.withName("throttled").edit(j -> SchemaAndCelTest.set(j, "targetKey", "k2")));
    assertTrue(e.getMessage().contains("spec is immutable once created"), e.getMessage());
    e =
        assertThrows(
            KubernetesClientException.class,
            () -> jobs.withName("throttled").edit(j -> SchemaAndCelTest.set(j, "mode", "Rewrap")));
    assertTrue(e.getMessage().contains("spec is immutable once created"), e.getMessage());
  }

  @Test
  void aThrottleIsAtLeastOneMebibytePerSecondAndFixedOnceCreated() {
    String m = api.rejected(JOB.formatted("too-slow", "  bytesPerSecond: 1000"));
    assertTrue(
        m.contains("spec.bytesPerSecond") && m.contains("greater than or equal to 1048576"), m);
    m = api.rejected(JOB.formatted("quantity", "  bytesPerSecond: 50Mi"));
    assertTrue(m.contains("spec.bytesPerSecond"), m);
    String ring =
        """
        apiVersion: keyops.dev/v1alpha1
        kind: KeyRing
        metadata: {name: %s}
        spec:
          reencryption: {storage: {persistentVolumeClaim: {claimName: d}}, bytesPerSecond: %d}
        """;
    m = api.rejected(ring.formatted("ring-too-slow", 1000));
    assertTrue(m.contains("spec.reencryption.bytesPerSecond"), m);
    api.create(ring.formatted("ring-throttled", 52428800));

    api.create(JOB.formatted("limited", "  bytesPerSecond: 1048576"));
    api.create(JOB.formatted("unlimited", ""));
    var jobs =
        api.admin()
            .genericKubernetesResources("keyops.dev/v1alpha1", "ReencryptionJob")
            .inNamespace(api.ns());
    jobs.withName("limited").edit(j -> SchemaAndCelTest.set(j, "suspend", true));
    for (var change :
        java.util.List.<java.util.function.UnaryOperator<GenericKubernetesResource>>of(
            j -> SchemaAndCelTest.set(j, "bytesPerSecond", 104857600),
            j -> {
              ((Map<?, ?>) j.getAdditionalProperties().get("spec")).remove("bytesPerSecond");
              return j;
            })) {
      KubernetesClientException e =
          assertThrows(
              KubernetesClientException.class, () -> jobs.withName("limited").edit(change));
      assertTrue(e.getMessage().contains("spec is immutable once created"), e.getMessage());
    }
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () ->
                jobs.withName("unlimited")
                    .edit(j -> SchemaAndCelTest.set(j, "bytesPerSecond", 1048576)));
    assertTrue(e.getMessage().contains("spec is immutable once created"), e.getMessage());
  }
}
