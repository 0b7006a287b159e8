package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The customers' Secrets that EncryptionKeys reference (secretRef, Cloud KMS credentials): one
 * watch per referenced name (a field selector on metadata.name), shared by every key that uses it
 * and stopped when the last of them lets go. A change of such a Secret wakes the keys that use it
 * at once, and the operator never lists or caches Secrets no key names.
 */
public class ReferencedSecrets extends AbstractEventSource<Secret, EncryptionKey> {

  private static final Logger LOG = LoggerFactory.getLogger(ReferencedSecrets.class);

  private final KubernetesClient client;
  private final Map<String, Watched> watched = new ConcurrentHashMap<>();
  private final Map<ResourceID, Set<String>> byKey = new ConcurrentHashMap<>();

  private final class Watched implements ResourceEventHandler<Secret> {
    final Set<ResourceID> keys = ConcurrentHashMap.newKeySet();
    volatile SharedIndexInformer<Secret> informer;

    @Override
    public void onAdd(Secret s) {
      wake();
    }

    @Override
    public void onUpdate(Secret before, Secret after) {
      if (!before
          .getMetadata()
          .getResourceVersion()
          .equals(after.getMetadata().getResourceVersion())) {
        wake();
      }
    }

    @Override
    public void onDelete(Secret s, boolean unknownFinalState) {
      wake();
    }

    private void wake() {
      SharedIndexInformer<Secret> i = informer;
      if (i == null || !i.hasSynced() || !isRunning()) {
        return; // the initial list: the key that asked reads the result itself
      }
      keys.forEach(k -> getEventHandler().handleEvent(new Event(k)));
    }
  }

  public ReferencedSecrets(KubernetesClient client) {
    super(Secret.class, "referenced-secrets");
    this.client = client;
  }

  /** The Secret, or null; the key is woken by its changes from now on. */
  public Secret get(ResourceID key, String namespace, String name) {
    String id = namespace + "/" + name;
    byKey.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(id);
    Watched w = watch(id, namespace, name);
    w.keys.add(key);
    return w.informer.getStore().getByKey(id);
  }

  /** Releases the Secrets a key no longer references (all of them when it is gone). */
  public void retain(ResourceID key, Set<String> names) {
    Set<String> held = byKey.get(key);
    if (held == null) {
      return;
    }
    for (String id : Set.copyOf(held)) {
      if (!names.contains(id.substring(id.indexOf('/') + 1))) {
        held.remove(id);
        release(id, key);
      }
    }
    if (held.isEmpty()) {
      byKey.remove(key);
    }
  }

  @Override
  public Set<Secret> getSecondaryResources(EncryptionKey key) {
    Set<String> held = byKey.getOrDefault(ResourceID.fromResource(key), Set.of());
    Set<Secret> out = new java.util.HashSet<>();
    for (String id : held) {
      Watched w = watched.get(id);
      Secret s = w == null ? null : w.informer.getStore().getByKey(id);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  private synchronized Watched watch(String id, String namespace, String name) {
    Watched w = watched.get(id);
    if (w != null) {
      return w;
    }
    w = new Watched();
    // Blocks for the initial list of this one name, then watches it.
    w.informer = client.secrets().inNamespace(namespace).withName(name).inform(w, 0);
    watched.put(id, w);
    LOG.debug("watching referenced Secret {}", id);
    return w;
  }

  private synchronized void release(String id, ResourceID key) {
    Watched w = watched.get(id);
    if (w == null) {
      return;
    }
    w.keys.remove(key);
    if (w.keys.isEmpty()) {
      watched.remove(id);
      w.informer.stop();
      LOG.debug("stopped watching Secret {}", id);
    }
  }

  @Override
  public synchronized void stop() {
    watched.values().forEach(w -> w.informer.stop());
    watched.clear();
    byKey.clear();
    super.stop();
  }
}
