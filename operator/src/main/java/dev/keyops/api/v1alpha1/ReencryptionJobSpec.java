package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.List;

/**
 * Desired rebuild of a key ring's partitions. Immutable once created, like a batch Job, except
 * {@code suspend} and {@code windows}.
 */
@ValidationRule(
    value =
        "self.keyRing == oldSelf.keyRing && self.storage == oldSelf.storage"
            + " && self.parallelism == oldSelf.parallelism && self.shards == oldSelf.shards"
            + " && self.mode == oldSelf.mode && self.dryRun == oldSelf.dryRun"
            + " && self.progressDeadlineSeconds == oldSelf.progressDeadlineSeconds"
            + " && has(self.targetKey) == has(oldSelf.targetKey)"
            + " && (!has(self.targetKey) || self.targetKey == oldSelf.targetKey)"
            + " && has(self.activeDeadlineSeconds) == has(oldSelf.activeDeadlineSeconds)"
            + " && (!has(self.activeDeadlineSeconds)"
            + " || self.activeDeadlineSeconds == oldSelf.activeDeadlineSeconds)"
            + " && has(self.worker) == has(oldSelf.worker)"
            + " && (!has(self.worker) || self.worker == oldSelf.worker)"
            + " && has(self.template) == has(oldSelf.template)"
            + " && (!has(self.template) || self.template == oldSelf.template)"
            + " && has(self.bytesPerSecond) == has(oldSelf.bytesPerSecond)"
            + " && (!has(self.bytesPerSecond) || self.bytesPerSecond == oldSelf.bytesPerSecond)"
            + " && has(self.parquet) == has(oldSelf.parquet)"
            + " && (!has(self.parquet) || self.parquet == oldSelf.parquet)",
    message =
        "spec is immutable once created (a running Job's pod template cannot change), except"
            + " suspend and windows: delete this ReencryptionJob and create a new one")
@ValidationRule(value = "self.parallelism >= 1", message = "parallelism must be at least 1")
@ValidationRule(value = "self.shards >= 1", message = "shards must be at least 1")
@ValidationRule(
    value = "!has(self.worker) || !has(self.template)",
    message =
        "set either worker (overrides for the keyops worker) or template (your own pod), not both")
@JsonClassDescription(
    "The rebuild to run: the key ring, the target key, the storage, how to shard it, the mode, the worker pods and how fast and when they may run. Immutable once created, except suspend and windows.")
public class ReencryptionJobSpec {

  /** The lowest {@link #bytesPerSecond}: 1 MiB/s (the worker streams in chunks of up to 1 MiB). */
  public static final long MIN_BYTES_PER_SECOND = 1L << 20;

  /** The description of {@code bytesPerSecond}, shared with the KeyRing's reencryption policy. */
  public static final String BYTES_PER_SECOND =
      "At most this many partition bytes per second streamed through re-encryption, per worker"
          + " pod (a Job running parallelism pods at once moves up to parallelism times this)."
          + " Reencrypt reads and writes each byte once (plus a verification read of the new file,"
          + " usually from the page cache); Rewrap rewrites only key slots and is barely slowed"
          + " (an unencrypted partition, which it encrypts in full, counts). The worker paces"
          + " while a partition streams, with at most one second of burst. At least 1048576"
          + " (1 MiB/s); for example 52428800 is 50 MiB/s. Default: no limit.";

  /** The default of {@link #progressDeadlineSeconds}. */
  public static final int DEFAULT_PROGRESS_DEADLINE_SECONDS = 300;

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
  @Size(min = 1, max = 54)
  @JsonPropertyDescription(
      "The key ring whose partitions are rebuilt: a DNS label of at most 54 characters, as in"
          + " EncryptionKey.spec.keyRing.")
  private String keyRing;

  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
  @JsonPropertyDescription(
      "The EncryptionKey to rebuild onto. Default: the key ring's Primary when the job starts."
          + " The job waits (phase Pending) until this key is Primary.")
  private String targetKey;

  @Required
  @JsonPropertyDescription("Where the partitions are stored.")
  private Storage storage;

  @Min(1)
  @Default("1")
  @JsonPropertyDescription("How many worker pods run at once. At least 1.")
  private Integer parallelism = 1;

  @Min(1)
  @Max(100000)
  @Default("1")
  @JsonPropertyDescription(
      "How many shards the partitions are split into; each shard is one pod of an Indexed Job."
          + " At least 1, at most 100000 (the Job API's limit for an Indexed Job with a per-index"
          + " backoff limit).")
  private Integer shards = 1;

  @Min(10)
  @Default("300")
  @JsonPropertyDescription(
      "Seconds the job may go without any worker running (pods that cannot be scheduled, cannot"
          + " pull their image, or whose claim is not bound) before it is marked Failed and its"
          + " Job stopped, so that the next job of the key ring can run. Default 300.")
  private Integer progressDeadlineSeconds = DEFAULT_PROGRESS_DEADLINE_SECONDS;

