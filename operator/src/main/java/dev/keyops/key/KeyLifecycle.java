package dev.keyops.key;

import dev.keyops.api.v1alpha1.KeyState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The state rules of one key ring, as a pure function of its keys.
 *
 * <ul>
 *   <li>A key starts Staged. It is eligible when {@code activate} is true and it is Ready; the
 *       first time it is, {@code eligibleAt} is recorded.
 *   <li>The Primary is the newest promotion: among the current Primary and the eligible Staged
 *       keys, the greatest by (eligibleAt, creationTimestamp, name). Every other one of them is
 *       Retired — so keys that became eligible together are promoted in order and the newest key
 *       encrypts, and a ring never keeps two Primaries (for example after a restart between two
 *       status writes).
 *   <li>A Retired key never returns. A Primary that loses Ready stays Primary. A key that asks to
 *       be activated while not Ready stays Staged and is reported ({@link
 *       Planned#activationRefused}).
 * </ul>
 */
public final class KeyLifecycle {

  private KeyLifecycle() {}

  /** What the rules need to know about a key. */
  public record KeyView(
      String name,
      Instant createdAt,
      KeyState state,
      boolean activate,
      boolean ready,
      Instant eligibleAt,
      Instant activatedAt,
      Instant retiredAt,
      boolean deleting) {

    KeyState stateOrStaged() {
      return state == null ? KeyState.Staged : state;
    }
  }

  /** The key as it should be. */
  public record Planned(
      String name,
      KeyState state,
      Instant eligibleAt,
      Instant activatedAt,
      Instant retiredAt,
      Transition transition,
      boolean activationRefused) {}

  /** The transition a plan makes for a key, if any. */
  public enum Transition {
    NONE,
    PROMOTED,
    RETIRED
  }

  private static final Comparator<KeyView> ORDER =
      Comparator.comparing((KeyView k) -> k.eligibleAt() == null ? Instant.MIN : k.eligibleAt())
          .thenComparing(k -> k.createdAt() == null ? Instant.MIN : k.createdAt())
          .thenComparing(KeyView::name);

  public static Map<String, Planned> plan(List<KeyView> keys, Instant now) {
    List<KeyView> stamped = new ArrayList<>();
    for (KeyView k : keys) {
      boolean eligible =
          k.activate() && k.ready() && k.stateOrStaged() == KeyState.Staged && !k.deleting();
      Instant eligibleAt = eligible && k.eligibleAt() == null ? now : k.eligibleAt();
      if (k.stateOrStaged() == KeyState.Primary && eligibleAt == null) {
        // A Primary from before eligibleAt was recorded: it became eligible when activated.
        eligibleAt = k.activatedAt() == null ? Instant.MIN : k.activatedAt();
      }
      stamped.add(
          new KeyView(
              k.name(),
              k.createdAt(),
              k.stateOrStaged(),
              k.activate(),
              k.ready(),
              eligibleAt,
              k.activatedAt(),
              k.retiredAt(),
              k.deleting()));
    }
    List<KeyView> candidates =
        stamped.stream()
            .filter(
                k ->
                    k.state() == KeyState.Primary
                        || (k.state() == KeyState.Staged
                            && k.activate()
                            && k.ready()
                            && !k.deleting()))
            .toList();
    KeyView winner = candidates.stream().max(ORDER).orElse(null);

    Map<String, Planned> out = new LinkedHashMap<>();
    for (KeyView k : stamped) {
      KeyState state = k.state();
      Instant activatedAt = k.activatedAt();
      Instant retiredAt = k.retiredAt();
      Transition t = Transition.NONE;
      if (k == winner) {
        if (state != KeyState.Primary) {
          state = KeyState.Primary;
          activatedAt = now;
          t = Transition.PROMOTED;
        }
      } else if (candidates.contains(k)) {
        if (state == KeyState.Staged) {
          // Eligible together with a newer key: promoted and retired in the same step.
          activatedAt = now;
        }
        state = KeyState.Retired;
        retiredAt = now;
        t = Transition.RETIRED;
      }
      boolean refused = k.activate() && !k.ready() && state == KeyState.Staged;
      out.put(
          k.name(),
          new Planned(
              k.name(),
              state,
              Objects.equals(k.eligibleAt(), Instant.MIN) ? null : k.eligibleAt(),
              activatedAt,
              retiredAt,
              t,
              refused));
    }
    return out;
  }
}
