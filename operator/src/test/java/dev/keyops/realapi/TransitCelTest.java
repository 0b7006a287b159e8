package dev.keyops.realapi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * On a real kube-apiserver: the transit provider's schema and CEL rules reject what they should,
 * with messages that name the field, and accept a valid key (dry run) and KeyRing keyTemplate.
 */
@Tag("realapi")
class TransitCelTest {

  @RegisterExtension static final CrdNamespace api = new CrdNamespace("transit-cel");

  static final String KEY =
      """
      apiVersion: keyops.dev/v1alpha1
      kind: EncryptionKey
      metadata: {name: %s}
      spec:
        keyRing: orders
        provider:
          transit: %s
      """;

  String rejected(String name, String transit) {
    return api.rejected(KEY.formatted(name, transit));
  }

  @Test
  void aValidTransitKeyIsAccepted() {
    api.create(
        KEY.formatted(
            "ok",
            "{address: 'https://openbao.openbao.svc:8200', keyName: orders,"
                + " auth: {kubernetes: {role: keyops}}}"));
    api.create(
        KEY.formatted(
            "ok-token",
            "{address: 'http://127.0.0.1:8200', mount: kv/transit, keyName: orders,"
                + " namespace: team-a, auth: {tokenSecretRef: {name: bao, key: token}},"
                + " caSecretRef: {name: bao-ca, key: ca.crt}}"));
  }

  @Test
  void exactlyOneAuthMethod() {
    String m =
        rejected(
            "two-auth",
            "{address: 'https://bao:8200', keyName: orders, auth: {kubernetes: {role: r},"
                + " tokenSecretRef: {name: s, key: k}}}");
    assertTrue(
        m.contains("spec.provider.transit.auth needs exactly one of kubernetes or tokenSecretRef"),
        m);
    m = rejected("no-auth-method", "{address: 'https://bao:8200', keyName: orders, auth: {}}");
    assertTrue(m.contains("spec.provider.transit.auth needs exactly one"), m);
    m = rejected("no-auth", "{address: 'https://bao:8200', keyName: orders}");
    assertTrue(m.contains("spec.provider.transit.auth"), m);
    m =
        rejected(
            "no-role", "{address: 'https://bao:8200', keyName: orders, auth: {kubernetes: {}}}");
    assertTrue(m.contains("spec.provider.transit.auth.kubernetes.role"), m);
  }

  @Test
  void theAddressIsAnHttpUrlAndTheKeyNameASegment() {
    String m =
        rejected(
            "bad-address", "{address: 'bao:8200', keyName: orders, auth: {kubernetes: {role: r}}}");
    assertTrue(m.contains("spec.provider.transit.address must be an http(s) URL"), m);
    m =
        rejected(
            "ftp-address",
            "{address: 'ftp://bao:8200', keyName: orders, auth: {kubernetes: {role: r}}}");
    assertTrue(m.contains("spec.provider.transit.address must be an http(s) URL"), m);
    m =
        rejected(
            "bad-key",
            "{address: 'https://bao:8200', keyName: 'a/b', auth: {kubernetes: {role: r}}}");
    assertTrue(m.contains("spec.provider.transit.keyName"), m);
    m = rejected("no-key", "{address: 'https://bao:8200', auth: {kubernetes: {role: r}}}");
    assertTrue(m.contains("spec.provider.transit.keyName"), m);
  }

  @Test
  void transitIsOneProviderAmongOthers() {
    String m =
        api.rejected(
            """
            apiVersion: keyops.dev/v1alpha1
            kind: EncryptionKey
            metadata: {name: two}
            spec:
              keyRing: orders
              provider:
                managed: {}
                transit: {address: 'https://bao:8200', keyName: orders, auth: {kubernetes: {role: r}}}
            """);
    assertTrue(
        m.contains(
            "exactly one provider must be set: managed, secretRef, gcpKms, transit or awsKms"),
        m);
  }
}
