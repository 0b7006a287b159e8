package dev.keyops.rekey;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The JSON a rekey worker writes to {@code --result} (a pod's /dev/termination-log). It always fits
 * the 4 KiB termination-message limit: the failure list is cut to fit and {@code failuresOmitted}
 * says how many were left out.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkerResult {

  public static final int MAX_BYTES = 4096;
  static final int MAX_FAILURES = 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  @JsonProperty public int format = 1;
  @JsonProperty public String shard;
  @JsonProperty public String mode;
  @JsonProperty public boolean dryRun;
  @JsonProperty public String targetKeyId;
  @JsonProperty public long total;
  @JsonProperty public long alreadyOnTarget;
  @JsonProperty public long rebuilt;
  @JsonProperty public long pending;
  @JsonProperty public long failed;
  @JsonProperty public long unrecoverable;
  @JsonProperty public long unencrypted;
  @JsonProperty public TreeMap<String, Long> byKeyBefore = new TreeMap<>();
  @JsonProperty public TreeMap<String, Long> byKeyAfter = new TreeMap<>();
  @JsonProperty public List<Failure> failures = new ArrayList<>();
  @JsonProperty public long failuresOmitted;
  @JsonProperty public long bytes;
  @JsonProperty public long durationMs;
  @JsonProperty public String error;

  /** When this shard began listing files (ISO-8601 instant); absent from older workers. */
  @JsonProperty public String startedAt;

  /** Files that could not be read (so their key is unknown). */
  @JsonProperty public long unreadable;

  /** At most 3 of the unreadable files, with why. */
  @JsonProperty public List<Unreadable> unreadableSamples;

  /** Files in a format keyops does not know (left alone). */
  @JsonProperty public long foreign;

  /** Files that changed while they were rebuilt (left alone, retried by a later run). */
  @JsonProperty public long changedDuringRebuild;

  /** Counts per scanned location ({@code <claimName>} or {@code <claimName>/<subPath>}). */
  @JsonProperty public List<Location> locations;

  /** A file that could not be read. */
  public record Unreadable(
      @JsonProperty("path") String path, @JsonProperty("error") String error) {}

  /** What one shard found in one location. */
  public record Location(
      @JsonProperty("name") String name,
      @JsonProperty("total") long total,
      @JsonProperty("byKeyBefore") TreeMap<String, Long> byKeyBefore,
      @JsonProperty("byKeyAfter") TreeMap<String, Long> byKeyAfter,
      @JsonProperty("unreadable") long unreadable,
      @JsonProperty("foreign") long foreign,
      @JsonProperty("unencrypted") long unencrypted) {}

  /** {@link #errorReason} when the data directory cannot be written (permissions, fsGroup). */
  public static final String VOLUME_NOT_WRITABLE = "VolumeNotWritable";

  /** Why the worker could not run, as a name the operator maps to a reason (with error). */
  @JsonProperty public String errorReason;

  /** One partition that was not rebuilt. */
  public record Failure(
      @JsonProperty("partition") String partition,
      @JsonProperty("keyId") String keyId,
      @JsonProperty("reason") String reason,
      @JsonProperty("retryable") boolean retryable) {}

  void addFailure(String partition, String keyId, String reason, boolean retryable) {
    if (failures.size() < MAX_FAILURES) {
      failures.add(new Failure(cut(partition, 160), keyId, cut(reason, 160), retryable));
    } else {
      failuresOmitted++;
    }
  }

  private static String cut(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  public static WorkerResult parse(String json) throws IOException {
    return JSON.readValue(json, WorkerResult.class);
  }

  /** Serializes, dropping failures from the end until the JSON fits in 4 KiB. */
  public String toJson() {
    try {
      String json = JSON.writeValueAsString(this);
      while (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES && !failures.isEmpty()) {
        failures.remove(failures.size() - 1);
        failuresOmitted++;
        json = JSON.writeValueAsString(this);
      }
      return json;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
