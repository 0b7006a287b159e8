package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.key.KeyringWriter;
import dev.keyops.observability.Conditions;
import dev.keyops.observability.EventRecorder;
import dev.keyops.observability.KeyopsMetrics;
import dev.keyops.observability.Reason;
import dev.keyops.partition.Keyring;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
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
import java.util.Set;

/**
 * Reconciles ReencryptionJobs: wait in the key ring's queue and for the target key, launch one
 * Indexed Job, aggregate its pods' results into status, and when it ends record the inventory on
 * the ring's EncryptionKeys (which releases the drop guard of keys no partition uses).
 */
@ControllerConfiguration(name = "reencryptionjob", finalizerName = "keyops.dev/stop-rebuild")
public class ReencryptionJobReconciler
    implements Reconciler<ReencryptionJob>, Cleaner<ReencryptionJob> {

  static final Duration PENDING_RECHECK = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final KeyopsMetrics metrics;
  private final Clock clock;
  private final String workerImage;
  private final RunObserver runs;

  public ReencryptionJobReconciler(
      KubernetesClient client,
      EventRecorder events,
      KeyopsMetrics metrics,
      Clock clock,
      String workerImage) {
    this.client = client;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.workerImage = workerImage;
    this.runs = new RunObserver(client, events, metrics, clock);
  }

  @Override
  public List<EventSource<?, ReencryptionJob>> prepareEventSources(
      EventSourceContext<ReencryptionJob> context) {
    var jobs =
        InformerEventSourceConfiguration.from(Job.class, ReencryptionJob.class)
            .withName("jobs")
            .withLabelSelector(RekeyJobFactory.LABEL_JOB)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(ReencryptionJob.class))
            .build();
    var pods =
        InformerEventSourceConfiguration.from(
                io.fabric8.kubernetes.api.model.Pod.class, ReencryptionJob.class)
            .withName("pods")
            .withLabelSelector(RekeyJobFactory.LABEL_JOB)
            .withSecondaryToPrimaryMapper(
                pod ->
                    Set.of(
                        new ResourceID(
                            pod.getMetadata().getLabels().get(RekeyJobFactory.LABEL_JOB),
                            pod.getMetadata().getNamespace())))
            .build();
    return List.of(
        new InformerEventSource<>(jobs, context), new InformerEventSource<>(pods, context));
  }

  @Override
  public UpdateControl<ReencryptionJob> reconcile(
      ReencryptionJob rej, Context<ReencryptionJob> context) {
    ReencryptionJobStatus s =
        rej.getStatus() == null ? new ReencryptionJobStatus() : rej.getStatus();
    rej.setStatus(s);
    Instant now = clock.instant();
    if (s.getJobName() != null) {
      noteSpecChange(rej, now);
      runs.observe(rej, now);
      return patch(rej, null);
    }
    String blocker = admit(rej, now);
    if (blocker != null) {
      return patch(rej, PENDING_RECHECK);
    }
    return patch(rej, null);
  }

  /** Waits in the queue and for the target key, then launches the Job. Returns a reason to wait. */
  private String admit(ReencryptionJob rej, Instant now) {
    ReencryptionJobStatus s = rej.getStatus();
    String ns = rej.getMetadata().getNamespace();
    String ring = rej.getSpec().getKeyRing();
    s.setObservedGeneration(rej.getMetadata().getGeneration());
    ReencryptionJob ahead = firstInQueue(ns, ring);
    if (ahead != null && !ahead.getMetadata().getName().equals(rej.getMetadata().getName())) {
      return pending(
          rej,
          Reason.Queued,
          "waiting for ReencryptionJob "
              + ahead.getMetadata().getName()
              + ": one rebuild per key ring runs at a time",
          now);
    }
    List<EncryptionKey> keys =
        client.resources(EncryptionKey.class).inNamespace(ns).list().getItems().stream()
            .filter(k -> ring.equals(k.getSpec().getKeyRing()))
            .toList();
    EncryptionKey target;
    if (rej.getSpec().getTargetKey() != null) {
      target =
          keys.stream()
              .filter(k -> k.getMetadata().getName().equals(rej.getSpec().getTargetKey()))
              .findFirst()
              .orElse(null);
      if (target == null) {
        return pending(
            rej,
            Reason.TargetKeyNotFound,
            "EncryptionKey "
                + rej.getSpec().getTargetKey()
                + " of key ring "
                + ring
                + " not found: create it, or fix spec.targetKey",
            now);
      }
      KeyState state = target.getStatus() == null ? null : target.getStatus().getState();
      if (state != KeyState.Primary) {
        return pending(
            rej,
            Reason.WaitingForTargetKey,
            "waiting for EncryptionKey "
                + rej.getSpec().getTargetKey()
                + " to become Primary (now "
                + (state == null ? "new" : state)
                + "): set spec.activate: true on it",
            now);
      }
    } else {
      target =
          keys.stream()
              .filter(k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary)
              .findFirst()
              .orElse(null);
      if (target == null) {
        return pending(
            rej,
            Reason.WaitingForTargetKey,
            "key ring " + ring + " has no Primary key: activate one",
            now);
      }
    }
    String keyringPrimary = keyringPrimary(ns, ring);
    if (!target.getStatus().getKeyId().equals(keyringPrimary)) {
      return pending(
          rej,
          Reason.WaitingForTargetKey,
          "waiting for the keyring Secret "
              + KeyringWriter.secretName(ring)
              + " to name "
              + target.getMetadata().getName()
              + " as its Primary, so the workers rebuild onto it",
          now);
    }
    String[] gcp =
        keys.stream()
            .filter(
                k ->
                    k.getSpec().getProvider().getGcpKms() != null
                        && k.getSpec().getProvider().getGcpKms().getCredentialsSecretRef() != null)
            .map(
                k ->
                    new String[] {
                      k.getSpec().getProvider().getGcpKms().getCredentialsSecretRef().getName(),
                      k.getSpec().getProvider().getGcpKms().getCredentialsSecretRef().getKey()
                    })
            .findFirst()
            .orElse(null);
    Job job = RekeyJobFactory.build(rej, workerImage, target.getStatus().getKeyId(), gcp);
    boolean created = true;
    try {
      client.resource(job).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e; // transient: the framework retries with backoff
      }
      created = false; // launched by an earlier reconcile (or before a restart): never twice
    }
    s.setPhase(JobPhase.Running);
    s.setJobName(job.getMetadata().getName());
    s.setTargetKey(target.getMetadata().getName());
    s.setTargetKeyId(target.getStatus().getKeyId());
    s.setStartedAt(now.toString());
    Conditions.remove(s.getConditions(), Conditions.WAITING);
    if (!created) {
      return null;
    }
    events.normal(
        rej,
        Reason.JobCreated,
        "started Job "
            + job.getMetadata().getName()
            + ": "
            + rej.getSpec().getShards()
            + " shard(s), "
            + RekeyJobFactory.mode(rej.getSpec().getMode())
            + (Boolean.TRUE.equals(rej.getSpec().getDryRun()) ? " (dry run)" : "")
            + " onto "
            + target.getMetadata().getName());
    return null;
  }

  private String pending(ReencryptionJob rej, Reason reason, String message, Instant now) {
    ReencryptionJobStatus s = rej.getStatus();
    s.setPhase(JobPhase.Pending);
    boolean changed =
        !Conditions.find(s.getConditions(), Conditions.WAITING)
            .map(c -> reason.name().equals(c.getReason()))
            .orElse(false);
    Conditions.set(
        s.getConditions(),
        Conditions.WAITING,
        Conditions.TRUE,
        reason.name(),
        message,
        rej.getMetadata().getGeneration(),
        now);
    if (changed) {
      events.normal(rej, reason, message);
    }
    return message;
  }

  /** The primary key id the workers will read from the keyring Secret, or null. */
  private String keyringPrimary(String ns, String ring) {
    var secret = client.secrets().inNamespace(ns).withName(KeyringWriter.secretName(ring)).get();
    if (secret == null
        || secret.getData() == null
        || secret.getData().get(KeyringWriter.FILE) == null) {
      return null;
    }
    try {
      return Keyring.parse(
              java.util.Base64.getDecoder().decode(secret.getData().get(KeyringWriter.FILE)),
              dev.keyops.partition.DataKeyUnwrapper.NONE)
          .document()
          .primaryKeyId();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The ring's job that runs next: a running one, else the oldest pending. */
  private ReencryptionJob firstInQueue(String ns, String ring) {
    return client.resources(ReencryptionJob.class).inNamespace(ns).list().getItems().stream()
        .filter(j -> ring.equals(j.getSpec().getKeyRing()))
        .filter(j -> j.getMetadata().getDeletionTimestamp() == null)
        .filter(
            j ->
                j.getStatus() == null
                    || (j.getStatus().getPhase() != JobPhase.Succeeded
                        && j.getStatus().getPhase() != JobPhase.Failed))
        .min(
            Comparator.comparing(
                    (ReencryptionJob j) ->
                        j.getStatus() == null || j.getStatus().getJobName() == null)
                .thenComparing(j -> j.getMetadata().getCreationTimestamp())
                .thenComparing(j -> j.getMetadata().getName()))
        .orElse(null);
  }

  private void noteSpecChange(ReencryptionJob rej, Instant now) {
    ReencryptionJobStatus s = rej.getStatus();
    Long gen = rej.getMetadata().getGeneration();
    if (s.getObservedGeneration() != null && !s.getObservedGeneration().equals(gen)) {
      if (Conditions.set(
          s.getConditions(),
          "SpecChanged",
          Conditions.TRUE,
          Reason.SpecChanged.name(),
          "spec changed after the Job started; the running Job keeps its spec (a Job's pod template is immutable):"
              + " delete this ReencryptionJob and create a new one to apply the change",
          s.getObservedGeneration(),
          now)) {
        events.warning(
            rej,
            Reason.SpecChanged,
            "spec changes after the start are ignored: create a new ReencryptionJob");
      }
    }
  }

  private UpdateControl<ReencryptionJob> patch(ReencryptionJob rej, Duration reschedule) {
    ReencryptionJob fresh = new ReencryptionJob();
    fresh.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(rej.getMetadata().getName())
            .withNamespace(rej.getMetadata().getNamespace())
            .build());
    fresh.setStatus(rej.getStatus());
    UpdateControl<ReencryptionJob> u = UpdateControl.patchStatus(fresh);
    return reschedule == null ? u : u.rescheduleAfter(reschedule);
  }

  @Override
  public DeleteControl cleanup(ReencryptionJob rej, Context<ReencryptionJob> context) {
    // Deleting a ReencryptionJob stops its run: the Job, and with it its pods.
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(rej.getMetadata().getNamespace())
        .withName(RekeyJobFactory.jobName(rej))
        .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
        .delete();
    return DeleteControl.defaultDelete();
  }
}
