package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.observability.EventRecorder;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.provider.KeyProviders;
import dev.keyops.provider.Material;
import dev.keyops.provider.ProviderException;
import dev.keyops.status.Conditions;
import dev.keyops.status.KStatus;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import dev.keyops.status.StatusWriter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ring-wide decisions of the EncryptionKey reconcile, made once per ring: which key is the
 * Primary ({@link KeyLifecycle}), which keys may be disabled, what the keyring Secret lists. A
 * reconcile {@link #open opens} a {@link Settlement} (the ring's keys under its lock, so concurrent
 * reconciles of two keys never race), observes its key on it, and settles.
 */
public class Settlements {

  private static final Logger LOG = LoggerFactory.getLogger(Settlements.class);

  private final KubernetesClient client;
  private final KeyCaches caches;
  private final KeyProviders providers;
  private final KeyBundleWriter keyrings;
  private final EventRecorder events;
  private final Clock clock;
  private final Duration defaultStagedFor;
  private final Inventories inventories;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  public Settlements(
      KubernetesClient client,
      KeyCaches caches,
      KeyProviders providers,
      KeyBundleWriter keyrings,
      EventRecorder events,
      Clock clock,
      Duration defaultStagedFor,
      Inventories inventories) {
    this.defaultStagedFor = defaultStagedFor;
    this.inventories = inventories;
    this.client = client;
    this.caches = caches;
    this.providers = providers;
    this.keyrings = keyrings;
    this.events = events;
    this.clock = clock;
  }

  /** The drop guard's decision for a key, from the ring's keys in the cache. */
  public DropGuard.Decision dropDecision(EncryptionKey k) {
    return inventories.drop(
        k, caches.keys(k.getMetadata().getNamespace(), k.getSpec().getKeyRing()));
  }

  /**
   * Opens a settlement of a key ring: takes the ring's lock (held until {@link Settlement#close})
   * and reads the ring's keys from the informer cache, newer than every status this process wrote.
   * The caller observes keys on the settlement's copies, then calls one of its {@code settle}
   * methods.
   */
  public Settlement open(String ns, String ring) {
    ReentrantLock lock = locks.computeIfAbsent(ns + "/" + ring, k -> new ReentrantLock());
    lock.lock();
    try {
      return new Settlement(ns, ring, lock);
    } catch (RuntimeException e) {
      lock.unlock();
      throw e;
    }
  }

  /**
   * One pass over a key ring under its lock: the keys as read when it was opened, each with the
   * copy its status decision is made on, then {@link KeyLifecycle} applied to all of them and what
   * changed written: statuses (the new Primary first, each with the resourceVersion it was computed
   * from, so a stale read fails with a conflict instead of writing), then the keyring Secret.
   */
  public final class Settlement implements AutoCloseable {

    private final String ns;
    private final String ring;
    private final ReentrantLock lock;
    private final List<EncryptionKey> keys = new ArrayList<>();
    private final Map<String, String> read = new HashMap<>();
    private final Map<String, EncryptionKey> observed = new HashMap<>();

    private Settlement(String ns, String ring, ReentrantLock lock) {
      this.ns = ns;
      this.ring = ring;
      this.lock = lock;
      for (EncryptionKey k : caches.keys(ns, ring)) {
        String before = statusJson(k);
        observed.put(k.getMetadata().getName(), client.getKubernetesSerialization().clone(k));
        if (k.getStatus() == null) {
          k.setStatus(new EncryptionKeyStatus());
        }
        read.put(k.getMetadata().getName(), before);
        keys.add(k);
      }
    }

    /** The working copy of a key of the ring, or empty if it no longer exists. */
    public Optional<EncryptionKey> key(String name) {
      return keys.stream().filter(k -> k.getMetadata().getName().equals(name)).findFirst();
    }

    /**
     * The other keys of the ring that were never observed yet (no Ready condition), not deleted.
     */
    public List<EncryptionKey> neverObserved(EncryptionKey current) {
      return keys.stream()
          .filter(k -> k != current)
          .filter(k -> k.getMetadata().getDeletionTimestamp() == null)
          .filter(k -> k.getStatus().condition(Conditions.READY).isEmpty())
          .toList();
    }

