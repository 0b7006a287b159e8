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
   * What the rule looks at for one key.
   *
   * @param inventory the drop guard's inventory rule for the key as a Retired key ({@link
   *     dev.keyops.key.Inventories#retired}): allowed means every known location was scanned,
   *     fresh, and found nothing on it; {@code clearedAt} is when the last of those scans completed
   * @param disableAfter the ring's spec.retention.disableAfter, or null
   */
  public record Input(
      Instant now,
      KeyState state,
      boolean disabledAlready,
      DropGuard.Decision inventory,
      Duration disableAfter) {}

  /**
   * @return zero when the key should be disabled now, a positive duration to wait, or null when it
   *     is not (or not yet known to be) free of data
   */
  public static Duration disableIn(Input in) {
    if (in.state() != KeyState.Retired || in.disabledAlready() || in.disableAfter() == null) {
      return null;
    }
    DropGuard.Decision inventory = in.inventory();
    if (!inventory.allowed() || inventory.clearedAt() == null) {
      return null;
    }
    Duration d = Duration.between(in.now(), inventory.clearedAt().plus(in.disableAfter()));
    return d.isNegative() ? Duration.ZERO : d;
  }
}
