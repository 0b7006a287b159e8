package dev.keyops.ring;

import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyRingStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.key.RingView;
import dev.keyops.observability.EventRecorder;
import dev.keyops.status.Conditions;
import dev.keyops.status.KStatus;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reconciles KeyRings: observe the ring's keys (from the EncryptionKey controller's cache), rotate
 * when due (create the next key, activate it after stagedFor), start the ReencryptionJob that
 * follows a promotion, disable Retired keys without data after retention.disableAfter, and record
 * status. Never sleeps: the next due time comes back through {@code rescheduleAfter}; key changes
 * wake the ring through an informer mapped by {@code spec.keyRing}.
 */
// Not generation-aware: the on-demand annotation changes no generation.
@ControllerConfiguration(name = "keyring", generationAwareEventProcessing = false)
public class KeyRingReconciler implements Reconciler<KeyRing>, Cleaner<KeyRing> {

  /** A key just created may not be in the cache yet; it is not given up as deleted before this. */
  static final Duration CACHE_GRACE = Duration.ofMinutes(5);

  private final RingView keys;
  private final KeyRingCache cache;
  private final EventRecorder events;
  private final Clock clock;
  private final RingActions actions;
  private final RingConditions status;

  public KeyRingReconciler(
      KubernetesClient client,
      RingView keys,
      KeyRingCache cache,
      EventRecorder events,
      Clock clock,
      dev.keyops.key.Inventories inventories) {
    this.keys = keys;
    this.cache = cache;
    this.events = events;
    this.clock = clock;
    this.actions = new RingActions(client, events, inventories, cache);
    this.status = new RingConditions(events, inventories);
  }

  @Override
  public List<EventSource<?, KeyRing>> prepareEventSources(EventSourceContext<KeyRing> context) {
    // Woken by the EncryptionKey controller after it reconciled a key of the ring (no second
    // informer on EncryptionKeys); reads go through its cache (RingView).
    SimpleInboundEventSource<KeyRing> keyEvents = new SimpleInboundEventSource<>("keyring-keys");
    // The claims a ring's spec.storage.selector matches are declared locations: a new one wakes
    // the ring. Cached only in the namespaces this controller watches (the same as the KeyRings').
    var claimConfig =
        InformerEventSourceConfiguration.from(PersistentVolumeClaim.class, KeyRing.class)
            .withName("keyring-claims")
            .withSecondaryToPrimaryMapper(
                pvc -> KeyRingCache.ringsSelecting(context.getPrimaryCache(), pvc))
            .build();
    InformerEventSource<PersistentVolumeClaim, KeyRing> claims =
        new InformerEventSource<>(claimConfig, context);
    cache.bind(context.getPrimaryCache(), keyEvents, claims);
    return List.of(keyEvents, claims);
  }

  @Override
  public UpdateControl<KeyRing> reconcile(KeyRing ring, Context<KeyRing> context) {
    Instant now = clock.instant();
    String ns = ring.getMetadata().getNamespace();
    String name = ring.getMetadata().getName();
    String before = json(ring.getStatus());
    KeyRingStatus s = ring.getStatus() == null ? new KeyRingStatus() : copy(ring.getStatus());
    List<EncryptionKey> ringKeys =
        keys.keys(ns, name).stream()
            .sorted(Comparator.comparing(k -> k.getMetadata().getName()))
            .toList();
    Wake wake = new Wake();

    recoverLostRotation(ring, s, ringKeys);
    followPromotion(ring, s, ringKeys, now);
    KStatus.Verdict policy = rotate(ring, s, ringKeys, now, wake);
    if (ring.getSpec() != null && ring.getSpec().getRetention() != null) {
      wake.at(actions.disableExpired(ring, ringKeys, now));
    }
    s.setDeclaredLocations(declared(ring));
    status.record(ring, s, ringKeys, policy, now);

    if (!json(s).equals(before)) {
      StatusWriter.write(context, ring, s);
    }
    UpdateControl<KeyRing> c = UpdateControl.noUpdate();
    return wake.next == null ? c : c.rescheduleAfter(wake.next);
  }

  /**
   * A key of this ring's next rotation number exists but the status does not know it: the status
   * write after its creation was lost. It is that rotation's key (owner and number, not its name,
   * say so), so it is taken as pending rather than created again.
   */
  private void recoverLostRotation(KeyRing ring, KeyRingStatus s, List<EncryptionKey> ks) {
    long n = rotations(s) + 1;
    ks.stream()
        .filter(k -> RingActions.isRotation(k, ring, n))
        .findFirst()
        .ifPresent(
            k -> {
              s.setRotations(n);
              String at = k.getMetadata().getAnnotations().get(KeyRing.ROTATED_AT_ANNOTATION);
              s.setLastRotationTime(at != null ? at : k.getMetadata().getCreationTimestamp());
              if (stateOf(k) == KeyState.Staged) {
                s.setPendingKey(k.getMetadata().getName());
              }
              String request =
                  k.getMetadata().getAnnotations().get(KeyRing.ROTATION_REQUEST_ANNOTATION);
              if (request != null) {
                s.setRotationRequestHandled(request);
              }
            });
  }

