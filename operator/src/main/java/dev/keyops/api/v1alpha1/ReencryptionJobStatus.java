package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

/** Observed state of a {@link ReencryptionJob}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription(
    "Observed state of the rebuild, written by keyops: phase, target key, the Job, partition counts aggregated from the workers, failures, and conditions.")
public class ReencryptionJobStatus extends KeyopsStatus {

  @JsonPropertyDescription("Pending, Running, Succeeded or Failed.")
  private JobPhase phase;

  @JsonPropertyDescription("The EncryptionKey the partitions are rebuilt onto.")
  private String targetKey;

  @JsonPropertyDescription("The key id of the target key.")
  private String targetKeyId;

  @JsonPropertyDescription("The batch/v1 Job that runs the workers.")
  private String jobName;

  @JsonPropertyDescription("When the Job was launched.")
  private String startedAt;

  @JsonPropertyDescription("When the Job ended.")
  private String completedAt;

  @JsonPropertyDescription("Partition counts aggregated from the workers' results.")
  private PartitionTotals partitions;

  @JsonPropertyDescription(
      "Partitions found per key id (before the rebuild), and 'none' for unencrypted.")
  private Map<String, Long> byKey;

  @JsonPropertyDescription("Partitions that could not be rebuilt (bounded list).")
  private List<PartitionFailure> failures;

  public JobPhase getPhase() {
    return phase;
  }

  public void setPhase(JobPhase phase) {
    this.phase = phase;
  }

  public String getTargetKey() {
    return targetKey;
  }

  public void setTargetKey(String targetKey) {
    this.targetKey = targetKey;
  }

  public String getTargetKeyId() {
    return targetKeyId;
  }

  public void setTargetKeyId(String targetKeyId) {
    this.targetKeyId = targetKeyId;
  }

  public String getJobName() {
    return jobName;
  }

  public void setJobName(String jobName) {
    this.jobName = jobName;
  }

  public String getStartedAt() {
    return startedAt;
  }

  public void setStartedAt(String startedAt) {
    this.startedAt = startedAt;
  }

  public String getCompletedAt() {
    return completedAt;
  }

  public void setCompletedAt(String completedAt) {
    this.completedAt = completedAt;
  }

  public PartitionTotals getPartitions() {
    return partitions;
  }

  public void setPartitions(PartitionTotals partitions) {
    this.partitions = partitions;
  }

  public Map<String, Long> getByKey() {
    return byKey;
  }

  public void setByKey(Map<String, Long> byKey) {
    this.byKey = byKey;
  }

  public List<PartitionFailure> getFailures() {
    return failures;
  }

  public void setFailures(List<PartitionFailure> failures) {
    this.failures = failures;
  }

  @Override
  @JsonPropertyDescription(
      "Conditions: Ready (True once Succeeded), Reconciling (True while the job waits or runs),"
          + " Stalled (True when it cannot progress without someone acting: why no worker runs, a"
          + " target key that does not exist, or why it Failed), Complete, Failed, Waiting (why a"
          + " Pending job has not started), Degraded (workers that failed, e.g. OOMKilled),"
          + " Suspended, InventoryRecorded and Reconciled (the last error the operator met, if"
          + " any).")
  public List<Condition> getConditions() {
    return super.getConditions();
  }
}
