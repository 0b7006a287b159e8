package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Where a key ring's partitions live. */
public class Storage {

  @Required
  @JsonPropertyDescription("The PersistentVolumeClaim that holds the partitions.")
  private PvcStorage persistentVolumeClaim;

  public PvcStorage getPersistentVolumeClaim() {
    return persistentVolumeClaim;
  }

  public void setPersistentVolumeClaim(PvcStorage persistentVolumeClaim) {
    this.persistentVolumeClaim = persistentVolumeClaim;
  }
}
