package dev.keyops.status;

import dev.keyops.api.v1alpha1.KeyopsStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Instant;
import java.util.Optional;

/**
 * The status one reconcile builds for one resource (keycloak's status aggregator): the conditions
 * it sets all carry the generation the reconcile observed and its one clock reading; a condition's
 * lastTransitionTime moves only when its status does; the kstatus conditions (Reconciling, Stalled,
 * and Ready where kstatus owns it) are derived from a {@link KStatus.Verdict} here and nowhere
 * else. The built status is written once, by {@link StatusWriter}.
 */
public final class StatusBuilder<S extends KeyopsStatus> {

  private final S status;
  private final Long generation;
  private final Instant now;

  private StatusBuilder(S status, Long generation, Instant now) {
    this.status = status;
    this.generation = generation;
    this.now = now;
  }

  /** Builds on {@code status} (the reconcile's own copy) for {@code resource} at {@code now}. */
  public static <S extends KeyopsStatus> StatusBuilder<S> of(
      HasMetadata resource, S status, Instant now) {
    return new StatusBuilder<>(status, resource.getMetadata().getGeneration(), now);
  }

  public S status() {
    return status;
  }

  public Instant now() {
    return now;
  }

  /** Records that this status describes the resource's current generation. */
  public StatusBuilder<S> observed() {
    status.setObservedGeneration(generation);
    return this;
  }

  /**
   * Sets a condition.
   *
   * @return true when its status changed (or it is new): a transition worth an event
   */
  public boolean set(String type, boolean value, Reason reason, String message) {
    return set(type, Conditions.status(value), reason.name(), message);
  }

  /** Sets a condition to Unknown: keyops cannot tell yet. */
  public boolean unknown(String type, Reason reason, String message) {
    return set(type, Conditions.UNKNOWN, reason.name(), message);
  }

  /** Removes a condition; returns true if it was present. */
  public boolean remove(String type) {
    return Conditions.remove(status.getConditions(), type);
  }

  public Optional<Condition> find(String type) {
    return status.condition(type);
  }

  public boolean isTrue(String type) {
    return status.isTrue(type);
  }

  /** Whether the condition is present and False. */
  public boolean isFalse(String type) {
    return find(type).map(c -> Conditions.FALSE.equals(c.getStatus())).orElse(false);
  }

  /** Whether the condition is present with this reason. */
  public boolean hasReason(String type, Reason reason) {
    return find(type).map(c -> reason.name().equals(c.getReason())).orElse(false);
  }

  /**
   * The kstatus conditions from a verdict: Reconciling present only while reconciling; Stalled True
   * while stalled and set False when it no longer is; with {@code ready}, also the Ready condition
   * (True exactly when Current).
   */
  public void kstatus(KStatus.Verdict v, boolean ready) {
    String message = v.message() == null ? "" : v.message();
    if (v.progress() == KStatus.Progress.RECONCILING) {
      set(KStatus.RECONCILING, Conditions.TRUE, v.reason(), message);
    } else {
      remove(KStatus.RECONCILING);
    }
    if (v.progress() == KStatus.Progress.STALLED) {
      set(KStatus.STALLED, Conditions.TRUE, v.reason(), message);
    } else if (isTrue(KStatus.STALLED)) {
      set(KStatus.STALLED, Conditions.FALSE, v.reason(), message);
    }
    if (ready) {
      set(
          Conditions.READY,
          Conditions.status(v.progress() == KStatus.Progress.CURRENT),
          v.reason(),
          message);
    }
  }

  private boolean set(String type, String value, String reason, String message) {
    return Conditions.set(status.getConditions(), type, value, reason, message, generation, now);
  }
}
