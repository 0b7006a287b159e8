package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** How keyops authenticates to Transit: exactly one method. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.kubernetes) != has(self.tokenSecretRef)",
    message = "spec.provider.transit.auth needs exactly one of kubernetes or tokenSecretRef")
public class TransitAuthSpec {

  @JsonPropertyDescription(
      "Kubernetes auth: the operator logs in with its projected ServiceAccount token as this role.")
  private TransitKubernetesAuth kubernetes;

  @JsonPropertyDescription(
      "A Secret key holding a token (for example a periodic token limited to the keyops policy).")
  private SecretKeySelector tokenSecretRef;

  public TransitKubernetesAuth getKubernetes() {
    return kubernetes;
  }

  public void setKubernetes(TransitKubernetesAuth kubernetes) {
    this.kubernetes = kubernetes;
  }

  public SecretKeySelector getTokenSecretRef() {
    return tokenSecretRef;
  }

  public void setTokenSecretRef(SecretKeySelector tokenSecretRef) {
    this.tokenSecretRef = tokenSecretRef;
  }
}
