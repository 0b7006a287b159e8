package dev.keyops.ring;

import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.key.DropGuard;
import java.time.Duration;
import java.time.Instant;

/**
 * When a Retired key is disabled automatically ({@code spec.retention.disableAfter}): only once the
 * drop guard's inventory rule holds (fresh scans of every known location found no partition and no
 * unreadable file), and {@code disableAfter} has passed since the last of those scans. Never while
 * a scan finds data on the key.
 */
public final class RetentionRules {

  private RetentionRules() {}

  /**
   * @param inventory the drop guard's inventory rule for the key as a Retired key ({@link
   *     dev.keyops.key.Inventories#retired}): allowed means every known location was scanned,
   *     fresh, and found nothing on it; {@code clearedAt} is when the last of those scans completed
   * @return zero when the key should be disabled now, a positive duration to wait, or null when it
   *     is not (or not yet known to be) free of data
   */
  public static Duration disableIn(
      Instant now,
      KeyState state,
      boolean disabledAlready,
      DropGuard.Decision inventory,
      Duration disableAfter) {
    if (state != KeyState.Retired || disabledAlready || disableAfter == null) {
      return null;
    }
    if (!inventory.allowed() || inventory.clearedAt() == null) {
      return null;
    }
    Duration d = Duration.between(now, inventory.clearedAt().plus(disableAfter));
    return d.isNegative() ? Duration.ZERO : d;
  }
}
