package dev.keyops.ring;

import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.key.RingPolicy;
import dev.keyops.observability.RingMetrics.RingRotation;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The KeyRing controller's primary cache, as the EncryptionKey controller reads it. Waits for the
 * cache to sync first: deciding a destroy time from a cache that has not seen the KeyRing yet would
 * use the operator-wide default instead of the ring's policy.
 */
public final class KeyRingCache implements RingPolicy {

  private volatile IndexerResourceCache<KeyRing> rings;
  private volatile SimpleInboundEventSource<KeyRing> events;

  void bind(IndexerResourceCache<KeyRing> rings, SimpleInboundEventSource<KeyRing> events) {
    this.rings = rings;
    this.events = events;
  }

  /**
   * Wakes the KeyRing of a ring whose key changed. The EncryptionKey controller calls this, so the
   * KeyRing controller needs no informer of its own on EncryptionKeys (it reads them from the
   * EncryptionKey controller's cache). Before the KeyRing informer runs there is nothing to wake:
   * every KeyRing is reconciled when it starts.
   */
  @Override
  public void keyChanged(String namespace, String keyRing) {
    SimpleInboundEventSource<KeyRing> e = events;
    if (e == null || !(rings instanceof AbstractEventSource<?, ?> s && s.isRunning())) {
      return;
    }
    ResourceID id = new ResourceID(keyRing, namespace);
    if (rings.get(id).isPresent()) {
      e.propagateEvent(id);
    }
  }

  public Optional<KeyRing> get(String namespace, String name) {
    awaitReady();
    return rings.get(new ResourceID(name, namespace));
  }

  @Override
  public Optional<Duration> destroyAfter(String namespace, String keyRing) {
    return get(namespace, keyRing)
        .map(r -> r.getSpec() == null ? null : r.getSpec().getRetention())
        .map(r -> r.getDestroyAfter())
        .map(d -> OperatorConfig.parseDurationOrZero("spec.retention.destroyAfter", d));
  }

  /**
   * Every KeyRing in the cache with its rotation period and stagedFor (null without automatic
   * rotation), or none before the informer runs. For the metrics: no waiting, no copies.
   */
  public Stream<RingRotation> rotations() {
    if (!(rings instanceof AbstractEventSource<?, ?> s && s.isRunning())) {
      return Stream.empty();
    }
    return rings.list().map(KeyRingCache::rotation);
  }

  static RingRotation rotation(KeyRing r) {
    RotationPolicy p = r.getSpec() == null ? null : r.getSpec().getRotation();
    Duration period = null;
    Duration stagedFor = null;
    if (p != null && p.getPeriod() != null) {
      try {
        period = OperatorConfig.parseDuration("spec.rotation.period", p.getPeriod());
        stagedFor =
            OperatorConfig.parseDurationOrZero(
                "spec.rotation.stagedFor", p.getStagedFor() == null ? "10m" : p.getStagedFor());
      } catch (IllegalArgumentException e) {
        period = null; // the KeyRing's own status says what is wrong; no gauge for a bad period
        stagedFor = null;
      }
    }
    return new RingRotation(
        r.getMetadata().getNamespace(), r.getMetadata().getName(), period, stagedFor);
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!(rings instanceof AbstractEventSource<?, ?> s && s.isRunning())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the KeyRing informer did not start in 120 s");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the KeyRing informer");
      }
    }
  }
}
