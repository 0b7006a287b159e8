package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

/** Desired rebuild of a key ring's partitions. Immutable once created, like a batch Job. */
@ValidationRule(
    value = "self == oldSelf",
    message =
        "spec is immutable once created (a running Job's pod template cannot change):"
            + " delete this ReencryptionJob and create a new one")
@ValidationRule(value = "self.parallelism >= 1", message = "parallelism must be at least 1")
@ValidationRule(value = "self.shards >= 1", message = "shards must be at least 1")
@ValidationRule(
    value = "!has(self.worker) || !has(self.template)",
    message =
        "set either worker (overrides for the keyops worker) or template (your own pod), not both")
@JsonClassDescription(
    "The rebuild to run: the key ring, the target key, the storage, how to shard it, the mode, and the worker pods. Immutable once created.")
public class ReencryptionJobSpec {

  @Required
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
  @JsonPropertyDescription("The key ring whose partitions are rebuilt.")
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
  @Default("1")
  @JsonPropertyDescription(
      "How many shards the partitions are split into; each shard is one pod of an Indexed Job."
          + " At least 1.")
  private Integer shards = 1;

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
}
