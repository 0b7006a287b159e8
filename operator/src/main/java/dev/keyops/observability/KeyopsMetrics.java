package dev.keyops.observability;

import dev.keyops.api.v1alpha1.KeyState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * keyops' own metrics. Tags are operations and outcomes, never resource names, so cardinality stays
 * flat however many keys there are.
 */
public class KeyopsMetrics {

  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, KeyState> stateByUid = new ConcurrentHashMap<>();
  private final Map<String, Instant> primarySinceByUid = new ConcurrentHashMap<>();
  private final Map<String, AtRisk> atRiskByUid = new ConcurrentHashMap<>();
  private final Map<String, Boolean> ringGauges = new ConcurrentHashMap<>();

  /** A gcpKms key whose wrapping Cloud KMS key version is not enabled. */
  private record AtRisk(String namespace, String keyRing, Instant destroyTime) {}

  public KeyopsMetrics(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
    for (KeyState state : KeyState.values()) {
      Gauge.builder("keyops_keys", stateByUid, m -> count(m, state))
          .description("EncryptionKeys by state")
          .tag("state", state.name())
          .register(registry);
    }
    Gauge.builder("keyops_primary_key_age_seconds", this, KeyopsMetrics::oldestPrimaryAgeSeconds)
        .description("Age of the oldest Primary key, in seconds since its activation")
        .register(registry);
  }

  /** Records the state of a key, and when it became Primary (null unless Primary). */
  public void keyState(String uid, KeyState state, Instant primarySince) {
    stateByUid.put(uid, state);
    if (state == KeyState.Primary && primarySince != null) {
      primarySinceByUid.put(uid, primarySince);
    } else {
      primarySinceByUid.remove(uid);
    }
  }

  /** Counts a key lifecycle step (disable, scheduled destruction, cancellation, destruction). */
  public void keyLifecycle(String step) {
    Counter.builder("keyops_key_lifecycle_total")
        .description("Disable, scheduled-destruction, cancellation and destruction steps of keys")
        .tag("step", step)
        .register(registry)
        .increment();
  }

  public void keyGone(String uid) {
    stateByUid.remove(uid);
    primarySinceByUid.remove(uid);
    atRiskByUid.remove(uid);
  }

  /** Counts a re-wrap of a gcpKms data key onto a new primary version, by outcome. */
  public void kmsRewrap(String outcome) {
    Counter.builder("keyops_kms_rewraps_total")
        .description(
            "Re-wraps of gcpKms data keys onto a new Cloud KMS primary version, by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /**
   * Records whether a gcpKms key's data key is wrapped only by a Cloud KMS key version that is not
   * enabled (data at risk), and when that version is destroyed (null if not scheduled).
   */
  public void dataAtRisk(
      String uid, String namespace, String keyRing, boolean atRisk, Instant destroyTime) {
    if (!atRisk) {
      atRiskByUid.remove(uid);
      return;
    }
    atRiskByUid.put(uid, new AtRisk(namespace, keyRing, destroyTime));
    if (ringGauges.putIfAbsent(namespace + "/" + keyRing, Boolean.TRUE) == null) {
      Gauge.builder("keyops_keys_data_at_risk", atRiskByUid, m -> atRisk(m, namespace, keyRing))
          .description(
              "gcpKms keys whose data key is wrapped only by a Cloud KMS key version that is"
                  + " DISABLED, DESTROY_SCHEDULED or DESTROYED")
          .tags("namespace", namespace, "key_ring", keyRing)
          .register(registry);
      Gauge.builder(
              "keyops_kms_version_destroy_time_seconds",
              atRiskByUid,
              m -> earliestDestroy(m, namespace, keyRing))
          .description(
              "Earliest scheduled destruction (Unix time) of a Cloud KMS key version that is the"
                  + " only wrapping of a data key in the key ring; NaN when none is scheduled")
          .tags("namespace", namespace, "key_ring", keyRing)
          .register(registry);
    }
  }

  private static double atRisk(Map<String, AtRisk> m, String namespace, String keyRing) {
    return m.values().stream()
        .filter(a -> a.namespace().equals(namespace) && a.keyRing().equals(keyRing))
        .count();
  }

  private static double earliestDestroy(Map<String, AtRisk> m, String namespace, String keyRing) {
    return m.values().stream()
        .filter(a -> a.namespace().equals(namespace) && a.keyRing().equals(keyRing))
        .filter(a -> a.destroyTime() != null)
        .mapToDouble(a -> a.destroyTime().getEpochSecond())
        .min()
        .orElse(Double.NaN);
  }

  /** Counts a Cloud KMS validation by its outcome (a Reason name). */
  public void kmsValidation(String outcome) {
    Counter.builder("keyops_kms_validations_total")
        .description("Cloud KMS access validations by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** Counts a Cloud KMS access loss on a key in use (Primary or Retired). */
  public void kmsAccessLost() {
    Counter.builder("keyops_kms_access_lost_total")
        .description("Times a Primary or Retired key lost its Cloud KMS access")
        .register(registry)
        .increment();
  }

  /** Counts partitions by rebuild outcome (rebuilt, failed, unrecoverable). */
  public void partitions(String outcome, long count) {
    Counter.builder("keyops_partitions_total")
        .description("Partitions processed by ReencryptionJobs, by outcome")
        .tag("outcome", outcome)
        .register(registry)
        .increment(count);
  }

  /** Counts refused drops. */
  public void dropRefused(String reason) {
    Counter.builder("keyops_drops_refused_total")
        .description("Key drops refused by the drop guard, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  private static double count(Map<String, KeyState> states, KeyState state) {
    return states.values().stream().filter(state::equals).count();
  }

  private double oldestPrimaryAgeSeconds() {
    Instant now = clock.instant();
    return primarySinceByUid.values().stream()
        .mapToDouble(since -> (now.toEpochMilli() - since.toEpochMilli()) / 1000.0)
        .max()
        .orElse(0);
  }
}