    /**
     * Settles the ring after a reconcile of {@code current}: states, the Promoted condition of
     * every observed key, statuses, keyring Secret.
     *
     * @param material the current key's material as just observed, or null when it is not Ready
     */
    public EncryptionKey settle(EncryptionKey current, Material material) {
      return write(current, material, true, null);
    }

    /**
     * Settles the ring while {@code current} is being deleted and stays (the drop guard holds it).
     */
    public EncryptionKey settleDeleting(EncryptionKey current) {
      return write(current, null, false, null);
    }

    /** Settles the ring with {@code current} left out of the keyring Secret: it is dropped now. */
    public EncryptionKey settleDropping(EncryptionKey current) {
      return write(current, null, false, current.getMetadata().getName());
    }

    private EncryptionKey write(
        EncryptionKey current, Material material, boolean promotion, String dropping) {
      Instant now = clock.instant();
      Map<String, KeyLifecycle.Planned> plan =
          KeyLifecycle.plan(keys.stream().map(Settlements.this::view).toList(), now);
      // Write the new Primary first, so a crash in between never leaves the ring without one.
      keys.sort(
          Comparator.comparing(
              (EncryptionKey k) ->
                  plan.get(k.getMetadata().getName()).transition()
                      != KeyLifecycle.Transition.PROMOTED));
      for (EncryptionKey k : keys) {
        KeyLifecycle.Planned p = plan.get(k.getMetadata().getName());
        var b = StatusBuilder.of(k, k.getStatus(), now);
        apply(k, p);
        disabling(k, b, keys);
        // Every key observed at its current spec, not only the one reconciled: a sibling whose
        // status this settlement writes anyway gets its Promoted condition now, not in one more
        // write when its own reconcile comes (minutes later at scale). A key never observed, or
        // whose spec changed since (spec.activate just set), has no Ready that says why an
        // activation would be refused; its own reconcile records it.
        if (promotion && (k == current || observedAtItsGeneration(k))) {
          Promotion.record(k, b, p, events);
        }
        kstatus(k, b);
        if (!statusJson(k).equals(read.get(k.getMetadata().getName()))) {
          writeStatus(k, observed);
        }
        announce(k, p, ring);
      }
      writeKeyring(ns, ring, keys, current, material, dropping);
      recordInKeyring(ns, ring, keys, dropping, observed);
      return current;
    }

    @Override
    public void close() {
      lock.unlock();
    }
  }

  /** Whether the key's Ready condition was recorded for its current spec (its generation). */
  private static boolean observedAtItsGeneration(EncryptionKey k) {
    return k.getStatus()
        .condition(Conditions.READY)
        .map(c -> Objects.equals(c.getObservedGeneration(), k.getMetadata().getGeneration()))
        .orElse(false);
  }

  /**
   * Writes a key's status on the copy it was decided on ({@code observed}, see {@link
   * StatusWriter}); the answer becomes the observed copy of a second write.
   */
  private void writeStatus(EncryptionKey k, Map<String, EncryptionKey> observed) {
    String name = k.getMetadata().getName();
    EncryptionKey saved = StatusWriter.replace(client, observed.get(name), k.getStatus());
    caches.wrote(saved);
    observed.put(name, saved);
    k.getMetadata().setResourceVersion(saved.getMetadata().getResourceVersion());
  }

  /**
   * Records {@code status.inKeyringSince} on the keys the keyring Secret lists for the first time,
   * after that Secret was written: the instant readers start to learn the key, from which its
   * {@code stagedFor} counts. Recorded after the write, never before, so a failed write can never
   * make a key look known to readers earlier than it is.
   */
  private void recordInKeyring(
      String ns,
      String ring,
      List<EncryptionKey> keys,
      String dropping,
      Map<String, EncryptionKey> observed) {
    List<EncryptionKey> missing =
        keys.stream()
            .filter(k -> !k.getMetadata().getName().equals(dropping))
            .filter(k -> k.getStatus().getFingerprint() != null)
            .filter(k -> k.getStatus().getInKeyringSince() == null)
            .filter(k -> inKeyring(k.getStatus().getState()))
            .toList();
    if (missing.isEmpty()) {
      return;
    }
    Set<String> listed = keyrings.listed(ns, ring);
    Instant now = clock.instant();
    for (EncryptionKey k : missing) {
      if (listed.contains(k.getMetadata().getName())) {
        k.getStatus().setInKeyringSince(now.toString());
        writeStatus(k, observed);
      }
    }
  }