  /** Once the key this ring created is Primary: start what follows a rotation. */
  private void followPromotion(KeyRing ring, KeyRingStatus s, List<EncryptionKey> ks, Instant now) {
    if (s.getPendingKey() == null) {
      return;
    }
    Optional<EncryptionKey> pending = find(ks, s.getPendingKey());
    if (pending.isEmpty()) {
      Instant created = instant(s.getLastRotationTime());
      if (created == null || created.plus(CACHE_GRACE).isBefore(now)) {
        s.setPendingKey(null); // deleted by someone: the next period starts a new one
      }
      return;
    }
    KeyState state = stateOf(pending.get());
    if (state == KeyState.Staged) {
      return;
    }
    s.setPendingKey(null);
    if (state == KeyState.Primary && ring.getSpec().getReencryption() != null) {
      s.setLastReencryptionJob(actions.startReencryption(ring, pending.get()));
    }
  }

  /** Rotates when due; returns the verdict on the rotation policy (see {@link RingConditions}). */
  private KStatus.Verdict rotate(
      KeyRing ring, KeyRingStatus s, List<EncryptionKey> ks, Instant now, Wake wake) {
    RotationPolicy p = ring.getSpec() == null ? null : ring.getSpec().getRotation();
    if (p == null) {
      s.setNextRotationTime(null);
      return RingConditions.noRotation();
    }
    Duration period = OperatorConfig.parseDuration("spec.rotation.period", p.getPeriod());
    Duration stagedFor =
        OperatorConfig.parseDurationOrZero(
            "spec.rotation.stagedFor", p.getStagedFor() == null ? "10m" : p.getStagedFor());
    EncryptionKey pendingKey =
        s.getPendingKey() == null ? null : find(ks, s.getPendingKey()).orElse(null);
    String request = openRequest(ring, s, pendingKey, p, now);
    RotationRules.Decision d =
        RotationRules.decide(
            new RotationRules.Input(
                now,
                period,
                stagedFor,
                p.getKeyTemplate() != null,
                instant(s.getLastRotationTime()),
                primaryActivatedAt(ks),
                instant(s.getNextRotationTime()),
                !ks.isEmpty(),
                request != null,
                pending(s, pendingKey, now)));
    String notCreated = null;
    switch (d.action()) {
      case CREATE -> {
        notCreated = createKey(ring, s, p, ks, request, now);
        if (notCreated != null) {
          wake.at(Duration.ofSeconds(1)); // the next second gives new names
        } else {
          wake.at(stagedFor);
          d =
              RotationRules.decide(
                  new RotationRules.Input(
                      now, period, stagedFor, true, now, null, null, true, false, null));
        }
      }
      case ACTIVATE -> actions.activate(ring, pendingKey);
      default -> {}
    }
    s.setNextRotationTime(d.nextRotation().toString());
    wake.at(d.wakeIn());
    return status.rotation(ring, s, d, p.getKeyTemplate() != null, notCreated, now);
  }

  /**
   * The on-demand rotation request to act on now, or null: none, already handled, or refused here
   * (recorded as handled, with the reason in the condition RotationRequest).
   */
  private String openRequest(
      KeyRing ring, KeyRingStatus s, EncryptionKey pendingKey, RotationPolicy p, Instant now) {
    String request = requestToken(ring);
    if (request.isEmpty() || request.equals(s.getRotationRequestHandled())) {
      return null;
    }
    Optional<Condition> stalled =
        pendingKey == null
            ? Optional.empty()
            : Conditions.find(conditions(pendingKey), KStatus.STALLED)
                .filter(c -> Conditions.TRUE.equals(c.getStatus()));
    Reason refusal =
        RotationRules.refusal(
            p.getKeyTemplate() != null, s.getPendingKey() != null, stalled.isPresent());
    if (refusal == null) {
      return request;
    }
    status.requestRefused(
        ring, s, request, refusal, refusalMessage(ring, s, refusal, stalled, p), now);
    return null;
  }

  /** The key this ring created last, while it is not Primary yet; null when there is none. */
  private static RotationRules.Pending pending(
      KeyRingStatus s, EncryptionKey pendingKey, Instant now) {
    if (pendingKey == null) {
      return s.getPendingKey() == null ? null : new RotationRules.Pending(now, true, false);
    }
    return new RotationRules.Pending(
        instant(s.getLastRotationTime()),
        pendingKey.getSpec().activationRequested(),
        Conditions.isTrue(conditions(pendingKey), Conditions.READY));
  }

