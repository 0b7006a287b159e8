package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.provider.SecretSource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The EncryptionKey controller's view of the cluster, from its informers: the keys of a ring
 * (primary cache, indexed by namespace and key ring), keyops' own Secrets (an informer restricted
 * by the {@code keyops.dev/component} label) and the customers' Secrets keys reference.
 *
 * <p>Read after write: a key status written by this process is kept here until the informer has
 * caught up with it (compared by resourceVersion), so a reconcile never acts on a cache older than
 * its own last write. Secrets written go to the informer's temporary cache for the same reason.
 * Objects handed out are copies; the caches' own objects are never changed.
 */
public class KeyCaches implements RingView, SecretSource {

  static final String RING_INDEX = "keyops.dev/key-ring";
  static final String SECRET_INDEX = "keyops.dev/referenced-secret";

  private final KubernetesSerialization serialization;
  private final Map<ResourceID, EncryptionKey> written = new ConcurrentHashMap<>();
  private volatile IndexerResourceCache<EncryptionKey> keys;
  private volatile InformerEventSource<Secret, EncryptionKey> ownSecrets;
  private volatile ReferencedSecrets referenced;

  public KeyCaches(KubernetesSerialization serialization) {
    this.serialization = serialization;
  }

  void bind(
      IndexerResourceCache<EncryptionKey> keys,
      InformerEventSource<Secret, EncryptionKey> ownSecrets,
      ReferencedSecrets referenced) {
    this.keys = keys;
    this.ownSecrets = ownSecrets;
    this.referenced = referenced;
  }

  /** Whether the informers are started and synced (the EncryptionKey controller has started). */
  public boolean ready() {
    return keys instanceof AbstractEventSource<?, ?> primary
        && primary.isRunning()
        && ownSecrets != null
        && ownSecrets.isRunning();
  }

  /**
   * Waits until the EncryptionKey controller's informers have synced. Other controllers start in
   * parallel with it and may reconcile first; this happens once, at start.
   */
  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!ready()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the EncryptionKey informers did not start in 120 s");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "interrupted while waiting for the EncryptionKey informers");
      }
    }
  }

  /**
   * Every EncryptionKey in the informer's cache, as cached (not copied: read only), or none before
   * the informer runs. For the metrics, which read each key once per scrape.
   */
  public Stream<EncryptionKey> cachedKeys() {
    return keys instanceof AbstractEventSource<?, ?> primary && primary.isRunning()
        ? keys.list()
        : Stream.empty();
  }

  static String ringKey(String namespace, String keyRing) {
    return namespace + "/" + keyRing;
  }

  @Override
  public List<EncryptionKey> keys(String namespace, String keyRing) {
    awaitReady();
    List<EncryptionKey> out = new ArrayList<>();
    for (EncryptionKey cached : keys.byIndex(RING_INDEX, ringKey(namespace, keyRing))) {
      out.add(serialization.clone(latest(cached)));
    }
    return out;
  }

  /** The newer of the cached key and the one this process last wrote. */
  private EncryptionKey latest(EncryptionKey cached) {
    ResourceID id = ResourceID.fromResource(cached);
    EncryptionKey mine = written.get(id);
    if (mine == null) {
      return cached;
    }
    if (!cached.getMetadata().getUid().equals(mine.getMetadata().getUid())
        || !olderThan(cached, mine)) {
      written.remove(id, mine); // the informer caught up (or the key was recreated)
      return cached;
    }
    return mine;
  }

  /** Records a key status this process wrote (the API server's answer). */
  void wrote(EncryptionKey k) {
    written.put(ResourceID.fromResource(k), k);
  }

  void forget(EncryptionKey k) {
    written.remove(ResourceID.fromResource(k));
  }

  /**
   * Whether {@code a} is an older version than {@code b}. resourceVersions are opaque to clients,
   * but every API server backed by etcd issues increasing integers (the comparison JOSDK makes when
   * parseResourceVersions is on); anything else counts as not older.
   */
  static boolean olderThan(EncryptionKey a, EncryptionKey b) {
    try {
      return Long.parseLong(a.getMetadata().getResourceVersion())
          < Long.parseLong(b.getMetadata().getResourceVersion());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Override
  public Optional<Secret> keyringSecret(String namespace, String keyRing) {
    awaitReady();
    return Optional.ofNullable(owned(namespace, KeyBundleWriter.secretName(keyRing)));
  }

  @Override
  public Secret owned(String namespace, String name) {
    return ownSecrets.get(new ResourceID(name, namespace)).orElse(null);
  }

  @Override
  public void written(Secret secret, Secret previous) {
    if (previous == null) {
      ownSecrets.handleRecentResourceCreate(ResourceID.fromResource(secret), secret);
    } else {
      ownSecrets.handleRecentResourceUpdate(ResourceID.fromResource(secret), secret, previous);
    }
  }

  @Override
  public Secret referenced(EncryptionKey by, String name) {
    return referenced.get(ResourceID.fromResource(by), by.getMetadata().getNamespace(), name);
  }

  ReferencedSecrets referencedSecrets() {
    return referenced;
  }
}