  private void writeKeyring(
      String ns,
      String ring,
      List<EncryptionKey> keys,
      EncryptionKey current,
      Material material,
      String dropping) {
    List<EncryptionKey> owners =
        keys.stream().filter(k -> !k.getMetadata().getName().equals(dropping)).toList();
    if (owners.isEmpty()) {
      keyrings.delete(ns, ring);
      return;
    }
    // A key belongs in the keyring once its material was established (fingerprint recorded),
    // and stays while that material exists: a Primary whose Cloud KMS access the operator lost
    // is still the Primary workloads must use.
    // Disabled and DestroyScheduled keys are out of the keyring: their material is only kept.
    List<EncryptionKey> candidates =
        owners.stream()
            .filter(k -> k.getStatus().getFingerprint() != null)
            .filter(k -> inKeyring(k.getStatus().getState()))
            .toList();
    // Material never changes under a key, so when the Secret's digest says it lists exactly these
    // keys in these states, nothing is read or written.
    String digest = KeyBundleWriter.digest(candidates, owners);
    if (keyrings.upToDate(ns, ring, digest)) {
      return;
    }
    List<KeyBundleWriter.Member> members = new ArrayList<>();
    for (EncryptionKey k : candidates) {
      String name = k.getMetadata().getName();
      Material m = k == current ? material : null;
      if (m == null) {
        try {
          m = providers.stored(k, k.getStatus().getFingerprint());
        } catch (ProviderException e) {
          LOG.warn("key {}/{} left out of keyring {}: {}", ns, name, ring, e.getMessage());
          continue;
        }
      }
      members.add(
          new KeyBundleWriter.Member(k, k.getStatus().getState(), k.getStatus().getKeyId(), m));
    }
    KeyBundleDocument doc = KeyBundleWriter.document(ns, ring, members);
    keyrings.write(ns, ring, doc, owners, digest);
    events.normal(
        current,
        Reason.KeyringUpdated,
        "keyring Secret "
            + KeyBundleWriter.secretName(ring)
            + " updated: "
            + members.size()
            + " key(s), Primary "
            + (doc.primaryKeyId() == null ? "none" : doc.primaryKeyId()));
  }

  private void announce(EncryptionKey k, KeyLifecycle.Planned p, String ring) {
    switch (p.transition()) {
      case PROMOTED ->
          events.normal(
              k,
              Reason.Promoted,
              "now the Primary key of key ring " + ring + ": new data is encrypted with it");
      case RETIRED ->
          events.normal(
              k,
              Reason.Retired,
              "retired from key ring "
                  + ring
                  + " by a newer Primary; it still decrypts. Run a"
                  + " ReencryptionJob to move its partitions, then it can be dropped");
      default -> {
        // no transition
      }
    }
  }

  /** Applies {@link Disabling} to a key after its plan: its state and its Disabled condition. */
  private void disabling(
      EncryptionKey k, StatusBuilder<EncryptionKeyStatus> b, List<EncryptionKey> ringKeys) {
    EncryptionKeyStatus s = b.status();
    Disabling.Outcome o =
        Disabling.decide(
            s.getState(),
            k.getSpec().disableRequested(),
            k.getSpec().getKeyRing(),
            inventories.retired(k, ringKeys));
    KeyState before = s.getState();
    s.setState(o.state());
    if (o.disabled() == null) {
      if (o.state() != KeyState.DestroyScheduled) {
        b.remove(DISABLED);
      }
      return;
    }
    boolean changedReason = !b.hasReason(DISABLED, o.reason());
    b.set(DISABLED, o.disabled(), o.reason(), o.message());
    if (before != o.state() || changedReason) {
      if (o.reason() == Reason.Disabled || o.reason() == Reason.Enabled) {
        if (before != o.state()) {
          events.normal(k, o.reason(), o.message());
        }
      } else {
        events.warning(k, o.reason(), o.message());
      }
    }
  }

