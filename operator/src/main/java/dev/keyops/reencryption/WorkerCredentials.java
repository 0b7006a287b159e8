package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import dev.keyops.api.v1alpha1.TransitProvider;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What the rebuild pods need to unwrap the ring's data keys themselves: the Cloud KMS
 * service-account file, the Transit token file, CA file or Kubernetes auth role. Each is taken from
 * the ring's first key (by name) that names one; AWS KMS and Workload Identity come through the
 * worker's ServiceAccount ({@code spec.worker.serviceAccountName}) instead.
 *
 * @param gcp a Secret key holding service-account JSON, or null
 * @param transitToken a Secret key holding a Transit token, or null
 * @param transitCa a Secret key holding the PEM CA certificates of an https Transit address, or
 *     null
 * @param transitRole the Kubernetes auth role the worker logs in as (with its ServiceAccount's
 *     token), or null
 * @param transitAuthMount the mount path of that auth method, or null for the default
 */
public record WorkerCredentials(
    SecretFile gcp,
    SecretFile transitToken,
    SecretFile transitCa,
    String transitRole,
    String transitAuthMount) {

  public static final WorkerCredentials NONE = new WorkerCredentials(null, null, null, null, null);

  /** A file of a Secret of the job's namespace: the Secret's name and the key within it. */
  public record SecretFile(String secret, String key) {
    static SecretFile of(SecretKeySelector s) {
      return s == null ? null : new SecretFile(s.getName(), s.getKey());
    }
  }

  /** Only a Cloud KMS service-account file. */
  public static WorkerCredentials gcp(String secret, String key) {
    return new WorkerCredentials(new SecretFile(secret, key), null, null, null, null);
  }

  /** The credentials the ring's keys name. */
  public static WorkerCredentials of(List<EncryptionKey> keys) {
    List<EncryptionKey> byName =
        keys.stream().sorted(Comparator.comparing(k -> k.getMetadata().getName())).toList();
    SecretFile gcp =
        byName.stream()
            .map(k -> k.getSpec().getProvider().getGcpKms())
            .filter(Objects::nonNull)
            .map(g -> SecretFile.of(g.getCredentialsSecretRef()))
            .filter(Objects::nonNull)
            .findFirst()
            .orElse(null);
    TransitProvider transit =
        byName.stream()
            .map(k -> k.getSpec().getProvider().getTransit())
            .filter(Objects::nonNull)
            .filter(t -> t.getAuth() != null)
            .findFirst()
            .orElse(null);
    if (transit == null) {
      return new WorkerCredentials(gcp, null, null, null, null);
    }
    var kubernetes = transit.getAuth().getKubernetes();
    return new WorkerCredentials(
        gcp,
        SecretFile.of(transit.getAuth().getTokenSecretRef()),
        SecretFile.of(transit.getCaSecretRef()),
        kubernetes == null ? null : kubernetes.getRole(),
        kubernetes == null ? null : kubernetes.getMountPath());
  }
}
