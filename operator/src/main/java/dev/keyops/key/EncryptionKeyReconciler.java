package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.KmsStatus;
import dev.keyops.api.v1alpha1.ProviderKind;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.provider.KeyProviders;
import dev.keyops.provider.KmsAccessValidator;
import dev.keyops.provider.KmsVersionFollower;
import dev.keyops.provider.Material;
import dev.keyops.provider.ProviderException;
import dev.keyops.status.Conditions;
import dev.keyops.status.ErrorKinds;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import dev.keyops.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles EncryptionKeys: observe the key's material (and Cloud KMS access, when it is due),
 * settle its key ring (states, keyring Secret), record status; on deletion, the drop guard.
 *
 * <p>Everything is read from informer caches: the ring's keys from the primary cache (indexed by
 * namespace and key ring), keyops' own Secrets from an informer restricted by label, customers'
 * Secrets from watches on the names keys reference. A reconcile that finds nothing changed (for
 * example the one caused by our own status write) makes no API call. The only periodic work is the
 * per-key Cloud KMS revalidation, scheduled with {@code rescheduleAfter}.
 */
// Not generation-aware: status changes made for a key by another key's reconcile (Retired) or by
// a ReencryptionJob (partition counts) must wake the drop guard and the key ring.
@ControllerConfiguration(
    name = "encryptionkey",
    finalizerName = EncryptionKey.DROP_GUARD_FINALIZER,
    generationAwareEventProcessing = false)
public class EncryptionKeyReconciler implements Reconciler<EncryptionKey>, Cleaner<EncryptionKey> {

  private static final Logger LOG = LoggerFactory.getLogger(EncryptionKeyReconciler.class);

  /** Transient Cloud KMS failures in a row before a verified key is reported not verified. */
  public static final int FAILURES_BEFORE_UNVERIFIED = 3;

  /** Label every Secret keyops owns carries; its informer watches only those. */
  static final String OWN_SECRETS_SELECTOR = KeyProviders.LABEL_COMPONENT;

  private final KubernetesClient client;
  private final KeyCaches caches;
  private final Settlements rings;
  private final KeyProviders providers;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;
  private final Clock clock;
  private final KmsSchedule kmsSchedule;
  private final DropGuardHandler dropGuard;
  private final KmsVersionFollower versions;
  private final RingPolicy policies;

  /**
   * @param policies the KeyRing policies (retention.destroyAfter)
   * @param destroyAfter how long a deleted Retired or Disabled key's material is kept when its ring
   *     has no policy saying otherwise; zero destroys it at once
   */
  public EncryptionKeyReconciler(
      KubernetesClient client,
      KeyCaches caches,
      Settlements rings,
      KeyProviders providers,
      EventRecorder events,
      KeyopsMetrics metrics,
      Clock clock,
      KmsSchedule kmsSchedule,
      RingPolicy policies,
      Duration destroyAfter) {
    this.policies = policies;
    this.client = client;
    this.caches = caches;
    this.rings = rings;
    this.providers = providers;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.kmsSchedule = kmsSchedule;
    this.dropGuard =
        new DropGuardHandler(
            rings,
            providers,
            events,
            metrics,
            clock,
            (ns, ring) -> policies.destroyAfter(ns, ring).orElse(destroyAfter));
    this.versions = new KmsVersionFollower(providers, events, metrics, clock);
  }

