package dev.keyops.realapi;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For a class of schema tests on the real API server: keyops' CRDs installed, a namespace of its
 * own (Pod Security restricted), and everything in it disposed of afterwards, finalizers included.
 * Skips the class when no real API server is configured.
 *
 * <pre>{@code @RegisterExtension static final CrdNamespace api = new CrdNamespace("prefix");}</pre>
 */
final class CrdNamespace implements BeforeAllCallback, AfterAllCallback {

  private final String prefix;
  private KubernetesClient admin;
  private String ns;

  CrdNamespace(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    RealApi.kubeconfig();
    admin = RealApi.admin();
    RealApi.installCrds(admin);
    ns = RealApi.namespace(admin, prefix);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (admin == null) {
      return;
    }
    try {
      if (ns != null) {
        RealApi.dispose(admin, ns);
      }
    } finally {
      admin.close();
    }
  }

  /** A cluster-admin client. */
  KubernetesClient admin() {
    return admin;
  }

  /** The class's namespace. */
  String ns() {
    return ns;
  }

  /** Creates what {@code yaml} holds in the class's namespace. */
  void create(String yaml) {
    RealApi.create(admin, ns, yaml);
  }

  /** The API server's message refusing what {@code yaml} holds (fails if it is accepted). */
  String rejected(String yaml) {
    return RealApi.rejected(admin, ns, yaml);
  }
}
