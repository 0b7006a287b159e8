package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.status.Conditions;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a real kube-apiserver, with the real clock: a key applied with {@code activate: true} is
 * listed in the keyring Secret as Staged first and becomes the Primary no sooner than its stagedFor
 * after keyops listed it there, with the operator's reschedule (no event) waking it.
 */
@Tag("realapi")
class StagedForOnRealApiTest {

  @Test
  void anActivatedKeyIsPrimaryNoSoonerThanStagedForAfterItEnteredTheKeyring() throws Exception {
    RealApi.kubeconfig();
    try (var admin = RealApi.admin()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "staged-for");
      OperatorConfig config =
          OperatorConfig.defaults()
              .withHttpPort(0)
              .withLeaderElection(false)
              .withWatchNamespaces(List.of(ns));
      try (KeyopsOperator operator = KeyopsOperator.start(admin, config, Clock.systemUTC())) {
        RealApi.create(
            admin,
            ns,
            """
            apiVersion: keyops.dev/v1alpha1
            kind: EncryptionKey
            metadata: {name: events-1}
            spec:
              keyRing: events
              provider: {managed: {}}
              activate: true
              stagedFor: 8s
            """);
        var keys = admin.resources(EncryptionKey.class).inNamespace(ns);
        EncryptionKey waiting =
            OperatorHarness.await(
                () -> keys.withName("events-1").get(),
                k ->
                    k.getStatus() != null
                        && k.getStatus().getInKeyringSince() != null
                        && Conditions.find(k.getStatus().getConditions(), "Promoted")
                            .map(c -> "WaitingForReaders".equals(c.getReason()))
                            .orElse(false),
                "the key listed in the keyring and waiting for its readers");
        Instant since = Instant.parse(waiting.getStatus().getInKeyringSince());
        assertEquals(KeyState.Staged, waiting.getStatus().getState());
        KeyBundleDocument ring = keyring(admin, ns);
        assertEquals("Staged", ring.keys().get(0).state(), "readers learn the key first");

        EncryptionKey primary =
            OperatorHarness.await(
                () -> keys.withName("events-1").get(),
                k -> k.getStatus().getState() == KeyState.Primary,
                "the key to become Primary by its own reschedule",
                Duration.ofSeconds(60));
        Instant activated = Instant.parse(primary.getStatus().getActivatedAt());
        assertFalse(
            activated.isBefore(since.plusSeconds(8)),
            "activated at " + activated + ", listed in the keyring at " + since);
        assertTrue(
            OperatorHarness.await(
                    () -> keyring(admin, ns).primaryKeyId(),
                    id -> id != null,
                    "the keyring to name the Primary")
                .equals(primary.getStatus().getKeyId()));
      }
    }
  }

  static KeyBundleDocument keyring(io.fabric8.kubernetes.client.KubernetesClient admin, String ns) {
    Secret s = admin.secrets().inNamespace(ns).withName("events-keyring").get();
    if (s == null) {
      return new KeyBundleDocument(1, ns, "events", null, List.of());
    }
    return KeyBundle.parse(
            Base64.getDecoder().decode(s.getData().get("keyring.json")), DataKeyUnwrapper.NONE)
        .document();
  }
}
