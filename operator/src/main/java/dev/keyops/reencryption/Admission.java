package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.key.KeyBundleWriter;
import dev.keyops.status.Reason;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * When a ReencryptionJob of a key ring may start. Pure: decided from the ring's keys, its keyring
 * Secret's primary and the ring's other jobs, as the caches hold them.
 *
 * <p>One job per key ring runs at a time. A job that has started holds the ring until it ends (and
 * a job that cannot progress ends: see {@link Stalls}). Of the jobs that have not started, the
 * oldest that can start now goes first; a job that waits for its target key, or names one that does
 * not exist, holds no one up.
 */
final class Admission {

  /** The keyring Secret as workers will read it: its primary key id, or why it cannot be used. */
  record KeyringState(String primaryKeyId, boolean unreadable) {}

  /** Either the key to rebuild onto, or why the job waits. */
  record Decision(EncryptionKey target, Reason reason, String message) {
    boolean ready() {
      return target != null;
    }

    static Decision wait(Reason reason, String message) {
      return new Decision(null, reason, message);
    }
  }

  private Admission() {}

  /** The target of a job that has not started, or why it cannot start yet. */
  static Decision target(ReencryptionJob rej, List<EncryptionKey> keys, KeyringState keyring) {
    String ring = rej.getSpec().getKeyRing();
    String named = rej.getSpec().getTargetKey();
    EncryptionKey target;
    if (named != null) {
      target =
          keys.stream()
              .filter(k -> k.getMetadata().getName().equals(named))
              .findFirst()
              .orElse(null);
      if (target == null) {
        return Decision.wait(
            Reason.TargetKeyNotFound,
            "EncryptionKey "
                + named
                + " of key ring "
                + ring
                + " not found: create it, or fix spec.targetKey in a new ReencryptionJob");
      }
      KeyState state = target.getStatus() == null ? null : target.getStatus().getState();
      if (state != KeyState.Primary) {
        return Decision.wait(
            Reason.WaitingForTargetKey,
            "waiting for EncryptionKey "
                + named
                + " to become Primary (now "
                + (state == null ? "new" : state)
                + "): set spec.activate: true on it");
      }
    } else {
      target =
          keys.stream()
              .filter(k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary)
              .findFirst()
              .orElse(null);
      if (target == null) {
        return Decision.wait(
            Reason.WaitingForTargetKey, "key ring " + ring + " has no Primary key: activate one");
      }
    }
    if (keyring.unreadable()) {
      return Decision.wait(
          Reason.KeyringUnreadable,
          "the keyring Secret "
              + KeyBundleWriter.secretName(ring)
              + " cannot be parsed: the EncryptionKey controller rewrites it; see the conditions"
              + " of the ring's EncryptionKeys");
    }
    if (!target.getStatus().getKeyId().equals(keyring.primaryKeyId())) {
      return Decision.wait(
          Reason.WaitingForTargetKey,
          "waiting for the keyring Secret "
              + KeyBundleWriter.secretName(ring)
              + " to name "
              + target.getMetadata().getName()
              + " as its Primary, so the workers rebuild onto it");
    }
    return new Decision(target, null, null);
  }

  /** A started job of the ring other than {@code rej} that has not ended: it holds the ring. */
  static Optional<ReencryptionJob> running(ReencryptionJob rej, Collection<ReencryptionJob> ring) {
    return ring.stream()
        .filter(j -> !same(j, rej) && active(j))
        .filter(j -> j.getStatus() != null && j.getStatus().getJobName() != null)
        .min(ORDER);
  }

  /** An older job of the ring that has not started and could start now: it goes first. */
  static Optional<ReencryptionJob> olderReady(
      ReencryptionJob rej,
      Collection<ReencryptionJob> ring,
      List<EncryptionKey> keys,
      KeyringState keyring) {
    return ring.stream()
        .filter(j -> !same(j, rej) && active(j))
        .filter(j -> j.getStatus() == null || j.getStatus().getJobName() == null)
        .filter(j -> ORDER.compare(j, rej) < 0)
        .filter(j -> target(j, keys, keyring).ready())
        .min(ORDER);
  }

  static boolean active(ReencryptionJob j) {
    return j.getMetadata().getDeletionTimestamp() == null
        && (j.getStatus() == null
            || (j.getStatus().getPhase() != JobPhase.Succeeded
                && j.getStatus().getPhase() != JobPhase.Failed));
  }

  private static boolean same(ReencryptionJob a, ReencryptionJob b) {
    return a.getMetadata().getName().equals(b.getMetadata().getName());
  }

  /** Oldest first; equal creation times (one-second resolution) by name. */
  static final Comparator<ReencryptionJob> ORDER =
      Comparator.comparing(
              (ReencryptionJob j) ->
                  j.getMetadata().getCreationTimestamp() == null
                      ? ""
                      : j.getMetadata().getCreationTimestamp())
          .thenComparing(j -> j.getMetadata().getName());
}
