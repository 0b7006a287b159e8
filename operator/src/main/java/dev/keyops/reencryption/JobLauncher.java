package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.observability.EventRecorder;
import dev.keyops.rekey.ByteRate;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Starts the Job of a ReencryptionJob that may run: checks its claim, creates the Job (or adopts
 * the one an earlier reconcile created, only when it is owned by this ReencryptionJob's UID), and
 * returns why a Job cannot run (a storage problem, a Job the API server refuses, a foreign Job of
 * the same name) for the caller to end the job Failed with, rather than a retry loop.
 */
final class JobLauncher {

  private final KubernetesClient client;
  private final EventRecorder events;
  private final String workerImage;
  private final List<String> workerImagePullSecrets;
  private InformerEventSource<Job, ReencryptionJob> jobCache;

  JobLauncher(
      KubernetesClient client,
      EventRecorder events,
      String workerImage,
      List<String> workerImagePullSecrets) {
    this.client = client;
    this.events = events;
    this.workerImage = workerImage;
    this.workerImagePullSecrets = workerImagePullSecrets;
  }

  void jobCache(InformerEventSource<Job, ReencryptionJob> jobs) {
    this.jobCache = jobs;
  }

  /** What a launch needs: the job, the status it fills in, the target key and the ring's keys. */
  record Launch(
      ReencryptionJob rej,
      ReencryptionJobStatus status,
      EncryptionKey target,
      List<EncryptionKey> keys,
      Context<ReencryptionJob> context,
      boolean suspended,
      Instant now) {}

  /** How creating the Job went: created, adopted (ours already), or refused with a problem. */
  private record Attempt(boolean created, Stalls.Problem refused) {
    static final Attempt CREATED = new Attempt(true, null);
    static final Attempt ADOPTED = new Attempt(false, null);

    static Attempt refused(Stalls.Problem p) {
      return new Attempt(false, p);
    }
  }

  /**
   * Creates the Job unless this job already has one, and sets the status Running.
   *
   * @return why the Job cannot run (the caller ends the job Failed with it), or empty
   */
  Optional<Stalls.Problem> launch(Launch l) {
    ReencryptionJob rej = l.rej();
    Job existing =
        l.context().getSecondaryResource(Job.class).filter(j -> ownedBy(j, rej)).orElse(null);
    Attempt attempt = Attempt.ADOPTED;
    if (existing == null) {
      try {
        RekeyJobFactory.plaintextParquet(rej.getSpec().getParquet());
      } catch (IllegalArgumentException e) {
        return Optional.of(new Stalls.Problem(Reason.InvalidJob, e.getMessage()));
      }
      String ns = rej.getMetadata().getNamespace();
      List<Locations.Entry> locations =
          Locations.entries(rej.getSpec().getStorage(), labels -> claimsMatching(ns, labels));
      Stalls.Problem problem = storageProblem(ns, rej, locations);
      if (problem != null) {
        return Optional.of(problem);
      }
      attempt = create(l, locations);
      if (attempt.refused() != null) {
        return Optional.of(attempt.refused());
      }
    }
    markRunning(l);
    if (attempt.created()) {
      announceCreated(rej, l.target());
    }
    return Optional.empty();
  }

  /** Creates the Job, paused when the job is suspended or outside its windows. */
  private Attempt create(Launch l, List<Locations.Entry> locations) {
    ReencryptionJob rej = l.rej();
    Job job =
        RekeyJobFactory.build(
            rej,
            workerImage,
            workerImagePullSecrets,
            l.target().getStatus().getKeyId(),
            WorkerCredentials.of(l.keys()),
            locations);
    if (l.suspended()) {
      job.getSpec().setSuspend(true); // spec.suspend or outside its windows: created paused
    }
    try {
      Job made = client.resource(job).create();
      if (jobCache != null) {
        jobCache.handleRecentResourceCreate(ResourceID.fromResource(made), made);
      }
      return Attempt.CREATED;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 400 || e.getCode() == 422) {
        return Attempt.refused(invalidJob(RekeyJobFactory.jobName(rej), e));
      }
      if (e.getCode() != 409) {
        throw e; // transient: the framework retries with backoff
      }
      return afterNameConflict(rej, e);
    }
  }

  /**
   * A Job of that name exists: ours (adopted), a predecessor's still being deleted (retry), or a
   * foreign one (refused).
   */
  private Attempt afterNameConflict(ReencryptionJob rej, KubernetesClientException e) {
    String ns = rej.getMetadata().getNamespace();
    String name = RekeyJobFactory.jobName(rej);
    Job found = client.batch().v1().jobs().inNamespace(ns).withName(name).get();
    if (found == null || (!ownedBy(found, rej) && isDeleting(found))) {
      throw e; // gone meanwhile, or a predecessor's Job still being deleted: retry
    }
    if (!ownedBy(found, rej)) {
      return Attempt.refused(foreignJob(ns, name));
    }
    // Ours, created by an earlier reconcile whose status write was lost: never a second one.
    return Attempt.ADOPTED;
  }

  private static Stalls.Problem invalidJob(String name, KubernetesClientException e) {
    return new Stalls.Problem(
        Reason.InvalidJob,
        "the API server refused the worker Job "
            + name
            + " ("
            + (e.getStatus() == null ? "HTTP " + e.getCode() : e.getStatus().getMessage())
            + "): fix the spec (worker overrides or template) and create a new"
            + " ReencryptionJob");
  }

  private static Stalls.Problem foreignJob(String ns, String name) {
    return new Stalls.Problem(
        Reason.JobNameConflict,
        "a Job named "
            + name
            + " already exists in namespace "
            + ns
            + " and is not controlled by this ReencryptionJob: keyops leaves it alone;"
            + " delete or rename that Job, then create a new ReencryptionJob");
  }

  private static void markRunning(Launch l) {
    ReencryptionJobStatus s = l.status();
    s.setPhase(JobPhase.Running);
    s.setJobName(RekeyJobFactory.jobName(l.rej()));
    s.setTargetKey(l.target().getMetadata().getName());
    s.setTargetKeyId(l.target().getStatus().getKeyId());
    s.setStartedAt(l.now().toString());
    // What the first observation of a Job with no results yet reports, written with Running, so
    // that observation finds nothing to change and writes nothing.
    ResultAggregation.Totals none = ResultAggregation.aggregate(List.of(), 1);
    s.setPartitions(none.partitions());
    s.setByKey(none.byKeyBefore());
    Conditions.remove(s.getConditions(), Conditions.WAITING);
  }

  private void announceCreated(ReencryptionJob rej, EncryptionKey target) {
    events.normal(
        rej,
        Reason.JobCreated,
        "started Job "
            + RekeyJobFactory.jobName(rej)
            + ": "
            + rej.getSpec().getShards()
            + " shard(s), "
            + RekeyJobFactory.mode(rej.getSpec().getMode())
            + (Boolean.TRUE.equals(rej.getSpec().getDryRun()) ? " (dry run)" : "")
            + " onto "
            + target.getMetadata().getName()
            + (rej.getSpec().getBytesPerSecond() == null
                ? ""
                : ", each worker throttled to "
                    + ByteRate.format(rej.getSpec().getBytesPerSecond())));
  }

  /**
   * The claims of the namespace a selector matches, sorted by name: one list call when a job starts
   * (the selector is resolved once; the Job's pods mount what it found).
   */
  private List<String> claimsMatching(String ns, java.util.Map<String, String> labels) {
    return client
        .persistentVolumeClaims()
        .inNamespace(ns)
        .withLabels(labels)
        .list()
        .getItems()
        .stream()
        .filter(c -> Locations.matches(labels, c.getMetadata().getLabels()))
        .map(c -> c.getMetadata().getName())
        .sorted()
        .toList();
  }

  /** Why the job's storage cannot be scanned as it is, or null. */
  private Stalls.Problem storageProblem(
      String ns, ReencryptionJob rej, List<Locations.Entry> locations) {
    if (locations.isEmpty()) {
      return new Stalls.Problem(
          Reason.ClaimNotFound,
          "no PersistentVolumeClaim in namespace "
              + ns
              + " matches spec.storage.selector "
              + rej.getSpec().getStorage().getSelector().getMatchLabels()
              + ": label the claims (or fix the selector), then create a new ReencryptionJob");
    }
    String conflict = Locations.selectionConflict(locations);
    if (conflict != null) {
      return new Stalls.Problem(Reason.InvalidJob, conflict);
    }
    for (String claim : locations.stream().map(Locations.Entry::claimName).distinct().toList()) {
      if (client.persistentVolumeClaims().inNamespace(ns).withName(claim).get() == null) {
        return new Stalls.Problem(
            Reason.ClaimNotFound,
            "PersistentVolumeClaim "
                + claim
                + " not found in namespace "
                + ns
                + ": create it (or fix spec.storage), then create a new ReencryptionJob");
      }
    }
    return null;
  }

  /** Stops a run: deletes its Job, and the garbage collector its pods. */
  static void stop(KubernetesClient client, Job job) {
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(job.getMetadata().getNamespace())
        .withName(job.getMetadata().getName())
        .withPropagationPolicy(DeletionPropagation.BACKGROUND)
        .delete();
  }

  /** The Job's controller is this ReencryptionJob (by UID: a same-named predecessor is not). */
  static boolean ownedBy(Job job, ReencryptionJob rej) {
    return job.getMetadata().getOwnerReferences() != null
        && job.getMetadata().getOwnerReferences().stream()
            .anyMatch(
                o ->
                    Boolean.TRUE.equals(o.getController())
                        && o.getUid() != null
                        && o.getUid().equals(rej.getMetadata().getUid()));
  }

  private static boolean isDeleting(Job job) {
    return job.getMetadata().getDeletionTimestamp() != null;
  }
}
