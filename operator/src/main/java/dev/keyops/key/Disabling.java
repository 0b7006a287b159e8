package dev.keyops.key;

import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.status.Reason;

/**
 * Whether a key is Disabled, as a pure rule applied after {@link KeyLifecycle}'s plan.
 *
 * <ul>
 *   <li>{@code spec.disabled: true} on a Retired key makes it Disabled (out of the keyring Secret,
 *       material kept) only when the drop guard's inventory rule holds: an inventory completed
 *       after its retirement (per location, see {@link DropGuard}) counted no partition on it.
 *       Otherwise it stays Retired and the refusal is reported. There is no break glass: disabling
 *       exists to be safe.
 *   <li>A Primary or Staged key is never disabled (refused and reported).
 *   <li>{@code spec.disabled} false (or absent) on a Disabled key returns it to Retired.
 * </ul>
 */
public final class Disabling {

  private Disabling() {}

  /**
   * @param state the key's state after the lifecycle plan
   * @param disabled the {@code Disabled} condition's status, or null to remove it
   */
  public record Outcome(KeyState state, Boolean disabled, Reason reason, String message) {}

  /**
   * @param inventory the drop guard's inventory rule applied to the key as a Retired key without
   *     break glass ({@link DropGuard#decide}); read only when the key is Retired
   */
  public static Outcome decide(
      KeyState planned, boolean requested, String keyRing, DropGuard.Decision inventory) {
    KeyState s = planned == null ? KeyState.Staged : planned;
    if (s == KeyState.DestroyScheduled) {
      return new Outcome(s, null, null, null);
    }
    if (!requested) {
      if (s == KeyState.Disabled) {
        return new Outcome(
            KeyState.Retired,
            false,
            Reason.Enabled,
            "spec.disabled is false: back in the keyring Secret as a Retired (decrypt-only) key");
      }
      return new Outcome(s, null, null, null);
    }
    if (s == KeyState.Disabled) {
      return new Outcome(s, true, Reason.Disabled, disabledMessage());
    }
    if (s != KeyState.Retired) {
      return new Outcome(
          s,
          false,
          Reason.DisableRefusedPrimaryOrStaged,
          "disable refused: a "
              + s
              + " key cannot be disabled (it encrypts, or is about to): activate a newer key,"
              + " rebuild the partitions, then disable this one");
    }
    DropGuard.Decision d = inventory;
    if (d.allowed()) {
      return new Outcome(KeyState.Disabled, true, Reason.Disabled, disabledMessage());
    }
    Reason why =
        switch (d.reason()) {
          case DropRefusedPartitions -> Reason.DisableRefusedPartitions;
          case DropRefusedUnreadable -> Reason.DisableRefusedUnreadable;
          default -> Reason.DisableRefusedNoInventory;
        };
    return new Outcome(
        s,
        false,
        why,
        "disable refused: "
            + d.message()
                .replace(
                    ", or annotate keyops.dev/allow-data-loss=\"true\" to accept losing data", "")
            + "; the key is disabled once scans of every location of key ring "
            + keyRing
            + " find no partition on it");
  }

  private static String disabledMessage() {
    return "out of the keyring Secret (workloads cannot decrypt with it); material kept; set"
        + " spec.disabled: false to return it to Retired";
  }
}
