package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import java.util.List;

/** The ReencryptionJob a KeyRing creates after each of its rotations. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReencryptionPolicy {

  @JsonPropertyDescription(
      "Where the key ring's partitions are stored. Default: the KeyRing's spec.storage (its"
          + " selector resolved to the claims that match when the job is created).")
  private Storage storage;

  @Default("Rewrap")
  @JsonPropertyDescription(
      "Rewrap (default: routine rotation, no data rewritten) or Reencrypt (new data keys).")
  private RekeyMode mode = RekeyMode.Rewrap;

  @Min(1)
  @Default("1")
  @JsonPropertyDescription("How many worker pods run at once. At least 1.")
  private Integer parallelism = 1;

  @Min(1)
  @Max(100000)
  @Default("1")
  @JsonPropertyDescription("How many shards the partitions are split into. At least 1.")
  private Integer shards = 1;

  @JsonPropertyDescription("Overrides for the keyops worker pods.")
  private WorkerOverrides worker;

  @Min(ReencryptionJobSpec.MIN_BYTES_PER_SECOND)
  @JsonPropertyDescription(ReencryptionJobSpec.BYTES_PER_SECOND)
  private Long bytesPerSecond;

  @JsonPropertyDescription(
      "Time windows (UTC) given to every ReencryptionJob this ring creates: outside every Allow"
          + " window (when any is given) or inside a Deny window its Job is suspended. A change"
          + " applies to jobs created afterwards; edit a job's own windows to change a running one.")
  private List<RebuildWindow> windows;

  @JsonPropertyDescription(ReencryptionJobSpec.PARQUET)
  private ParquetOptions parquet;

  public ParquetOptions getParquet() {
    return parquet;
  }

  public void setParquet(ParquetOptions parquet) {
    this.parquet = parquet;
  }

  public Storage getStorage() {
    return storage;
  }

  public void setStorage(Storage storage) {
    this.storage = storage;
  }

  public RekeyMode getMode() {
    return mode;
  }

  public void setMode(RekeyMode mode) {
    this.mode = mode;
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

  public Long getBytesPerSecond() {
    return bytesPerSecond;
  }

  public void setBytesPerSecond(Long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  public WorkerOverrides getWorker() {
    return worker;
  }

  public void setWorker(WorkerOverrides worker) {
    this.worker = worker;
  }

  public List<RebuildWindow> getWindows() {
    return windows;
  }

  public void setWindows(List<RebuildWindow> windows) {
    this.windows = windows;
  }
}
