package dev.keyops.testing;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeySpec;
import dev.keyops.api.v1alpha1.GcpKmsProvider;
import dev.keyops.api.v1alpha1.LocationCount;
import dev.keyops.api.v1alpha1.ManagedProvider;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.api.v1alpha1.Provider;
import dev.keyops.api.v1alpha1.PvcStorage;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.SecretKeySelector;
import dev.keyops.api.v1alpha1.Storage;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;

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

  /** A ReencryptionJob of a key ring whose partitions are in {@code claim}/{@code subPath}. */
  public static ReencryptionJob reencryptionJob(
      String ns, String name, String keyRing, String claim, String subPath) {
    ReencryptionJob r = new ReencryptionJob();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    ReencryptionJobSpec spec = new ReencryptionJobSpec();
    spec.setKeyRing(keyRing);
    PvcStorage pvc = new PvcStorage();
    pvc.setClaimName(claim);
    pvc.setSubPath(subPath);
    Storage storage = new Storage();
    storage.setPersistentVolumeClaim(pvc);
    spec.setStorage(storage);
    r.setSpec(spec);
    return r;
  }

  /**
   * An inventory as a ReencryptionJob records it: {@code count} partitions on the key in the one
   * location {@code data}, scanned from {@code at}.
   */
  public static PartitionCount inventory(long count, String at, String by) {
    PartitionCount p = new PartitionCount(count, at, by);
    p.setLocations(List.of(new LocationCount("data", count, 0, null, at, at, by)));
    return p;
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
