package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Bring your own key from a Transit secrets engine: OpenBao, or HashiCorp Vault (same API). keyops
 * generates a data key, wraps it with Transit encrypt and keeps only the ciphertext.
 */
public class TransitProvider {

  /** Transit key names keyops accepts (a URL path segment). */
  public static final String KEY_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";

  @Required
  @Size(min = 1, max = 2048) // bounds the CEL cost estimate of the URL rule
  @ValidationRule(
      value = "self.matches('^https?://[^/?#\\\\s]+(/[^?#\\\\s]*)?$')",
      message =
          "spec.provider.transit.address must be an http(s) URL, e.g. https://openbao.vault:8200")
  @JsonPropertyDescription(
      "URL of the OpenBao or Vault server, e.g. https://openbao.openbao.svc:8200 (no /v1).")
  private String address;

  @Default("transit")
  @Pattern("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
  @JsonPropertyDescription("Path where the Transit secrets engine is mounted (default transit).")
  private String mount;

  @Required
  @Pattern(KEY_NAME_PATTERN)
  @JsonPropertyDescription(
      "Name of the Transit key (type aes256-gcm96) that wraps the data key. The operator's policy"
          + " needs read on <mount>/keys/<keyName> and update on <mount>/encrypt/<keyName> and"
          + " <mount>/decrypt/<keyName>.")
  private String keyName;

  @JsonPropertyDescription(
      "OpenBao/Vault namespace of the mount (sent as X-Vault-Namespace); empty for the root.")
  private String namespace;

  @Required
  @JsonPropertyDescription(
      "How the operator authenticates: exactly one of kubernetes (its ServiceAccount token) or"
          + " tokenSecretRef.")
  private TransitAuthSpec auth;

  @JsonPropertyDescription(
      "A Secret key holding PEM CA certificates to trust for an https address; the JVM's trust"
          + " store when absent.")
  private SecretKeySelector caSecretRef;

  public String getAddress() {
    return address;
  }

  public void setAddress(String address) {
    this.address = address;
  }

  public String getMount() {
    return mount;
  }

  public void setMount(String mount) {
    this.mount = mount;
  }

  public String getKeyName() {
    return keyName;
  }

  public void setKeyName(String keyName) {
    this.keyName = keyName;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  public TransitAuthSpec getAuth() {
    return auth;
  }

  public void setAuth(TransitAuthSpec auth) {
    this.auth = auth;
  }

  public SecretKeySelector getCaSecretRef() {
    return caSecretRef;
  }

  public void setCaSecretRef(SecretKeySelector caSecretRef) {
    this.caSecretRef = caSecretRef;
  }
}