  @Min(1)
  @JsonPropertyDescription(
      "Optional upper bound on the seconds the Job may run in total, passed to the batch/v1 Job;"
          + " when exceeded, the Job controller stops the workers and the job ends Failed with"
          + " reason DeadlineExceeded. Default: no limit (a rebuild of a large data set can take"
          + " hours; progressDeadlineSeconds still fails a job that makes no progress).")
  private Long activeDeadlineSeconds;

  @Default("Reencrypt")
  @JsonPropertyDescription(
      "Reencrypt (default): new data key and new ciphertext, for a compromised key. Rewrap:"
          + " only the partition's data key is re-wrapped by the target key; no data rewritten.")
  private RekeyMode mode = RekeyMode.Reencrypt;

  @Default("false")
  @JsonPropertyDescription("Scan and report the inventory only; change no data.")
  private Boolean dryRun = false;

  @JsonPropertyDescription("Overrides for the keyops worker pods.")
  private WorkerOverrides worker;

  @SchemaFrom(type = Object.class)
  @PreserveUnknownFields
  @JsonPropertyDescription(
      "A full pod template for a data system that rebuilds its own partitions and follows the"
          + " keyops worker contract (environment, keyring mount, JSON result in the termination"
          + " message). See README.")
  private PodTemplateSpec template;

  @Min(MIN_BYTES_PER_SECOND)
  @JsonPropertyDescription(BYTES_PER_SECOND)
  private Long bytesPerSecond;

  @JsonPropertyDescription(
      "Pause (true) or resume (false) the rebuild: maps to the batch/v1 Job's suspend (running"
          + " workers are stopped; a resumed job skips partitions already on the target). May be"
          + " changed at any time.")
  private Boolean suspend;

  @JsonPropertyDescription(
      "Time windows (UTC) in which the rebuild may or must not run: outside every Allow window"
          + " (when any is given) or inside a Deny window the Job is suspended, otherwise resumed."
          + " May be changed at any time.")
  private List<RebuildWindow> windows;

  @JsonPropertyDescription(PARQUET)
  private ParquetOptions parquet;

  /** The description of {@code parquet}, shared with the KeyRing's reencryption policy. */
  static final String PARQUET =
      "Parquet files beyond the encrypted ones (which are always moved onto the target):"
          + " encryptPlaintext encrypts the plaintext ones in the footer/column key layout given.";

  public ParquetOptions getParquet() {
    return parquet;
  }

  public void setParquet(ParquetOptions parquet) {
    this.parquet = parquet;
  }

  public String getKeyRing() {
    return keyRing;
  }

  public void setKeyRing(String keyRing) {
    this.keyRing = keyRing;
  }

  public String getTargetKey() {
    return targetKey;
  }

  public void setTargetKey(String targetKey) {
    this.targetKey = targetKey;
  }

  public Storage getStorage() {
    return storage;
  }

  public void setStorage(Storage storage) {
    this.storage = storage;
  }

  public Integer getParallelism() {
    return parallelism;
  }

  public void setParallelism(Integer parallelism) {
    this.parallelism = parallelism;
  }

  public Integer getShards() {
    return shards;
  }

  public void setShards(Integer shards) {
    this.shards = shards;
  }

  public Integer getProgressDeadlineSeconds() {
    return progressDeadlineSeconds;
  }

  public void setProgressDeadlineSeconds(Integer progressDeadlineSeconds) {
    this.progressDeadlineSeconds = progressDeadlineSeconds;
  }

  public Long getActiveDeadlineSeconds() {
    return activeDeadlineSeconds;
  }

  public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) {
    this.activeDeadlineSeconds = activeDeadlineSeconds;
  }

  public RekeyMode getMode() {
    return mode;
  }

  public void setMode(RekeyMode mode) {
    this.mode = mode;
  }

  public Boolean getDryRun() {
    return dryRun;
  }

  public void setDryRun(Boolean dryRun) {
    this.dryRun = dryRun;
  }

  public WorkerOverrides getWorker() {
    return worker;
  }

  public void setWorker(WorkerOverrides worker) {
    this.worker = worker;
  }

  public PodTemplateSpec getTemplate() {
    return template;
  }

  public void setTemplate(PodTemplateSpec template) {
    this.template = template;
  }

  public Long getBytesPerSecond() {
    return bytesPerSecond;
  }

  public void setBytesPerSecond(Long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  public Boolean getSuspend() {
    return suspend;
  }

  public void setSuspend(Boolean suspend) {
    this.suspend = suspend;
  }

  public List<RebuildWindow> getWindows() {
    return windows;
  }

  public void setWindows(List<RebuildWindow> windows) {
    this.windows = windows;
  }
}
