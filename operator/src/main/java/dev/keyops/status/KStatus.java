package dev.keyops.status;

import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The conditions that kstatus (Flux's health checks, cli-utils) and {@code kubectl wait} read,
 * derived for every keyops kind in one place from what the controllers already recorded:
 *
 * <ul>
 *   <li>{@code Reconciling=True} while keyops works towards the desired state by itself (a key not
 *       validated yet or a Cloud KMS outage it retries, a ring rotating, a job waiting or running);
 *       removed once it is done.
 *   <li>{@code Stalled=True} when the object cannot progress without someone acting (invalid
 *       material, a missing Secret, Cloud KMS permission denied, a refused drop or disable, a ring
 *       that cannot rotate by itself, a job that failed or whose workers cannot run); set back to
 *       False, not removed, once it recovers, so its lastTransitionTime says when.
 *   <li>{@code Ready}: on KeyRings and ReencryptionJobs True exactly when neither of the above
 *       holds (the desired steady state: policy applied and not rotating; the rebuild Succeeded).
 *       An EncryptionKey's {@code Ready} keeps its own meaning (its material is valid and usable;
 *       promotion depends on it) and is an input here.
 * </ul>
 *
 * kstatus reads these abnormal-true conditions first: Stalled=True is Failed, Reconciling=True is
 * InProgress, an observedGeneration behind metadata.generation is InProgress, otherwise Ready
 * decides. Pure: the verdicts are functions of a status; {@link #record} writes them into the
 * conditions, changing nothing when the verdict is the same, so an idle operator writes nothing.
 */
public final class KStatus {

  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";

  /** Where an object stands, as kstatus names it: Current, InProgress, Failed. */
  public enum Progress {
    CURRENT,
    RECONCILING,
    STALLED
  }

  /** The progress of an object with the reason and message a user reads. */
  public record Verdict(Progress progress, String reason, String message) {

    static Verdict current(String reason, String message) {
      return new Verdict(Progress.CURRENT, reason, message);
    }

    static Verdict reconciling(String reason, String message) {
      return new Verdict(Progress.RECONCILING, reason, message);
    }

    static Verdict stalled(String reason, String message) {
      return new Verdict(Progress.STALLED, reason, message);
    }

    /** Reconciling when keyops retries this failure by itself, else Stalled. */
    static Verdict failure(Condition c) {
      return RETRIED.contains(c.getReason())
          ? reconciling(c.getReason(), c.getMessage())
          : stalled(c.getReason(), c.getMessage());
    }
  }

  /** Failure reasons keyops retries by itself, with backoff: nobody has to act. */
  private static final Set<String> RETRIED =
      names(
          Reason.KmsUnavailable,
          Reason.ApiServerUnavailable,
          Reason.Conflict,
          Reason.InternalError);

  /**
   * Why no worker of a running ReencryptionJob runs: the Stalled condition its run observer sets.
   */
  private static final Set<String> RUN_STALLS =
      names(
          Reason.ImagePullFailed,
          Reason.Unschedulable,
          Reason.WorkerCannotStart,
          Reason.ClaimNotBound,
          Reason.ClaimNotFound,
          Reason.WorkersNotStarted);

  private KStatus() {}

  /**
   * An EncryptionKey, from its conditions. A key being deleted is Stalled while the drop guard
   * refuses it and Reconciling while its destruction is scheduled; once let go (or kept, its
   * destruction cancelled) neither is True any more, and otherwise its conditions are left as they
   * are (kstatus reports it Terminating).
   *
   * @return the verdict, or empty to leave the conditions alone
   */
  public static Optional<Verdict> key(EncryptionKeyStatus s, boolean deleting) {
    List<Condition> cs = s.getConditions();
    Optional<Condition> error = falseCondition(cs, Conditions.RECONCILED);
    Optional<Condition> dropBlocked = trueCondition(cs, Conditions.DROP_BLOCKED);
    Optional<Condition> destroying = trueCondition(cs, Conditions.DESTROY_SCHEDULED);
    if (error.isPresent()) {
      return Optional.of(Verdict.failure(error.get()));
    }
    if (dropBlocked.isPresent()) {
      return Optional.of(Verdict.stalled(dropBlocked.get().getReason(), message(dropBlocked)));
    }
    if (destroying.isPresent()) {
      return Optional.of(Verdict.reconciling(destroying.get().getReason(), message(destroying)));
    }
    if (deleting) {
      // Let go (or kept by keyops.dev/keep): nothing is in progress or stuck any more.
      if (trueCondition(cs, STALLED).isEmpty() && trueCondition(cs, RECONCILING).isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          Conditions.find(cs, Conditions.DESTROY_SCHEDULED)
              .map(c -> Verdict.current(c.getReason(), c.getMessage()))
              .orElse(
                  Verdict.current(
                      Reason.DropAllowed.name(), "deleted: the drop guard lets the key go")));
    }
    Optional<Condition> ready = Conditions.find(cs, Conditions.READY);
    if (ready.isEmpty() || Conditions.UNKNOWN.equals(ready.get().getStatus())) {
      return Optional.of(
          Verdict.reconciling(
              Reason.Validating.name(),
              "keyops has not validated the key material yet"
                  + ready.map(c -> ": " + c.getMessage()).orElse("")));
    }
    if (!Conditions.TRUE.equals(ready.get().getStatus())) {
      return Optional.of(Verdict.failure(ready.get()));
    }
    Optional<Condition> atRisk = trueCondition(cs, Conditions.DATA_AT_RISK);
    if (atRisk.isPresent()) {
      return Optional.of(Verdict.stalled(atRisk.get().getReason(), message(atRisk)));
    }
    Optional<Condition> disableRefused = falseCondition(cs, Conditions.DISABLED);
    if (disableRefused.isPresent()
        && disableRefused.get().getReason() != null
        && disableRefused.get().getReason().startsWith("DisableRefused")) {
      return Optional.of(
          Verdict.stalled(disableRefused.get().getReason(), message(disableRefused)));
    }
    Optional<Condition> staging =
        Conditions.find(cs, "Promoted")
            .filter(c -> Reason.WaitingForReaders.name().equals(c.getReason()));
    if (staging.isPresent()) {
      return Optional.of(Verdict.reconciling(Reason.WaitingForReaders.name(), message(staging)));
    }
    return Optional.of(Verdict.current(ready.get().getReason(), ready.get().getMessage()));
  }

  /**
   * A KeyRing, from its policy and its rotation.
   *
   * @param policy Current with the policy applied, or Stalled when keyops cannot apply it (no key
   *     template; a manual rotation due)
   * @param pendingKey the key the ring created and has not activated yet, or null
   * @param pendingKeyStalled that key's Stalled condition when it is True, or null
   */
  public static Verdict ring(Verdict policy, String pendingKey, Condition pendingKeyStalled) {
    if (policy.progress() == Progress.STALLED || pendingKey == null) {
      return policy;
    }
    if (pendingKeyStalled != null) {
      return Verdict.stalled(
          Reason.RotationBlocked.name(),
          "rotating, but the new key "
              + pendingKey
              + " cannot become Ready: "
              + pendingKeyStalled.getReason()
              + ": "
              + pendingKeyStalled.getMessage());
    }
    return Verdict.reconciling(
        Reason.Rotating.name(),
        "rotating: the new key "
            + pendingKey
            + " is Staged; keyops activates it after spec.rotation.stagedFor once it is Ready");
  }

  /** A ReencryptionJob, from its phase and conditions. */
  public static Verdict job(ReencryptionJobStatus s) {
    List<Condition> cs = s.getConditions();
    JobPhase phase = s.getPhase();
    Optional<Condition> error = falseCondition(cs, Conditions.RECONCILED);
    if (phase == JobPhase.Failed) {
      Optional<Condition> failed = trueCondition(cs, Conditions.FAILED);
      return Verdict.stalled(
          failed.map(Condition::getReason).orElse(Reason.JobFailed.name()),
          failed
              .map(Condition::getMessage)
              .orElse("the rebuild failed: create a new job to retry"));
    }
    if (error.isPresent()) {
      return Verdict.failure(error.get());
    }
    if (phase == JobPhase.Succeeded) {
      return Verdict.current(
          Reason.JobSucceeded.name(),
          Conditions.find(cs, Conditions.COMPLETE)
              .map(Condition::getMessage)
              .orElse("every partition is on the target key"));
    }
    if (phase == JobPhase.Running) {
      Optional<Condition> suspended = trueCondition(cs, Conditions.SUSPENDED);
      if (suspended.isPresent()) {
        return Reason.InvalidWindow.name().equals(suspended.get().getReason())
            ? Verdict.stalled(suspended.get().getReason(), message(suspended))
            : Verdict.reconciling(suspended.get().getReason(), message(suspended));
      }
      Optional<Condition> stall =
          trueCondition(cs, STALLED).filter(c -> RUN_STALLS.contains(c.getReason()));
      if (stall.isPresent()) {
        return Verdict.stalled(stall.get().getReason(), message(stall));
      }
      return Verdict.reconciling(
          Reason.Running.name(),
          "the rebuild runs"
              + (s.getJobName() == null ? "" : " (Job " + s.getJobName() + ")")
              + "; Ready once every partition is on the target key");
    }
    Optional<Condition> waiting = trueCondition(cs, Conditions.WAITING);
    if (waiting.isPresent()) {
      return Reason.TargetKeyNotFound.name().equals(waiting.get().getReason())
          ? Verdict.stalled(waiting.get().getReason(), message(waiting))
          : Verdict.reconciling(waiting.get().getReason(), message(waiting));
    }
    return Verdict.reconciling(Reason.Pending.name(), "keyops has not started the rebuild yet");
  }

  private static Optional<Condition> trueCondition(List<Condition> cs, String type) {
    return Conditions.find(cs, type).filter(c -> Conditions.TRUE.equals(c.getStatus()));
  }

  private static Optional<Condition> falseCondition(List<Condition> cs, String type) {
    return Conditions.find(cs, type).filter(c -> Conditions.FALSE.equals(c.getStatus()));
  }

  private static String message(Optional<Condition> c) {
    return c.map(Condition::getMessage).orElse(null);
  }

  private static Set<String> names(Reason... reasons) {
    return java.util.Arrays.stream(reasons)
        .map(Enum::name)
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
  }
}
