package dev.keyops.key;

import java.time.Duration;
import java.util.Optional;

/** What the EncryptionKey controller needs to know of a key ring's KeyRing policy, if any. */
public interface RingPolicy {

  /** How long a deleted key's material is kept, from its KeyRing's retention.destroyAfter. */
  Optional<Duration> destroyAfter(String namespace, String keyRing);

  /**
   * Called after a key of the ring was reconciled (its status may have changed), so the ring's
   * KeyRing, if any, looks again. Never blocks.
   */
  default void keyChanged(String namespace, String keyRing) {}

  /**
   * The storage locations ({@code <claimName>} or {@code <claimName>/<subPath>}) the ring's KeyRing
   * declares: each needs a fresh scan before a Retired key of the ring can go.
   */
  default java.util.Set<String> declaredLocations(String namespace, String keyRing) {
    return java.util.Set.of();
  }

  /** No KeyRing objects at all (every ring behaves as without a policy). */
  RingPolicy NONE = (ns, ring) -> Optional.empty();
}
