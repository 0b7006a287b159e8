package dev.keyops.provider;

import dev.keyops.api.v1alpha1.EncryptionKey;
import io.fabric8.kubernetes.api.model.Secret;

/**
 * Where {@link KeyProviders} reads Secrets. In the operator, keyops' own Secrets come from an
 * informer restricted by label and customers' Secrets from watches restricted to the names keys
 * reference, so no Secret is read from the API server in a reconcile and no Secret outside those is
 * ever cached.
 */
public interface SecretSource {

  /** A Secret keyops owns (a key's material), or null if there is none. */
  Secret owned(String namespace, String name);

  /**
   * Records a Secret keyops just created or changed, so the next read sees it.
   *
   * @param previous the version it replaced, or null when it was created
   */
  void written(Secret secret, Secret previous);

  /**
   * A customer's Secret in the key's namespace (secretRef, Cloud KMS credentials), or null. From
   * now on a change of it wakes the key.
   */
  Secret referenced(EncryptionKey by, String name);
}
