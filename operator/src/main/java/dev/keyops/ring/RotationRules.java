package dev.keyops.ring;

import dev.keyops.status.Reason;
import java.time.Duration;
import java.time.Instant;

/**
 * When a key ring rotates, as a pure rule.
 *
 * <ul>
 *   <li>The next rotation is due one period after the last rotation this KeyRing made, else after
 *       the current Primary was activated, else after the KeyRing was created. An on-demand request
 *       makes it due at once.
 *   <li>While a key this KeyRing created is still Staged, nothing new is created: it is activated
 *       once it has been Staged for {@code stagedFor} and is Ready (every reader learned it).
 *   <li>A ring without a key template cannot make material: a due rotation is only reported.
 *   <li>An on-demand request is acted on (a new key) or refused with a reason, never dropped: see
 *       {@link #refusal}.
 * </ul>
 */
public final class RotationRules {

  private RotationRules() {}

  /** What the KeyRing controller should do now. */
  public enum Action {
    NONE,
    CREATE,
    ACTIVATE
  }

  /** A key this KeyRing created (at {@code createdAt}, its clock) and has not seen promoted yet. */
  public record Pending(Instant createdAt, boolean activateSet, boolean ready) {}

  /**
   * @param nextRotation when the next automatic rotation is due
   * @param due whether a rotation is due now (or one is in progress)
   * @param wakeIn when to look again without any event, or null
   */
  public record Decision(Action action, Instant nextRotation, boolean due, Duration wakeIn) {}

  /**
   * Everything the rotation rule reads.
   *
   * @param now the reconcile's clock
   * @param period the ring's rotation period
   * @param stagedFor how long a rotation's key stays Staged before it is activated
   * @param canRotate the ring has a key template
   * @param lastRotation when the ring last rotated, or null
   * @param primaryActivatedAt when the current Primary was activated, or null
   * @param previousNext the next rotation time last recorded, or null
   * @param ringHasKeys the ring has any key at all
   * @param requested a rotate-now request is waiting
   * @param pending the rotation under way, or null
   */
  public record Input(
      Instant now,
      Duration period,
      Duration stagedFor,
      boolean canRotate,
      Instant lastRotation,
      Instant primaryActivatedAt,
      Instant previousNext,
      boolean ringHasKeys,
      boolean requested,
      Pending pending) {}

  public static Decision decide(Input in) {
    Instant now = in.now();
    Duration period = in.period();
    Duration stagedFor = in.stagedFor();
    boolean canRotate = in.canRotate();
    Instant lastRotation = in.lastRotation();
    Instant primaryActivatedAt = in.primaryActivatedAt();
    Instant previousNext = in.previousNext();
    boolean ringHasKeys = in.ringHasKeys();
    boolean requested = in.requested();
    Pending pending = in.pending();
    Instant anchor = lastRotation != null ? lastRotation : primaryActivatedAt;
    Instant next;
    if (anchor != null) {
      next = anchor.plus(period);
    } else if (!ringHasKeys) {
      next = now;
    } else {
      next = previousNext != null ? previousNext : now.plus(period);
    }
    if (pending != null) {
      if (pending.activateSet()) {
        return new Decision(Action.NONE, next, true, null); // promotion is the key's own business
      }
      Instant activateAt = pending.createdAt().plus(stagedFor);
      if (!now.isBefore(activateAt) && pending.ready()) {
        return new Decision(Action.ACTIVATE, next, true, null);
      }
      // Not Ready yet: the key's status change wakes the ring; until stagedFor has passed: wake
      // then.
      return new Decision(
          Action.NONE, next, true, now.isBefore(activateAt) ? until(now, activateAt) : null);
    }
    boolean due = requested || !now.isBefore(next);
    if (due) {
      return new Decision(canRotate ? Action.CREATE : Action.NONE, next, true, null);
    }
    return new Decision(Action.NONE, next, false, until(now, next));
  }

  /**
   * Why an on-demand rotation request cannot be acted on now, or null when it can (a new key is
   * created at once). A request during a rotation under way is refused, not queued: that rotation
   * already replaces the current Primary once its key has been Staged for stagedFor, and a queued
   * request would make a second key nobody asked for by then; the refusal says when to ask again.
   *
   * @param canRotate the ring has a key template
   * @param rotating a key this KeyRing created is not promoted yet
   * @param blocked that key cannot become Ready (it is Stalled)
   */
  public static Reason refusal(boolean canRotate, boolean rotating, boolean blocked) {
    if (!canRotate) {
      return Reason.NoKeyTemplate;
    }
    if (rotating) {
      return blocked ? Reason.RotationBlocked : Reason.RotationInProgress;
    }
    return null;
  }

  private static Duration until(Instant now, Instant then) {
    Duration d = Duration.between(now, then);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