  /** The kstatus conditions Reconciling and Stalled of a key, from its other conditions. */
  static void kstatus(EncryptionKey k, StatusBuilder<EncryptionKeyStatus> b) {
    KStatus.key(b.status(), k.getMetadata().getDeletionTimestamp() != null)
        .ifPresent(v -> b.kstatus(v, false));
  }

  /** Condition type of the Disabled state and its refusals. */
  public static final String DISABLED = Conditions.DISABLED;

  private static void apply(EncryptionKey k, KeyLifecycle.Planned p) {
    EncryptionKeyStatus s = k.getStatus();
    s.setState(p.state());
    s.setEligibleAt(str(p.eligibleAt()));
    s.setActivatedAt(str(p.activatedAt()));
    s.setRetiredAt(str(p.retiredAt()));
    if (s.getKeyId() == null) {
      s.setKeyId(KeyId.fromUid(k.getMetadata().getUid()).hex());
    }
  }

  KeyLifecycle.KeyView view(EncryptionKey k) {
    if (k.getStatus() == null) {
      k.setStatus(new EncryptionKeyStatus());
    }
    EncryptionKeyStatus s = k.getStatus();
    return new KeyLifecycle.KeyView(
        k.getMetadata().getName(),
        instant(k.getMetadata().getCreationTimestamp()),
        s.getState(),
        k.getSpec().activationRequested(),
        s.isTrue(Conditions.READY),
        instant(s.getEligibleAt()),
        instant(s.getActivatedAt()),
        instant(s.getRetiredAt()),
        k.getMetadata().getDeletionTimestamp() != null,
        promotableAt(k, defaultStagedFor));
  }

  /**
   * How long until a Staged key that asks to be activated has been in the keyring Secret for its
   * stagedFor; empty when it is not waiting for that (or not listed yet: the status write that
   * records {@code inKeyringSince} wakes it).
   */
  public java.util.Optional<Duration> untilPromotable(EncryptionKey k) {
    if (k.getStatus() == null
        || k.getStatus().getState() != KeyState.Staged
        || !k.getSpec().activationRequested()) {
      return java.util.Optional.empty();
    }
    Instant at = promotableAt(k, defaultStagedFor);
    Instant now = clock.instant();
    if (at == null || !at.isAfter(now)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(Duration.between(now, at));
  }

  /**
   * When a key will have been in the keyring Secret for its {@code spec.stagedFor} (else the
   * operator's default); null while keyops has not listed it there yet.
   */
  static Instant promotableAt(EncryptionKey k, Duration defaultStagedFor) {
    Instant since = instant(k.getStatus().getInKeyringSince());
    return since == null ? null : since.plus(stagedFor(k, defaultStagedFor));
  }

  /** A key's {@code spec.stagedFor}, else the operator's default. */
  public static Duration stagedFor(EncryptionKey k, Duration defaultStagedFor) {
    String v = k.getSpec().getStagedFor();
    if (v == null || v.isBlank()) {
      return defaultStagedFor;
    }
    try {
      return dev.keyops.OperatorConfig.parseDurationOrZero("spec.stagedFor", v);
    } catch (IllegalArgumentException e) {
      // The schema refuses bad values; one that slipped through waits the default.
      return defaultStagedFor;
    }
  }

  static boolean inKeyring(KeyState state) {
    return state != KeyState.Disabled && state != KeyState.DestroyScheduled;
  }

  static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static String str(Instant i) {
    return i == null ? null : i.toString();
  }

  static String statusJson(EncryptionKey k) {
    return Objects.toString(k.getStatus() == null ? null : Serialization.asJson(k.getStatus()));
  }
}
