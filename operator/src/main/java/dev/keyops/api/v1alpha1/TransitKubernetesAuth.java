package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Kubernetes auth method of OpenBao/Vault. */
public class TransitKubernetesAuth {

  @Required
  @Pattern("^[A-Za-z0-9_.-]+$")
  @JsonPropertyDescription("The Kubernetes auth role bound to the operator's ServiceAccount.")
  private String role;

  @Default("kubernetes")
  @Pattern("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
  @JsonPropertyDescription("Mount path of the Kubernetes auth method (default kubernetes).")
  private String mountPath;

  public String getRole() {
    return role;
  }

  public void setRole(String role) {
    this.role = role;
  }

  public String getMountPath() {
    return mountPath;
  }

  public void setMountPath(String mountPath) {
    this.mountPath = mountPath;
  }
}
