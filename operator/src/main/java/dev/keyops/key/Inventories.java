package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import java.time.Duration;
import java.util.Collection;

/**
 * The drop guard's inventory rule with the operator's settings: the propagation margin and the
 * locations each KeyRing declares. Shared by the drop guard, disabling and the KeyRing retention,
 * so all three let a key go on exactly the same evidence.
 */
public final class Inventories {

  private final Duration margin;
  private final RingPolicy policies;

  /**
   * @param margin how long after a key's retirement a scan must start to count: writers learn of
   *     the retirement only when their mounted keyring Secret is refreshed
   * @param policies the KeyRings, for the locations they declare
   */
  public Inventories(Duration margin, RingPolicy policies) {
    this.margin = margin;
    this.policies = policies;
  }

  public Duration margin() {
    return margin;
  }

  /** The drop guard's decision for a key, given every key of its ring. */
  public DropGuard.Decision drop(EncryptionKey k, Collection<EncryptionKey> ringKeys) {
    return DropGuard.decide(input(k, ringKeys));
  }

  /** The inventory rule alone: the key as a Retired key, without break glass. */
  public DropGuard.Decision retired(EncryptionKey k, Collection<EncryptionKey> ringKeys) {
    DropGuard.Input in = input(k, ringKeys);
    return DropGuard.decide(
        new DropGuard.Input(
            KeyState.Retired,
            in.keyRing(),
            in.retiredAt(),
            in.knownLocations(),
            in.scans(),
            in.margin(),
            false));
  }

  private DropGuard.Input input(EncryptionKey k, Collection<EncryptionKey> ringKeys) {
    return DropGuard.input(
        k,
        ringKeys,
        policies.declaredLocations(k.getMetadata().getNamespace(), k.getSpec().getKeyRing()),
        margin);
  }
}