  @Override
  public List<EventSource<?, EncryptionKey>> prepareEventSources(
      EventSourceContext<EncryptionKey> context) {
    var primary = context.getPrimaryCache();
    primary.addIndexer(
        KeyCaches.RING_INDEX,
        k -> List.of(KeyCaches.ringKey(k.getMetadata().getNamespace(), k.getSpec().getKeyRing())));
    // Material Secrets wake their key (owner); a keyring Secret wakes one key of its ring (any key
    // settles the whole ring), so a hand-edited or deleted keyring is rewritten at once.
    var ownSecrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, EncryptionKey.class)
                .withName("keyops-secrets")
                .withLabelSelector(OWN_SECRETS_SELECTOR)
                .withSecondaryToPrimaryMapper(
                    secret -> {
                      Set<ResourceID> owners =
                          Mappers.<Secret>fromOwnerReferences(EncryptionKey.class)
                              .toPrimaryResourceIDs(secret);
                      if (!"keyring"
                          .equals(
                              secret.getMetadata().getLabels().get(KeyProviders.LABEL_COMPONENT))) {
                        return owners;
                      }
                      return owners.stream()
                          .min(Comparator.comparing(ResourceID::getName))
                          .map(Set::of)
                          .orElse(Set.of());
                    })
                .build(),
            context);
    var referenced = new ReferencedSecrets(context.getClient());
    caches.bind(primary, ownSecrets, referenced);
    return List.of(ownSecrets, referenced);
  }

  /**
   * Observe the key (its material, and its key manager when that check is due), settle its ring
   * (states, statuses, keyring Secret), then come back when the next check or promotion is due.
   */
  @Override
  public UpdateControl<EncryptionKey> reconcile(EncryptionKey key, Context<EncryptionKey> context) {
    EncryptionKey written = null;
    Observation seen = null;
    try (var ring = rings.open(key.getMetadata().getNamespace(), key.getSpec().getKeyRing())) {
      EncryptionKey current = ring.key(key.getMetadata().getName()).orElse(null);
      if (current != null) {
        seen = observe(current);
        for (EncryptionKey other : ring.neverObserved(current)) {
          observe(other);
        }
        written = ring.settle(current, seen.material());
      }
    }
    caches.referencedSecrets().retain(ResourceID.fromResource(key), referencedSecrets(key));
    policies.keyChanged(key.getMetadata().getNamespace(), key.getSpec().getKeyRing());
    return written == null ? UpdateControl.noUpdate() : wakeUp(written, seen.recheck());
  }

  /** The earlier of the key manager's next check and the moment a Staged key may be promoted. */
  private UpdateControl<EncryptionKey> wakeUp(EncryptionKey written, Duration recheck) {
    Optional<Duration> promotable = rings.untilPromotable(written);
    Duration wake =
        promotable.isPresent() && (recheck == null || promotable.get().compareTo(recheck) < 0)
            ? promotable.get()
            : recheck;
    UpdateControl<EncryptionKey> done = UpdateControl.noUpdate();
    return wake == null ? done : done.rescheduleAfter(wake);
  }

  @Override
  public DeleteControl cleanup(EncryptionKey key, Context<EncryptionKey> context) {
    DeleteControl d = dropGuard.cleanup(key);
    policies.keyChanged(key.getMetadata().getNamespace(), key.getSpec().getKeyRing());
    if (d.isRemoveFinalizer()) {
      caches.referencedSecrets().retain(ResourceID.fromResource(key), Set.of());
      kmsSchedule.forget(key.getMetadata().getUid());
      caches.forget(key);
    }
    return d;
  }

  /**
   * Any exception that escapes a reconcile: a condition saying what went wrong and what to do, one
   * Warning event (aggregated: repeats raise its count), no retry for requests the API server
   * refused for good, backoff for the rest. Conflicts are ordinary optimistic concurrency: retried
   * without a word.
   */
  @Override
  public ErrorStatusUpdateControl<EncryptionKey> updateErrorStatus(
      EncryptionKey key, Context<EncryptionKey> context, Exception e) {
    ErrorKinds.Kind err =
        ErrorKinds.classify(e, "fix the EncryptionKey as the message says; the change retries it");
    if (err.reason() == Reason.Conflict) {
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    LOG.warn(
        "reconcile of EncryptionKey {}/{} failed ({}): {}",
        key.getMetadata().getNamespace(),
        key.getMetadata().getName(),
        err.reason(),
        err.message());
    EncryptionKey copy = client.getKubernetesSerialization().clone(key);
    if (copy.getStatus() == null) {
      copy.setStatus(new EncryptionKeyStatus());
    }
    var b = StatusBuilder.of(copy, copy.getStatus(), clock.instant());
    boolean transition = b.set(Conditions.RECONCILED, false, err.reason(), err.message());
    if (err.permanent()) {
      // Observed, and stuck on it: kstatus must see Stalled, not a generation not yet observed.
      b.observed();
    }
    Settlements.kstatus(copy, b);
    if (transition || !Settlements.statusJson(copy).equals(Settlements.statusJson(key))) {
      events.warning(key, err.reason(), err.message());
      try {
        caches.wrote(StatusWriter.replace(client, key, copy.getStatus()));
      } catch (RuntimeException writeFailed) {
        LOG.debug("could not record the error on {}: {}", key.getMetadata().getName(), writeFailed);
      }
    }
    ErrorStatusUpdateControl<EncryptionKey> c = ErrorStatusUpdateControl.noStatusUpdate();
    if (!err.permanent()) {
      return c;
    }
    c = c.withNoRetry();
    return err.recheck() == null ? c : c.rescheduleAfter(err.recheck());
  }

  /** The customer Secrets a key reads: its secretRef and its Cloud KMS credentials. */
  static Set<String> referencedSecrets(EncryptionKey k) {
    var p = k.getSpec().getProvider();
    Set<String> names = new java.util.HashSet<>();
    if (p.getSecretRef() != null) {
      names.add(p.getSecretRef().getName());
    }
    if (p.getGcpKms() != null && p.getGcpKms().getCredentialsSecretRef() != null) {
      names.add(p.getGcpKms().getCredentialsSecretRef().getName());
    }
    if (p.getTransit() != null) {
      if (p.getTransit().getAuth() != null
          && p.getTransit().getAuth().getTokenSecretRef() != null) {
        names.add(p.getTransit().getAuth().getTokenSecretRef().getName());
      }
      if (p.getTransit().getCaSecretRef() != null) {
        names.add(p.getTransit().getCaSecretRef().getName());
      }
    }
    if (p.getAwsKms() != null && p.getAwsKms().getCredentialsSecretRef() != null) {
      names.add(p.getAwsKms().getCredentialsSecretRef().getName());
    }
    return names;
  }

  /**
   * What observing a key found: its material, or null when it is not Ready; and when its key
   * manager is to be checked next, or null when nothing but a change wakes it.
   */
  record Observation(Material material, Duration recheck) {}

  /**
   * Observes the material of a key on its copy (conditions, fingerprint). Calls the key manager
   * only when the key's check is due; everything else is a cache read.
   */
  Observation observe(EncryptionKey k) {
    var b = StatusBuilder.of(k, k.getStatus(), clock.instant());
    EncryptionKeyStatus s = b.status();
    Instant now = b.now();
    Long gen = k.getMetadata().getGeneration();
    ProviderKind kind = k.getSpec().getProvider().kind();
    // A key manager is called (on the KmsSchedule): Cloud KMS, Transit or AWS KMS.
    boolean gcp =
        kind == ProviderKind.gcpKms || kind == ProviderKind.transit || kind == ProviderKind.awsKms;
    String uid = k.getMetadata().getUid();
    if (gcp && s.getObservedGeneration() != null && !s.getObservedGeneration().equals(gen)) {
      kmsSchedule.requestNow(uid, now); // the spec changed: check it now, not after the backoff
    }
    b.observed();
    s.setProvider(kind);
    if (s.getState() == null) {
      s.setState(KeyState.Staged);
    }
    boolean wasReady = b.isTrue(Conditions.READY);
    if (gcp && s.getKms() == null) {
      s.setKms(new KmsStatus());
    }
    boolean verified = wasReady && s.getFingerprint() != null;
    Duration recheck = null;
    try {
      Material m;
      if (gcp
          && !KmsVersionFollower.revalidationRequested(k)
          && !kmsSchedule.due(uid, verified, now)) {
        if (!verified) {
          // not Ready and backing off: nothing to look at before the next step
          return new Observation(null, kmsSchedule.untilNext(uid, now));
        }
        m = providers.stored(k, s.getFingerprint());
        recheck = kmsSchedule.untilNext(uid, now);
      } else {
        // A gcpKms key with a data key follows Cloud KMS key-version rotation (issue 16).
        m =
            kind == ProviderKind.gcpKms && s.getFingerprint() != null
                ? versions.revalidate(k)
                : providers.resolve(k, s.getFingerprint());
        if (gcp) {
          verified(k, b, (Material.Wrapped) m);
          recheck = kmsSchedule.succeeded(uid, now);
        }
      }
      s.setFingerprint(m.fingerprint());
      b.remove(Conditions.RECONCILED);
      if (b.set(Conditions.READY, true, Reason.KeyMaterialValid, readyMessage(k, m))) {
        events.normal(k, Reason.KeyMaterialValid, readyMessage(k, m));
      }
      return new Observation(m, recheck);
    } catch (ProviderException e) {
      // Keys verified once (material recorded) back off to the interval, even while an outage has
      // made them unverified; only keys never verified yet get the short cap.
      return new Observation(null, failed(k, b, e, wasReady, s.getFingerprint() != null));
    }
  }

  /** Records a failed observation; returns when the key manager is to be checked again, or null. */
  private Duration failed(
      EncryptionKey k,
      StatusBuilder<EncryptionKeyStatus> b,
      ProviderException e,
      boolean wasReady,
      boolean everVerified) {
    EncryptionKeyStatus s = b.status();
    Instant now = b.now();
    boolean gcp = s.getKms() != null;
    Duration recheck = null;
    b.remove(Conditions.RECONCILED);
    if (gcp) {
      metrics.kmsValidation(e.reason().name());
      String uid = k.getMetadata().getUid();
      int failures = 0;
      if (e.specError()) {
        // Only an edit fixes it, and the edit wakes the key. No recheck.
        kmsSchedule.forget(uid);
      } else {
        failures = kmsSchedule.failed(uid, e.transientFailure(), everVerified, now);
        recheck = kmsSchedule.untilNext(uid, now);
      }
      if (e.transientFailure() && wasReady && failures < FAILURES_BEFORE_UNVERIFIED) {
        return recheck; // keep the verified state until the failure persists; nothing is written
      }
      var missing = e instanceof KmsAccessValidator.MissingPermissions mp ? mp.missing() : null;
      if (b.set(Conditions.KMS_ACCESS_VERIFIED, false, e.reason(), e.getMessage())
          || !java.util.Objects.equals(missing, s.getKms().getMissingPermissions())) {
        // Recorded when the outcome changes, not per failure: an outage writes once.
        s.getKms().setLastValidated(now.toString());
        s.getKms().setConsecutiveFailures(failures);
        s.getKms().setMissingPermissions(missing);
      }
    }
    // Other providers need no recheck: a change of the Secret they read wakes the key.
    if (b.set(Conditions.READY, false, e.reason(), e.getMessage())) {
      KeyState state = s.getState();
      if (state == KeyState.Primary || state == KeyState.Retired) {
        if (gcp) {
          metrics.kmsAccessLost();
        }
        events.warning(
            k, e.reason(), e.getMessage() + " (the key stays " + state + "; nothing is deleted)");
      } else {
        events.warning(k, e.reason(), e.getMessage());
      }
    }
    return recheck;
  }

  private void verified(EncryptionKey k, StatusBuilder<EncryptionKeyStatus> b, Material.Wrapped m) {
    KmsStatus kms = b.status().getKms();
    Instant now = b.now();
    metrics.kmsValidation(Reason.KmsAccessVerified.name());
    String msg =
        "operator can encrypt and decrypt with " + m.kmsKeyName() + " (round trip verified)";
    boolean changed = b.set(Conditions.KMS_ACCESS_VERIFIED, true, Reason.KmsAccessVerified, msg);
    // Written when something changed, not on every successful check (an idle operator writes
    // nothing); keyops_kms_validations_total counts every check.
    if (changed
        || kms.getLastValidated() == null
        || !java.util.Objects.equals(kms.getKeyVersion(), m.keyVersion())) {
      kms.setLastValidated(now.toString());
      kms.setConsecutiveFailures(0);
      kms.setMissingPermissions(null);
      kms.setKeyVersion(m.keyVersion());
    }
    if (changed) {
      events.normal(k, Reason.KmsAccessVerified, msg);
    }
  }

  private static String readyMessage(EncryptionKey k, Material m) {
    return switch (k.getSpec().getProvider().kind()) {
      case managed ->
          "managed key material is held in Secret " + KeyProviders.materialSecretName(k);
      case secretRef ->
          "key material in Secret "
              + k.getSpec().getProvider().getSecretRef().getName()
              + " is a valid 256-bit key";
      case gcpKms -> "data key wrapped by Cloud KMS key " + ((Material.Wrapped) m).kmsKeyName();
      case transit ->
          "data key wrapped by Transit key "
              + ((Material.Wrapped) m).kmsKeyName()
              + " at "
              + ((Material.Wrapped) m).transit().address();
      case awsKms ->
          "data key wrapped by AWS KMS key "
              + ((Material.Wrapped) m).kmsKeyName()
              + " in region "
              + ((Material.Wrapped) m).awsKms().region();
    };
  }
}
