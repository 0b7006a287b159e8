package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.PartitionCount;
import dev.keyops.observability.Reason;
import java.time.Instant;

/**
 * Whether a key may be dropped (deleted), as a pure rule.
 *
 * <ul>
 *   <li>A Staged key never encrypted anything: always.
 *   <li>A Primary key: never; activate another key first.
 *   <li>A Retired key: only when an inventory completed after its retirement counted no partition
 *       on it, or with the break-glass annotation {@code keyops.dev/allow-data-loss: "true"}.
 * </ul>
 */
public final class DropGuard {

  private DropGuard() {}

  public record Decision(boolean allowed, Reason reason, String message) {}

  /**
   * The rule applied to a key as the API shows it: its state, retirement, last inventory and the
   * break-glass annotation. The drop-guard finalizer and {@code kubectl keyops can-drop} both
   * decide with this.
   */
  public static Decision decide(EncryptionKey k) {
    EncryptionKeyStatus s = k.getStatus() == null ? new EncryptionKeyStatus() : k.getStatus();
    PartitionCount p = s.getPartitions();
    boolean breakGlass =
        k.getMetadata().getAnnotations() != null
            && "true"
                .equals(
                    k.getMetadata().getAnnotations().get(EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION));
    return decide(
        s.getState(),
        k.getSpec().getKeyRing(),
        instant(s.getRetiredAt()),
        p == null ? null : p.getCount(),
        p == null ? null : instant(p.getCountedAt()),
        breakGlass);
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  /**
   * @param partitions partitions on the key in the last completed inventory, or null if none
   * @param countedAt when that inventory completed
   */
  public static Decision decide(
      KeyState state,
      String keyRing,
      Instant retiredAt,
      Long partitions,
      Instant countedAt,
      boolean allowDataLoss) {
    KeyState s = state == null ? KeyState.Staged : state;
    switch (s) {
      case Staged:
        return new Decision(true, Reason.DropAllowed, "a Staged key never encrypted anything");
      case Primary:
        return new Decision(
            false,
            Reason.DropRefusedPrimary,
            "this key is the Primary of key ring "
                + keyRing
                + ": activate a new key (it retires this one), run a ReencryptionJob, then drop this key");
      default:
        break;
    }
    if (allowDataLoss) {
      return new Decision(
          true,
          Reason.DropWithDataLoss,
          "dropped with keyops.dev/allow-data-loss: partitions still on this key can no longer be read");
    }
    boolean fresh =
        partitions != null
            && countedAt != null
            && (retiredAt == null || !countedAt.isBefore(retiredAt));
    if (!fresh) {
      return new Decision(
          false,
          Reason.DropRefusedNoInventory,
          "no inventory of key ring "
              + keyRing
              + " completed since this key was retired: run a"
              + " ReencryptionJob for it (dryRun: true only counts), or annotate keyops.dev/allow-data-loss=\"true\" to accept losing data");
    }
    if (partitions > 0) {
      return new Decision(
          false,
          Reason.DropRefusedPartitions,
          partitions
              + " partition(s) of key ring "
              + keyRing
              + " still use this key: run a"
              + " ReencryptionJob to rebuild them, or annotate keyops.dev/allow-data-loss=\"true\" to accept losing them");
    }
    return new Decision(true, Reason.DropAllowed, "no partition uses this key any more");
  }
}