  private static Instant primaryActivatedAt(List<EncryptionKey> ks) {
    return ks.stream()
        .filter(k -> stateOf(k) == KeyState.Primary)
        .findFirst()
        .map(k -> instant(k.getStatus().getActivatedAt()))
        .orElse(null);
  }

  /**
   * Creates the ring's next key (for {@code request}, when one asked for it); returns null when it
   * was created, else why not (every name of this second is taken).
   */
  private String createKey(
      KeyRing ring,
      KeyRingStatus s,
      RotationPolicy p,
      List<EncryptionKey> ks,
      String request,
      Instant now) {
    long n = rotations(s) + 1;
    RingActions.Created created = actions.createKey(ring, p.getKeyTemplate(), now, n, request, ks);
    if (created.key() == null) {
      String notCreated =
          RotationRequests.namesTaken(ring.getMetadata().getName(), created.taken());
      if (request != null) {
        status.requestRefused(ring, s, request, Reason.KeyNameTaken, notCreated, now);
      }
      return notCreated;
    }
    String key = created.key().getMetadata().getName();
    s.setPendingKey(key);
    s.setRotations(n);
    s.setLastRotationTime(now.toString());
    if (request != null) {
      status.requestActedOn(ring, s, request, key, now);
    }
    return null;
  }

  private static String refusalMessage(
      KeyRing ring, KeyRingStatus s, Reason why, Optional<Condition> stalled, RotationPolicy p) {
    String name = ring.getMetadata().getName();
    return switch (why) {
      case NoKeyTemplate -> RotationRequests.noTemplate(name);
      case RotationBlocked ->
          RotationRequests.blocked(
              name,
              s.getPendingKey(),
              stalled.map(c -> c.getReason() + ": " + c.getMessage()).orElse("not Ready"));
      default ->
          RotationRequests.inProgress(
              name, s.getPendingKey(), p.getStagedFor() == null ? "10m" : p.getStagedFor());
    };
  }

  /** The locations spec.storage declares now, sorted; null without spec.storage. */
  private List<String> declared(KeyRing ring) {
    if (ring.getSpec() == null || ring.getSpec().getStorage() == null) {
      return null;
    }
    return List.copyOf(
        cache.declaredLocations(ring.getMetadata().getNamespace(), ring.getMetadata().getName()));
  }

  /** How many keys this KeyRing has created by rotation. */
  static long rotations(KeyRingStatus s) {
    return s.getRotations() == null ? 0 : s.getRotations();
  }

  /**
   * A KeyRing going away orphans its keys rather than deleting them: they keep working as keys of a
   * ring without a policy (deleting a key is a separate, guarded decision).
   */
  @Override
  public DeleteControl cleanup(KeyRing ring, Context<KeyRing> context) {
    actions.orphanKeys(
        ring, keys.keys(ring.getMetadata().getNamespace(), ring.getMetadata().getName()));
    return DeleteControl.defaultDelete();
  }

  /** The on-demand request: spec.rotation.requestedAt and the annotation, as one token. */
  public static String requestToken(KeyRing ring) {
    String spec = ring.getSpec().getRotation().getRequestedAt();
    String ann =
        ring.getMetadata().getAnnotations() == null
            ? null
            : ring.getMetadata().getAnnotations().get(KeyRing.ROTATE_ANNOTATION);
    if (spec == null && ann == null) {
      return "";
    }
    return (spec == null ? "" : spec) + (ann == null ? "" : "|" + ann);
  }

  static KeyState stateOf(EncryptionKey k) {
    return k.getStatus() == null || k.getStatus().getState() == null
        ? KeyState.Staged
        : k.getStatus().getState();
  }

  private static List<io.fabric8.kubernetes.api.model.Condition> conditions(EncryptionKey k) {
    return k.getStatus() == null ? List.of() : k.getStatus().getConditions();
  }

  private static Optional<EncryptionKey> find(List<EncryptionKey> ks, String name) {
    return ks.stream().filter(k -> k.getMetadata().getName().equals(name)).findFirst();
  }

  static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static KeyRingStatus copy(KeyRingStatus s) {
    return Serialization.unmarshal(Serialization.asJson(s), KeyRingStatus.class);
  }

  private static String json(Object o) {
    return Objects.toString(o == null ? null : Serialization.asJson(o));
  }

  /** The earliest of the times something is due. */
  static final class Wake {
    Duration next;

    void at(Duration d) {
      if (d != null && (next == null || d.compareTo(next) < 0)) {
        next = d.isZero() ? Duration.ofSeconds(1) : d;
      }
    }
  }

  static boolean isOwnedBy(HasMetadata o, KeyRing ring) {
    return o.getMetadata().getOwnerReferences().stream()
        .anyMatch(r -> r.getUid().equals(ring.getMetadata().getUid()));
  }
}
