package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import java.util.Optional;

/**
 * What other controllers may read about a key ring: its EncryptionKeys and its keyring Secret, as
 * the EncryptionKey controller's informer caches last saw them (no API call).
 */
public interface RingView {

  /** The EncryptionKeys of a key ring, in no particular order. */
  List<EncryptionKey> keys(String namespace, String keyRing);

  /** The keyring Secret {@code <keyRing>-keyring}, if it exists. */
  Optional<Secret> keyringSecret(String namespace, String keyRing);
}
