package dev.keyops.status;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Typed status conditions. A condition's lastTransitionTime changes only when its status changes,
 * so `kubectl describe` tells how long a key has been in its current condition.
 */
public final class Conditions {

  public static final String READY = "Ready";
  public static final String KMS_ACCESS_VERIFIED = "KmsAccessVerified";
  public static final String DROP_BLOCKED = "DropBlocked";
  public static final String DATA_AT_RISK = "DataAtRisk";
  public static final String COMPLETE = "Complete";
  public static final String FAILED = "Failed";
  public static final String WAITING = "Waiting";
  public static final String DISABLED = "Disabled";
  public static final String PROMOTED = "Promoted";
  public static final String DESTROY_SCHEDULED = "DestroyScheduled";
  public static final String SUSPENDED = "Suspended";

  /** False while reconciling the object fails; removed once it succeeds again. */
  public static final String RECONCILED = "Reconciled";

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private Conditions() {}

  /**
   * Sets a condition in place.
   *
   * @return true when the condition's status changed (a transition worth an event)
   */
  public static boolean set(
      List<Condition> conditions,
      String type,
      String status,
      String reason,
      String message,
      Long observedGeneration,
      Instant now) {
    Optional<Condition> existing = find(conditions, type);
    if (existing.isEmpty()) {
      Condition c = new Condition();
      c.setType(type);
      c.setStatus(status);
      c.setReason(reason);
      c.setMessage(message);
      c.setObservedGeneration(observedGeneration);
      c.setLastTransitionTime(now.toString());
      conditions.add(c);
      return true;
    }
    Condition c = existing.get();
    boolean transition = !Objects.equals(c.getStatus(), status);
    if (transition) {
      c.setLastTransitionTime(now.toString());
    }
    c.setStatus(status);
    c.setReason(reason);
    c.setMessage(message);
    c.setObservedGeneration(observedGeneration);
    return transition;
  }

  /** Removes a condition; returns true if it was present. */
  public static boolean remove(List<Condition> conditions, String type) {
    return conditions.removeIf(c -> type.equals(c.getType()));
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }

  /** Maps a boolean to the condition status strings. */
  public static String status(boolean value) {
    return value ? TRUE : FALSE;
  }
}
