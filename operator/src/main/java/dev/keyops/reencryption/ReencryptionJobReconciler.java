package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.key.KeyBundleWriter;
import dev.keyops.key.RingView;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.status.Conditions;
import dev.keyops.status.ErrorKinds;
import dev.keyops.status.KStatus;
import dev.keyops.status.Reason;
import dev.keyops.status.StatusBuilder;
import dev.keyops.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
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
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles ReencryptionJobs: wait in the key ring's queue and for the target key, launch one
 * Indexed Job, follow it to its end, and record the inventory on the ring's EncryptionKeys.
 *
 * <p>Reads come from caches: the Job and pods from this controller's informers, the ring's other
 * jobs from an index of the primary cache, the ring's keys and keyring Secret from a {@link
 * RingView}. Status is written only when it changed. Any exception becomes the {@code Reconciled}
 * condition and one Warning event; permanent ones are not retried in a loop.
 */
@ControllerConfiguration(name = "reencryptionjob", finalizerName = "keyops.dev/stop-rebuild")
public class ReencryptionJobReconciler
    implements Reconciler<ReencryptionJob>, Cleaner<ReencryptionJob> {

  private static final Logger LOG = LoggerFactory.getLogger(ReencryptionJobReconciler.class);

  static final Duration PENDING_RECHECK = Duration.ofSeconds(5);
  static final String RING_INDEX = "keyops.dev/namespace-key-ring";
  static final String RECONCILED = Conditions.RECONCILED;

  private final KubernetesClient client;
  private final RingView ring;
  private final EventRecorder events;
  private final Clock clock;
  private final RunObserver runs;
  private final JobLauncher launcher;
  private final Throttle throttle;
  private volatile IndexerResourceCache<ReencryptionJob> cache;

  public ReencryptionJobReconciler(
      KubernetesClient client,
      RingView ring,
      EventRecorder events,
      KeyopsMetrics metrics,
      Clock clock,
      String workerImage,
      List<String> workerImagePullSecrets) {
    this.client = client;
    this.ring = ring;
    this.events = events;
    this.clock = clock;
    this.runs = new RunObserver(client, ring, events, metrics);
    this.launcher = new JobLauncher(client, events, workerImage, workerImagePullSecrets);
    this.throttle = new Throttle(client, events);
  }

  @Override
  public List<EventSource<?, ReencryptionJob>> prepareEventSources(
      EventSourceContext<ReencryptionJob> context) {
    context.getPrimaryCache().addIndexer(RING_INDEX, r -> List.of(ringKey(r)));
    cache = context.getPrimaryCache();
    var jobs =
        InformerEventSourceConfiguration.from(Job.class, ReencryptionJob.class)
            .withName("jobs")
            .withLabelSelector(RekeyJobFactory.LABEL_JOB)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ReencryptionJob.class))
            .build();
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, ReencryptionJob.class)
            .withName("pods")
            .withLabelSelector(RekeyJobFactory.LABEL_JOB)
            .withSecondaryToPrimaryMapper(
                pod -> {
                  String owner = RekeyJobFactory.owner(pod.getMetadata());
                  return owner == null
                      ? Set.of()
                      : Set.of(new ResourceID(owner, pod.getMetadata().getNamespace()));
                })
            .build();
    InformerEventSource<Job, ReencryptionJob> jobSource = new InformerEventSource<>(jobs, context);
    launcher.jobCache(jobSource);
    return List.of(jobSource, new InformerEventSource<>(pods, context));
  }

  @Override
  public UpdateControl<ReencryptionJob> reconcile(
      ReencryptionJob rej, Context<ReencryptionJob> context) {
    ReencryptionJobStatus before = rej.getStatus();
    var b = StatusBuilder.of(rej, copy(before), clock.instant()).observed();
    ReencryptionJobStatus s = b.status();
    Instant now = b.now();
    Duration next;
    if (!Admission.active(rej) && (s.getJobName() == null || RunObserver.recorded(s))) {
      // Ended, and everything about it recorded: only a spec change (suspend, windows) or the
      // kstatus conditions of a job from an older keyops can be new.
      return record(context, rej, before, b, null);
    }
    Windows.Decision gate =
        Windows.decide(now, rej.getSpec().getSuspend(), rej.getSpec().getWindows());
    if (s.getJobName() != null) {
      Job job = context.getSecondaryResource(Job.class).orElse(null);
      boolean ended = s.getPhase() == JobPhase.Succeeded || s.getPhase() == JobPhase.Failed;
      if (job == null && !ended && endedMeanwhile(rej)) {
        return UpdateControl.noUpdate();
      }
      Duration gateNext = ended ? null : throttle.follow(rej, s, job, gate, now);
      next = runs.observe(rej, s, job, context.getSecondaryResources(Pod.class), !gate.run(), now);
      next = ended ? next : Throttle.earliest(next, gateNext);
    } else {
      next = admit(rej, s, context, gate, now);
    }
    if (b.isFalse(RECONCILED)) {
      b.set(RECONCILED, true, Reason.Reconciled, "the last reconcile succeeded");
    }
    return record(context, rej, before, b, next);
  }

  /** The status step: kstatus from the other conditions, one write if anything changed. */
  private static UpdateControl<ReencryptionJob> record(
      Context<ReencryptionJob> context,
      ReencryptionJob rej,
      ReencryptionJobStatus before,
      StatusBuilder<ReencryptionJobStatus> b,
      Duration next) {
    b.kstatus(KStatus.job(b.status()), true);
    writeStatus(context, rej, before, b.status());
    UpdateControl<ReencryptionJob> u = UpdateControl.noUpdate();
    return next == null ? u : u.rescheduleAfter(next);
  }

  /**
   * Writes the status if it changed, with the resourceVersion this reconcile read as precondition
   * (see {@link StatusWriter}): a stale copy is refused with 409 and the reconcile retried.
   */
  private static void writeStatus(
      Context<ReencryptionJob> context,
      ReencryptionJob rej,
      ReencryptionJobStatus before,
      ReencryptionJobStatus s) {
    if (!same(before, s)) {
      StatusWriter.write(context, rej, s);
    }
  }

  /**
   * Waits in the queue and for the target key, then launches the Job. Returns when to look again.
   */
  private Duration admit(
      ReencryptionJob rej,
      ReencryptionJobStatus s,
      Context<ReencryptionJob> context,
      Windows.Decision gate,
      Instant now) {
    String ns = rej.getMetadata().getNamespace();
    var keys = ring.keys(ns, rej.getSpec().getKeyRing());
    Admission.KeyringState keyring = keyring(ns, rej.getSpec().getKeyRing());
    List<ReencryptionJob> ringJobs = context.getPrimaryCache().byIndex(RING_INDEX, ringKey(rej));
    var running = Admission.running(rej, ringJobs);
    Admission.Decision mine = Admission.target(rej, keys, keyring);
    var ahead =
        running.isPresent() || !mine.ready()
            ? running
            : Admission.olderReady(rej, ringJobs, keys, keyring);
    if (ahead.isPresent()) {
      pending(
          rej,
          s,
          Reason.Queued,
          "waiting for ReencryptionJob "
              + ahead.get().getMetadata().getName()
              + ": one rebuild per key ring runs at a time",
          now);
      return PENDING_RECHECK;
    }
    if (!mine.ready()) {
      pending(rej, s, mine.reason(), mine.message(), now);
      return PENDING_RECHECK;
    }
    launcher
        .launch(new JobLauncher.Launch(rej, s, mine.target(), keys, context, !gate.run(), now))
        .ifPresent(refused -> runs.fail(rej, s, refused.reason(), refused.message(), now));
    if (s.getPhase() != JobPhase.Running) {
      return null;
    }
    throttle.record(rej, s, gate, now);
    return gate.run()
        ? Throttle.earliest(RunObserver.RUNNING_RECHECK, gate.nextChange())
        : gate.nextChange();
  }

  private void pending(
      ReencryptionJob rej, ReencryptionJobStatus s, Reason reason, String message, Instant now) {
    var b = StatusBuilder.of(rej, s, now);
    s.setPhase(JobPhase.Pending);
    boolean changed = !b.hasReason(Conditions.WAITING, reason);
    b.set(Conditions.WAITING, true, reason, message);
    if (changed) {
      events.normal(rej, reason, message);
    }
  }

  /** The primary key id the workers will read from the keyring Secret. */
  private Admission.KeyringState keyring(String ns, String keyRing) {
    var secret = ring.keyringSecret(ns, keyRing).orElse(null);
    if (secret == null
        || secret.getData() == null
        || secret.getData().get(KeyBundleWriter.FILE) == null) {
      return new Admission.KeyringState(null, false);
    }
    try {
      byte[] json = Base64.getDecoder().decode(secret.getData().get(KeyBundleWriter.FILE));
      return new Admission.KeyringState(
          KeyBundle.parse(json, DataKeyUnwrapper.NONE).document().primaryKeyId(), false);
    } catch (RuntimeException e) {
      return new Admission.KeyringState(null, true); // its text may hold key material: not logged
    }
  }

  /**
   * Any exception a reconcile throws: the {@code Reconciled} condition says what kind it is and
   * what to do, with one Warning event when that changes (not one per retry). A permanent error is
   * not retried in a loop, and a job that has not started ends Failed so that it never holds up its
   * key ring; a transient one backs off (the framework's retry).
   */
  @Override
  public ErrorStatusUpdateControl<ReencryptionJob> updateErrorStatus(
      ReencryptionJob rej, Context<ReencryptionJob> context, Exception e) {
    ErrorKinds.Kind kind = ErrorKinds.classify(e);
    if (kind.reason() == Reason.Conflict) {
      // Optimistic concurrency (a status write from a stale copy, or an object that changed
      // meanwhile): retried from the cache's newer copy without a word.
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    ReencryptionJobStatus before = rej.getStatus(); // reconcile changed only its own copy
    var b = StatusBuilder.of(rej, copy(before), clock.instant());
    ReencryptionJobStatus s = b.status();
    Instant now = b.now();
    boolean newKind = !b.hasReason(RECONCILED, kind.reason());
    b.set(RECONCILED, false, kind.reason(), kind.message());
    if (kind.permanent() && s.getJobName() == null && Admission.active(rej)) {
      RunObserver.markFailed(rej, s, kind.reason(), kind.message(), now);
    }
    if (kind.permanent()) {
      // Observed, and stuck on it: kstatus must see Stalled, not a generation not yet observed.
      b.observed();
    }
    b.kstatus(KStatus.job(s), true);
    if (newKind) {
      events.warning(rej, kind.reason(), kind.message());
    }
    try {
      writeStatus(context, rej, before, s);
    } catch (RuntimeException writeFailed) {
      LOG.debug("could not record the error on {}: {}", rej.getMetadata().getName(), writeFailed);
    }
    ErrorStatusUpdateControl<ReencryptionJob> control = ErrorStatusUpdateControl.noStatusUpdate();
    if (!kind.permanent()) {
      return control;
    }
    return kind.recheck() == null ? control.withNoRetry() : control.rescheduleAfter(kind.recheck());
  }

  @Override
  public DeleteControl cleanup(ReencryptionJob rej, Context<ReencryptionJob> context) {
    // Deleting a ReencryptionJob stops its run: its own Job (never a foreign one of the same
    // name), and with it its pods.
    context
        .getSecondaryResource(Job.class)
        .filter(j -> JobLauncher.ownedBy(j, rej))
        .ifPresent(j -> JobLauncher.stop(client, j));
    return DeleteControl.defaultDelete();
  }

  /**
   * Every ReencryptionJob in the primary cache, as cached (read only), or none before the informer
   * runs. For the metrics, which read each job once per scrape.
   */
  public Stream<ReencryptionJob> cachedJobs() {
    IndexerResourceCache<ReencryptionJob> c = cache;
    return c instanceof AbstractEventSource<?, ?> s && s.isRunning() ? c.list() : Stream.empty();
  }

  /** Whether no worker of a running job runs (its Stalled condition is True). */
  public static boolean stalled(ReencryptionJob rej) {
    return rej.getStatus() != null
        && rej.getStatus().getConditions() != null
        && Conditions.isTrue(rej.getStatus().getConditions(), RunObserver.STALLED);
  }

  static String ringKey(ReencryptionJob r) {
    return r.getMetadata().getNamespace() + "/" + r.getSpec().getKeyRing();
  }

  private static ReencryptionJobStatus copy(ReencryptionJobStatus s) {
    return s == null
        ? new ReencryptionJobStatus()
        : Serialization.unmarshal(Serialization.asJson(s), ReencryptionJobStatus.class);
  }

  private static boolean same(ReencryptionJobStatus before, ReencryptionJobStatus after) {
    return before != null
        && Objects.equals(Serialization.asJson(before), Serialization.asJson(after));
  }

  /** A patch that holds only the name, namespace and status. */
  /**
   * Whether the job already ended on the API server though the cached copy says it runs. When this
   * controller ends a job it deletes its Job in the same reconcile (a progress deadline, a
   * cancellation); the Job's deletion can wake the next reconcile before the status write reaches
   * the cache, and that stale copy must not be taken for "someone deleted the Job" (JobDeleted
   * would overwrite the real reason). A Job gone while its job runs is rare, so one GET is cheap.
   */
  private boolean endedMeanwhile(ReencryptionJob rej) {
    ReencryptionJob live =
        client
            .resources(ReencryptionJob.class)
            .inNamespace(rej.getMetadata().getNamespace())
            .withName(rej.getMetadata().getName())
            .get();
    return live == null
        || (live.getStatus() != null
            && (live.getStatus().getPhase() == JobPhase.Succeeded
                || live.getStatus().getPhase() == JobPhase.Failed));
  }
}
