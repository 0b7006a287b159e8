package dev.keyops.testing;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;

/** PersistentVolumeClaims for tests: the API objects a ReencryptionJob checks before it starts. */
public final class Claims {

  private Claims() {}

  /** A claim as the API server creates it: phase Pending until a volume binds it. */
  public static PersistentVolumeClaim pending(KubernetesClient client, String ns, String name) {
    PersistentVolumeClaim pvc =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .withAccessModes("ReadWriteOnce")
            .withStorageClassName("")
            .withNewResources()
            .addToRequests("storage", new Quantity("1Gi"))
            .endResources()
            .endSpec()
            .build();
    PersistentVolumeClaim existing = client.resource(pvc).get();
    return existing != null ? existing : client.resource(pvc).create();
  }

  /** A claim that a volume binds (status written by hand: no binder runs in the tests). */
  public static PersistentVolumeClaim bound(KubernetesClient client, String ns, String name) {
    PersistentVolumeClaim pvc = pending(client, ns, name);
    if (pvc.getStatus() == null) {
      pvc.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus());
    }
    pvc.getStatus().setPhase("Bound");
    return client.resource(pvc).updateStatus();
  }
}
