package dev.keyops.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.cli.Cluster.Ring;
import dev.keyops.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code kubectl keyops status} reports about one key ring, built from the objects' status
 * only (never from a Secret), and printed as a table or as JSON/YAML.
 *
 * @param policy the ring's KeyRing, or null when it has none
 * @param keysByState how many keys are in each state, in lifecycle order
 * @param reencryptionJobs the ring's ReencryptionJobs, oldest first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RingReport(
    String namespace,
    String keyRing,
    Policy policy,
    String primary,
    String primaryKeyId,
    String primaryActivatedAt,
    Map<String, Integer> keysByState,
    List<Key> keys,
    List<Job> reencryptionJobs) {

  /** The ring's KeyRing, as far as status tells. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Policy(
      String rotationPeriod,
      boolean automaticRotation,
      String lastRotationTime,
      String nextRotationTime,
      String pendingKey,
      String lastReencryptionJob,
      String ready,
      String readyReason) {}

  /** One EncryptionKey: state, identity (never material), and its last inventory. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Key(
      String name,
      String state,
      String provider,
      String ready,
      String keyId,
      String fingerprint,
      String activatedAt,
      String retiredAt,
      Long partitions,
      String countedAt,
      String countedBy,
      Boolean deleting) {}

  /** One ReencryptionJob: phase, counts so far, and why it waits, stalls or failed. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Job(
      String name,
      String phase,
      boolean dryRun,
      String mode,
      String targetKey,
      Integer shards,
      Long scanned,
      Long alreadyOnTarget,
      Long rebuilt,
      Long failed,
      Long unrecoverable,
      Long unencrypted,
      Long parquet,
      Long plaintextParquet,
      Map<String, Long> byKey,
      String createdAt,
      String startedAt,
      String completedAt,
      String reason,
      String message) {}

  /** Conditions that say why a job is not simply running or done, in the order they matter. */
  private static final List<String> JOB_PROBLEMS =
      List.of(Conditions.FAILED, "Stalled", "Suspended", Conditions.WAITING, "Degraded");

  static RingReport of(Cluster c, Ring r) {
    List<EncryptionKey> ks = c.keysOf(r);
    Map<String, Integer> byState = new LinkedHashMap<>();
    for (KeyState s : KeyState.values()) {
      int n = (int) ks.stream().filter(k -> state(k) == s).count();
      if (n > 0) {
        byState.put(s.name(), n);
      }
    }
    Optional<EncryptionKey> primary =
        ks.stream().filter(k -> state(k) == KeyState.Primary).findFirst();
    return new RingReport(
        r.namespace(),
        r.name(),
        c.policyOf(r).map(RingReport::policy).orElse(null),
        primary.map(k -> k.getMetadata().getName()).orElse(null),
        primary.map(k -> k.getStatus().getKeyId()).orElse(null),
        primary.map(k -> k.getStatus().getActivatedAt()).orElse(null),
        byState,
        ks.stream().map(RingReport::key).toList(),
        c.jobsOf(r).stream().map(RingReport::job).toList());
  }

  static KeyState state(EncryptionKey k) {
    return k.getStatus() == null ? null : k.getStatus().getState();
  }

  static Key key(EncryptionKey k) {
    EncryptionKeyStatus s = k.getStatus() == null ? new EncryptionKeyStatus() : k.getStatus();
    var p = s.getPartitions();
    return new Key(
        k.getMetadata().getName(),
        s.getState() == null ? null : s.getState().name(),
        s.getProvider() == null ? null : s.getProvider().name(),
        conditionStatus(s.getConditions(), Conditions.READY),
        s.getKeyId(),
        s.getFingerprint(),
        s.getActivatedAt(),
        s.getRetiredAt(),
        p == null ? null : p.getCount(),
        p == null ? null : p.getCountedAt(),
        p == null ? null : p.getCountedBy(),
        k.getMetadata().getDeletionTimestamp() == null ? null : true);
  }

  private static Policy policy(KeyRing kr) {
    var rotation = kr.getSpec() == null ? null : kr.getSpec().getRotation();
    var s = kr.getStatus();
    Optional<Condition> ready =
        s == null ? Optional.empty() : Conditions.find(s.getConditions(), Conditions.READY);
    return new Policy(
        rotation == null ? null : rotation.getPeriod(),
        rotation != null && rotation.getKeyTemplate() != null,
        s == null ? null : s.getLastRotationTime(),
        s == null ? null : s.getNextRotationTime(),
        s == null ? null : s.getPendingKey(),
        s == null ? null : s.getLastReencryptionJob(),
        ready.map(Condition::getStatus).orElse(null),
        ready.map(Condition::getReason).orElse(null));
  }

  static Job job(ReencryptionJob j) {
    ReencryptionJobStatus s = j.getStatus() == null ? new ReencryptionJobStatus() : j.getStatus();
    var p = s.getPartitions();
    Optional<Condition> problem =
        JOB_PROBLEMS.stream()
            .map(t -> Conditions.find(s.getConditions(), t))
            .flatMap(Optional::stream)
            .filter(x -> Conditions.TRUE.equals(x.getStatus()))
            .findFirst();
    return new Job(
        j.getMetadata().getName(),
        s.getPhase() == null ? null : s.getPhase().name(),
        Boolean.TRUE.equals(j.getSpec().getDryRun()),
        j.getSpec().getMode() == null ? null : j.getSpec().getMode().name(),
        s.getTargetKey() != null ? s.getTargetKey() : j.getSpec().getTargetKey(),
        j.getSpec().getShards(),
        p == null ? null : p.getTotal(),
        p == null ? null : p.getAlreadyOnTarget(),
        p == null ? null : p.getRebuilt(),
        p == null ? null : p.getFailed(),
        p == null ? null : p.getUnrecoverable(),
        p == null ? null : p.getUnencrypted(),
        p == null ? null : p.getParquet(),
        p == null ? null : p.getPlaintextParquet(),
        s.getByKey(),
        j.getMetadata().getCreationTimestamp(),
        s.getStartedAt(),
        s.getCompletedAt(),
        problem.map(Condition::getReason).orElse(null),
        problem.map(Condition::getMessage).orElse(null));
  }

  private static String conditionStatus(List<Condition> conditions, String type) {
    return Conditions.find(conditions, type).map(Condition::getStatus).orElse(null);
  }
}
