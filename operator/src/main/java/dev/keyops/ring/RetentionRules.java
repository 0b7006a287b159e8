package dev.keyops.ring;

import dev.keyops.api.v1alpha1.KeyState;
import java.time.Duration;
import java.time.Instant;

/**
 * When a Retired key is disabled automatically ({@code spec.retention.disableAfter}): only once an
 * inventory completed after its retirement counted no partition on it, and {@code disableAfter} has
 * passed since that inventory. Never while the last inventory finds data on the key.
 */
public final class RetentionRules {

  private RetentionRules() {}

  /**
   * @return zero when the key should be disabled now, a positive duration to wait, or null when it
   *     is not (or not yet known to be) free of data
   */
  public static Duration disableIn(
      Instant now,
      KeyState state,
      boolean disabledAlready,
      Instant retiredAt,
      Long partitions,
      Instant countedAt,
      Duration disableAfter) {
    if (state != KeyState.Retired || disabledAlready || disableAfter == null) {
      return null;
    }
    if (partitions == null || partitions != 0 || countedAt == null) {
      return null;
    }
    if (retiredAt != null && countedAt.isBefore(retiredAt)) {
      return null; // counted before the key was retired: new data may have been written since
    }
    Duration d = Duration.between(now, countedAt.plus(disableAfter));
    return d.isNegative() ? Duration.ZERO : d;
  }
}
