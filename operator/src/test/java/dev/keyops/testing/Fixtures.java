package dev.keyops.testing;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeySpec;
import dev.keyops.api.v1alpha1.GcpKmsProvider;
import dev.keyops.api.v1alpha1.ManagedProvider;
import dev.keyops.api.v1alpha1.Provider;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Builders for test resources. */
public final class Fixtures {
  private Fixtures() {}

  public static EncryptionKey managedKey(String name, String keyRing) {
    Provider p = new Provider();
    p.setManaged(new ManagedProvider());
    return key(name, keyRing, p);
  }

  public static EncryptionKey secretKey(String name, String keyRing, String secret, String key) {
    Provider p = new Provider();
    p.setSecretRef(new SecretKeySelector(secret, key));
    return key(name, keyRing, p);
  }

  public static EncryptionKey gcpKey(String name, String keyRing, String keyName) {
    Provider p = new Provider();
    p.setGcpKms(new GcpKmsProvider(keyName));
    return key(name, keyRing, p);
  }

  public static EncryptionKey key(String name, String keyRing, Provider provider) {
    EncryptionKey k = new EncryptionKey();
    k.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").build());
    EncryptionKeySpec spec = new EncryptionKeySpec();
    spec.setKeyRing(keyRing);
    spec.setProvider(provider);
    k.setSpec(spec);
    return k;
  }
}
