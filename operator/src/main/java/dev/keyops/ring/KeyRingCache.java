package dev.keyops.ring;

import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.RingStorage;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.key.RingPolicy;
import dev.keyops.observability.RingMetrics.RingRotation;
import dev.keyops.reencryption.Locations;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The KeyRing controller's primary cache, as the EncryptionKey controller reads it. Waits for the
 * cache to sync first: deciding a destroy time from a cache that has not seen the KeyRing yet would
 * use the operator-wide default instead of the ring's policy.
 */
public final class KeyRingCache implements RingPolicy {

  private volatile IndexerResourceCache<KeyRing> rings;
  private volatile SimpleInboundEventSource<KeyRing> events;
  private volatile InformerEventSource<PersistentVolumeClaim, KeyRing> claims;

  void bind(
      IndexerResourceCache<KeyRing> rings,
      SimpleInboundEventSource<KeyRing> events,
      InformerEventSource<PersistentVolumeClaim, KeyRing> claims) {
    this.rings = rings;
    this.events = events;
    this.claims = claims;
  }

  /**
   * The locations a ring's KeyRing declares now: its claims, and every claim of the namespace its
   * selector matches (from the claim informer's cache). Empty without a KeyRing or spec.storage.
   */
  @Override
  public Set<String> declaredLocations(String namespace, String keyRing) {
    return declared(namespace, keyRing).stream()
        .map(Locations.Entry::name)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** As {@link #declaredLocations}, with each location's subPath and globs. */
  public List<Locations.Entry> declared(String namespace, String keyRing) {
    return get(namespace, keyRing)
        .map(r -> r.getSpec() == null ? null : r.getSpec().getStorage())
        .map(s -> declared(namespace, s))
        .orElse(List.of());
  }

  List<Locations.Entry> declared(String namespace, RingStorage storage) {
    return Locations.entries(storage, labels -> claimsMatching(namespace, labels));
  }

  /** The names of the namespace's claims whose labels match, sorted, from the informer cache. */
  private List<String> claimsMatching(String namespace, Map<String, String> labels) {
    awaitRunning(() -> claims, "PersistentVolumeClaim");
    return claims
        .list(namespace, c -> Locations.matches(labels, c.getMetadata().getLabels()))
        .map(c -> c.getMetadata().getName())
        .sorted()
        .toList();
  }

  /** The KeyRings of the namespace whose selector matches this claim: a new claim wakes them. */
  static Set<ResourceID> ringsSelecting(
      IndexerResourceCache<KeyRing> rings, PersistentVolumeClaim claim) {
    String ns = claim.getMetadata().getNamespace();
    return rings
        .list(
            ns,
            r ->
                r.getSpec() != null
                    && r.getSpec().getStorage() != null
                    && r.getSpec().getStorage().getSelector() != null
                    && Locations.matches(
                        r.getSpec().getStorage().getSelector().getMatchLabels(),
                        claim.getMetadata().getLabels()))
        .map(ResourceID::fromResource)
        .collect(Collectors.toSet());
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
    awaitRunning(() -> rings, "KeyRing");
  }

  /**
   * Waits for an informer to have started (synced): deciding from a cache that has not seen every
   * KeyRing or claim would miss declared locations. Only the EncryptionKey controller waits here,
   * at most once after a start.
   */
  private static void awaitRunning(java.util.function.Supplier<Object> source, String kind) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!(source.get() instanceof AbstractEventSource<?, ?> s && s.isRunning())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the " + kind + " informer did not start in 120 s");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the " + kind + " informer");
      }
    }
  }
}
