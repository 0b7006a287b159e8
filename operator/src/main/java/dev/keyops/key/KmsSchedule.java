package dev.keyops.key;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * When each gcpKms key is next checked against Cloud KMS, held in memory (never in status, so a
 * failure writes nothing and the write cannot wake the key early).
 *
 * <ul>
 *   <li>After a success: the revalidation interval, +-10% so keys created together spread out.
 *   <li>After a transient failure: 15 s, doubling per failure in a row, capped at the interval.
 *   <li>After a permanent failure (access denied, key disabled): a recheck after 30 s, capped at
 *       the interval, doubling like a transient one, since a person has to act first.
 *   <li>A key never verified (no material recorded: nobody can use it yet, and someone is waiting
 *       for it) backs off the same way but is capped lower: 1 minute after transient failures, 5
 *       minutes after permanent ones. A key verified once keeps its material meanwhile, so it may
 *       wait longer, and an outage of many keys stays bounded by the interval.
 *   <li>A key first seen by this process (after a start) that is already verified: a random point
 *       within one interval, so a restart does not revalidate every key at once.
 * </ul>
 *
 * A reconcile asks {@link #due} before any Cloud KMS call; however often it is woken, a key is
 * checked at most once per step.
 */
public final class KmsSchedule {

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(15);
  static final Duration FIRST_PERMANENT_RECHECK = Duration.ofSeconds(30);
  static final Duration UNVERIFIED_TRANSIENT_CAP = Duration.ofMinutes(1);
  static final Duration UNVERIFIED_PERMANENT_CAP = Duration.ofMinutes(5);

  /**
   * @param succeeded whether the last check succeeded: such an entry stands only while the key's
   *     status shows it verified
   */
  private record Entry(Instant next, int failures, boolean succeeded) {}

  private final Duration interval;
  private final DoubleSupplier random;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  /**
   * @param random values in [0, 1) (jitter); injected so tests are deterministic
   */
  public KmsSchedule(Duration interval, DoubleSupplier random) {
    this.interval = interval;
    this.random = random;
  }

  /**
   * Whether the key may call Cloud KMS now.
   *
   * @param verified whether the key is already verified (Ready, material recorded)
   */
  public boolean due(String uid, boolean verified, Instant now) {
    Entry e =
        entries.computeIfAbsent(
            uid,
            k ->
                new Entry(
                    verified
                        ? now.plusMillis((long) (interval.toMillis() * random.getAsDouble()))
                        : now,
                    0,
                    false));
    // A success the key's status does not show (its status write failed, e.g. on a conflict, or
    // the check ran for another key's reconcile whose write was lost) must not hold the key back
    // for an interval: check again.
    return (e.succeeded() && !verified) || !now.isBefore(e.next());
  }

  /** Time left until the key's next check (at least 1 s). */
  public Duration untilNext(String uid, Instant now) {
    Entry e = entries.get(uid);
    if (e == null) {
      return Duration.ofSeconds(1);
    }
    Duration left = Duration.between(now, e.next());
    return left.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : left;
  }

  /** Records a successful check; returns the delay until the next one. */
  public Duration succeeded(String uid, Instant now) {
    Duration d = jittered(interval);
    entries.put(uid, new Entry(now.plus(d), 0, true));
    return d;
  }

  /**
   * Records a failed check; returns the number of failures in a row, this one included.
   *
   * @param transientFailure whether Cloud KMS may answer on its own (UNAVAILABLE, deadline)
   * @param verifiedBefore whether the key was ever verified (its material is recorded)
   */
  public int failed(String uid, boolean transientFailure, boolean verifiedBefore, Instant now) {
    Entry prev = entries.get(uid);
    int failures = (prev == null ? 0 : prev.failures()) + 1;
    Duration first = transientFailure ? FIRST_BACKOFF : FIRST_PERMANENT_RECHECK;
    Duration cap =
        verifiedBefore
            ? interval
            : min(interval, transientFailure ? UNVERIFIED_TRANSIENT_CAP : UNVERIFIED_PERMANENT_CAP);
    entries.put(uid, new Entry(now.plus(backoff(first, failures, cap)), failures, false));
    return failures;
  }

  /** Forces a check at the next reconcile (an on-demand revalidation). */
  public void requestNow(String uid, Instant now) {
    Entry prev = entries.get(uid);
    entries.put(uid, new Entry(now, prev == null ? 0 : prev.failures(), false));
  }

  /** Failures in a row so far. */
  public int failures(String uid) {
    Entry e = entries.get(uid);
    return e == null ? 0 : e.failures();
  }

  public void forget(String uid) {
    entries.remove(uid);
  }

  /** {@code first} doubled per earlier failure, capped at {@code cap}. */
  static Duration backoff(Duration first, int failures, Duration cap) {
    return min(first.multipliedBy(1L << Math.min(failures - 1, 20)), cap);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  private Duration jittered(Duration d) {
    return Duration.ofMillis((long) (d.toMillis() * (0.9 + random.getAsDouble() * 0.2)));
  }
}
