package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.KeyopsOperator;
import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.Provider;
import dev.keyops.api.v1alpha1.TransitAuthSpec;
import dev.keyops.api.v1alpha1.TransitKubernetesAuth;
import dev.keyops.api.v1alpha1.TransitProvider;
import dev.keyops.kms.gcp.KmsGateways;
import dev.keyops.kms.transit.HttpTransitGateway;
import dev.keyops.kms.transit.TransitAuth;
import dev.keyops.kms.transit.TransitDataKeyUnwrapper;
import dev.keyops.kms.transit.TransitException;
import dev.keyops.kms.transit.TransitTarget;
import dev.keyops.kms.transit.testing.OpenBaoServer;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.provider.Fingerprint;
import dev.keyops.provider.TransitGateways;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transit with Kubernetes auth against a real TokenReview: OpenBao's kubernetes auth method is
 * configured against the real kube-apiserver (its CA, a reviewer ServiceAccount bound to {@code
 * system:auth-delegator}); the operator's ServiceAccount token comes from the TokenRequest API. The
 * operator logs in as role {@code keyops} ({@code auth.kubernetes.role}), wraps a data key and
 * verifies it; a workload unwraps the keyring entry the same way; the token of a ServiceAccount the
 * role is not bound to, and a token the API server never issued, are refused. Runs when both
 * -Dkeyops.realApiKubeconfig and -Dkeyops.bao are given.
 */
@Tag("realapi")
class TransitKubernetesAuthOnRealApiTest {

  static final String POLICY =
      """
      path "transit/keys/orders"    { capabilities = ["read"] }
      path "transit/encrypt/orders" { capabilities = ["update"] }
      path "transit/decrypt/orders" { capabilities = ["update"] }
      """;

  @TempDir Path tmp;

  @Test
  void theOperatorLogsInWithItsServiceAccountTokenReviewedByTheApiServer() throws Exception {
    RealApi.kubeconfig();
    OpenBaoServer.binary();
    try (KubernetesClient admin = RealApi.admin();
        OpenBaoServer bao = OpenBaoServer.start()) {
      RealApi.installCrds(admin);
      String ns = RealApi.namespace(admin, "transit-k8s");
      String binding = ns + "-openbao-token-reviewer";
      try {
        serviceAccount(admin, ns, "keyops");
        serviceAccount(admin, ns, "openbao-reviewer");
        serviceAccount(admin, ns, "someone-else");
        admin
            .rbac()
            .clusterRoleBindings()
            .resource(
                new ClusterRoleBindingBuilder()
                    .withNewMetadata()
                    .withName(binding)
                    .endMetadata()
                    .withNewRoleRef()
                    .withApiGroup("rbac.authorization.k8s.io")
                    .withKind("ClusterRole")
                    .withName("system:auth-delegator")
                    .endRoleRef()
                    .addNewSubject()
                    .withKind("ServiceAccount")
                    .withName("openbao-reviewer")
                    .withNamespace(ns)
                    .endSubject()
                    .build())
            .create();
        configureKubernetesAuth(bao, admin, ns);
        bao.createKey("orders", "aes256-gcm96");
        Path operatorToken =
            Files.writeString(tmp.resolve("keyops-token"), token(admin, ns, "keyops"));

        // What is refused: a ServiceAccount the role is not bound to, and a forged token.
        Path otherToken =
            Files.writeString(tmp.resolve("other-token"), token(admin, ns, "someone-else"));
        TransitException notBound =
            assertThrows(TransitException.class, () -> capabilities(bao, otherToken));
        assertTrue(
            notBound.getMessage().contains("Kubernetes auth login as role keyops"),
            notBound.getMessage());
        Path forged = Files.writeString(tmp.resolve("forged"), forge(token(admin, ns, "keyops")));
        assertThrows(TransitException.class, () -> capabilities(bao, forged));
        // The operator's own token logs in and holds the policy's capabilities.
        Map<String, List<String>> caps = capabilities(bao, operatorToken);
        assertEquals(List.of("update"), caps.get("transit/encrypt/orders"), caps.toString());

        OperatorConfig config =
            OperatorConfig.defaults()
                .withStagedFor(Duration.ZERO)
                .withPropagationMargin(Duration.ZERO)
                .withHttpPort(0)
                .withLeaderElection(false)
                .withWatchNamespaces(List.of(ns));
        try (KeyopsOperator operator =
            KeyopsOperator.start(
                admin,
                config,
                Clock.systemUTC(),
                new KmsGateways(null, Duration.ofSeconds(10)),
                new TransitGateways(operatorToken, Duration.ofSeconds(10)))) {
          admin.resource(transitKey(ns, bao.address())).create();
          EncryptionKey ok =
              admin
                  .resources(EncryptionKey.class)
                  .inNamespace(ns)
                  .withName("orders-1")
                  .waitUntilCondition(
                      k ->
                          k != null
                              && k.getStatus() != null
                              && k.getStatus().getState() == KeyState.Primary
                              && Conditions.isTrue(
                                  k.getStatus().getConditions(), Conditions.KMS_ACCESS_VERIFIED),
                      60,
                      TimeUnit.SECONDS);
          assertEquals("1", ok.getStatus().getKms().getKeyVersion());

          // A workload with its own ServiceAccount token unwraps the keyring entry. The Secret
          // lists a new key as Staged first and names it the Primary in a later write.
          Secret keyring =
              admin
                  .secrets()
                  .inNamespace(ns)
                  .withName("orders-keyring")
                  .waitUntilCondition(
                      s ->
                          s != null
                              && s.getData() != null
                              && s.getData().containsKey("keyring.json")
                              && ok.getStatus()
                                  .getKeyId()
                                  .equals(
                                      KeyBundle.parse(
                                              Base64.getDecoder()
                                                  .decode(s.getData().get("keyring.json")),
                                              DataKeyUnwrapper.NONE)
                                          .document()
                                          .primaryKeyId()),
                      60,
                      TimeUnit.SECONDS);
          byte[] json = Base64.getDecoder().decode(keyring.getData().get("keyring.json"));
          try (TransitDataKeyUnwrapper workload =
              new TransitDataKeyUnwrapper(
                  target ->
                      new HttpTransitGateway(
                          target,
                          new TransitAuth.Kubernetes("keyops", null, operatorToken),
                          null,
                          Duration.ofSeconds(10)))) {
            KeyBundleDocument doc = KeyBundle.parse(json, DataKeyUnwrapper.NONE).document();
            assertEquals(ok.getStatus().getKeyId(), doc.primaryKeyId());
            KeyBundleDocument.Entry e = doc.keys().get(0);
            byte[] dek =
                workload.unwrap(
                    e,
                    Base64.getDecoder().decode(e.wrappedKey()),
                    e.associatedData().getBytes(StandardCharsets.UTF_8));
            assertEquals(ok.getStatus().getFingerprint(), Fingerprint.of(dek));
          }
        }
      } finally {
        admin.rbac().clusterRoleBindings().withName(binding).delete();
        RealApi.dispose(admin, ns);
      }
    }
  }

