package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** Overrides for the keyops worker pods of a ReencryptionJob. */
public class WorkerOverrides {

  @JsonPropertyDescription("Worker image. Default: the operator's own image.")
  private String image;

  @JsonPropertyDescription("Compute resources of the worker container.")
  private ResourceRequirements resources;

  @JsonPropertyDescription("Node selector of the worker pods.")
  private Map<String, String> nodeSelector;

  @JsonPropertyDescription("Tolerations of the worker pods.")
  private List<Toleration> tolerations;

  @JsonPropertyDescription(
      "Service account of the worker pods (for example one with GCP Workload Identity to unwrap"
          + " gcpKms keys).")
  private String serviceAccountName;

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = nodeSelector;
  }

  public List<Toleration> getTolerations() {
    return tolerations;
  }

  public void setTolerations(List<Toleration> tolerations) {
    this.tolerations = tolerations;
  }

  public String getServiceAccountName() {
    return serviceAccountName;
  }

  public void setServiceAccountName(String serviceAccountName) {
    this.serviceAccountName = serviceAccountName;
  }
}
