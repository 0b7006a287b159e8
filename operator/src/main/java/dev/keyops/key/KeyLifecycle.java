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
 *   <li>A key starts Staged. It is eligible when {@code activate} is true, it is Ready, and it has
 *       been in the keyring Secret for its {@code stagedFor} ({@link KeyView#promotableAt}):
 *       readers must learn a key before any writer encrypts with it, and kubelets refresh a mounted
 *       Secret a minute or more apart. The first time it is eligible, {@code eligibleAt} is
 *       recorded; until then a key that asks to be activated reports when it can be ({@link
 *       Planned#stagedUntil}).
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

  /**
   * What the rules need to know about a key.
   *
   * @param promotableAt when the key will have been in the keyring Secret for its {@code stagedFor}
   *     (inKeyringSince + stagedFor); null while keyops has not written it there yet
   */
  public record KeyView(
      String name,
      Instant createdAt,
      KeyState state,
      boolean activate,
      boolean ready,
      Instant eligibleAt,
      Instant activatedAt,
      Instant retiredAt,
      boolean deleting,
      Instant promotableAt) {

    KeyState stateOrStaged() {
      return state == null ? KeyState.Staged : state;
    }

    /** Activation asked for, Ready, and staged long enough at {@code now}. */
    boolean eligible(Instant now) {
      return activate
          && ready
          && stateOrStaged() == KeyState.Staged
          && !deleting
          && stagedLongEnough(now);
    }

    boolean stagedLongEnough(Instant now) {
      return promotableAt != null && !now.isBefore(promotableAt);
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
      boolean activationRefused,
      Instant stagedUntil,
      boolean waitingForKeyring) {

    /** True while the key asks to be activated and waits for readers to learn it. */
    public boolean waitingForReaders() {
      return stagedUntil != null || waitingForKeyring;
    }
  }

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
      boolean eligible = k.eligible(now);
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
              k.deleting(),
              k.promotableAt()));
    }
    List<KeyView> candidates =
        stamped.stream().filter(k -> k.state() == KeyState.Primary || k.eligible(now)).toList();
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
      boolean waiting =
          k.activate() && state == KeyState.Staged && !k.deleting() && !k.stagedLongEnough(now);
      out.put(
          k.name(),
          new Planned(
              k.name(),
              state,
              Objects.equals(k.eligibleAt(), Instant.MIN) ? null : k.eligibleAt(),
              activatedAt,
              retiredAt,
              t,
              refused,
              waiting && k.promotableAt() != null ? k.promotableAt() : null,
              waiting && k.promotableAt() == null));
    }
    return out;
  }
}