  static void serviceAccount(KubernetesClient admin, String ns, String name) {
    admin
        .serviceAccounts()
        .inNamespace(ns)
        .resource(
            new ServiceAccountBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .build())
        .create();
  }

  /** A token for the ServiceAccount from the TokenRequest API (10 minutes, default audience). */
  static String token(KubernetesClient admin, String ns, String serviceAccount) {
    return admin
        .serviceAccounts()
        .inNamespace(ns)
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  /** The same claims with the signature of another token: only a real review can tell. */
  static String forge(String jwt) {
    String[] parts = jwt.split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
    sig[0] ^= 1;
    return parts[0]
        + "."
        + parts[1]
        + "."
        + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
  }

  /**
   * OpenBao's kubernetes auth method against this API server: its address and CA, a reviewer token;
   * role {@code keyops} bound to the ServiceAccount {@code keyops} of {@code ns}.
   */
  static void configureKubernetesAuth(OpenBaoServer bao, KubernetesClient admin, String ns)
      throws Exception {
    Config c = RealApi.config();
    String ca =
        c.getCaCertData() != null
            ? new String(Base64.getDecoder().decode(c.getCaCertData()), StandardCharsets.UTF_8)
            : Files.readString(Path.of(c.getCaCertFile()));
    String host = c.getMasterUrl().replaceAll("/+$", "");
    bao.root("POST", "sys/auth/kubernetes", Map.of("type", "kubernetes"));
    bao.root(
        "POST",
        "auth/kubernetes/config",
        Map.of(
            "kubernetes_host",
            host,
            "kubernetes_ca_cert",
            ca,
            "token_reviewer_jwt",
            token(admin, ns, "openbao-reviewer"),
            "disable_local_ca_jwt",
            true));
    bao.root("PUT", "sys/policies/acl/keyops-transit", Map.of("policy", POLICY));
    bao.root(
        "POST",
        "auth/kubernetes/role/keyops",
        Map.of(
            "bound_service_account_names",
            List.of("keyops"),
            "bound_service_account_namespaces",
            List.of(ns),
            "token_policies",
            List.of("keyops-transit"),
            "ttl",
            "10m"));
  }

  static Map<String, List<String>> capabilities(OpenBaoServer bao, Path jwt) {
    try (HttpTransitGateway g =
        new HttpTransitGateway(
            new TransitTarget(bao.address(), "transit", null),
            new TransitAuth.Kubernetes("keyops", null, jwt),
            null,
            Duration.ofSeconds(10))) {
      return g.capabilities(List.of("transit/encrypt/orders", "transit/decrypt/orders"));
    }
  }

  static EncryptionKey transitKey(String ns, String address) {
    TransitProvider t = new TransitProvider();
    t.setAddress(address);
    t.setMount("transit");
    t.setKeyName("orders");
    TransitAuthSpec auth = new TransitAuthSpec();
    TransitKubernetesAuth k8s = new TransitKubernetesAuth();
    k8s.setRole("keyops");
    auth.setKubernetes(k8s);
    t.setAuth(auth);
    Provider p = new Provider();
    p.setTransit(t);
    EncryptionKey key = Fixtures.key("orders-1", "orders", p);
    key.getMetadata().setNamespace(ns);
    key.getSpec().setActivate(true);
    key.getSpec().setStagedFor("0s");
    return key;
  }
}
