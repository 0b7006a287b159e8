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
 * the 4 KiB termination-message limit: the failure list, then the unreadable samples, are cut to
 * fit ({@code failuresOmitted} says how many failures were left out); counts, per location ones
 * included, are never cut. Fields added after format 1 was first written are optional: a result
 * without them still parses.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkerResult {

  public static final int MAX_BYTES = 4096;
  static final int MAX_FAILURES = 20;
  static final int MAX_UNREADABLE_SAMPLES = 3;
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

  /** When this shard began listing its files (ISO-8601), before it listed any. */
  @JsonProperty public String startedAt;

  /**
   * Files that could not be read or whose header could not be parsed (EACCES, EIO, a truncated
   * header, not a regular file): their key is unknown, so they may hold data on any key.
   */
  @JsonProperty public long unreadable;

  /** The first {@link #MAX_UNREADABLE_SAMPLES} unreadable files. */
  @JsonProperty public List<Unreadable> unreadableSamples = new ArrayList<>();

  /** Files in a format keyops never wraps (Parquet), left byte-identical; not in {@link #total}. */
  @JsonProperty public long foreign;

  /**
   * Parquet files among {@link #total}: those with Parquet Modular Encryption, counted like
   * partitions under each ring key they use (footer and column keys, so one file may count under
   * several), and those that cannot be parsed (also in {@link #unreadable}).
   */
  @JsonProperty public long parquet;

  /** Parquet files without encryption among {@link #foreign}: reported, never wrapped. */
  @JsonProperty public long plaintextParquet;

  /** Partitions a writer replaced during their rebuild, so they were rebuilt again (or failed). */
  @JsonProperty public long changedDuringRebuild;

  /** The inventory of each data root (location) this shard scanned. */
  @JsonProperty public List<LocationResult> locations = new ArrayList<>();

  @JsonProperty public long durationMs;
  @JsonProperty public String error;

  /** {@link #errorReason} when the data directory cannot be written (permissions, fsGroup). */
  public static final String VOLUME_NOT_WRITABLE = "VolumeNotWritable";

  /**
   * {@link #errorReason} when Cloud KMS could not unwrap a ring key for now (UNAVAILABLE,
   * DEADLINE_EXCEEDED): the counts are incomplete and the shard exits {@code 3} to be retried.
   */
  public static final String KEY_TEMPORARILY_UNAVAILABLE = "KeyTemporarilyUnavailable";

  /** Why the worker could not run, as a name the operator maps to a reason (with error). */
  @JsonProperty public String errorReason;

  /** One partition that was not rebuilt. */
  public record Failure(
      @JsonProperty("partition") String partition,
      @JsonProperty("keyId") String keyId,
      @JsonProperty("reason") String reason,
      @JsonProperty("retryable") boolean retryable) {}

  /**
   * An unreadable file.
   *
   * @param path relative to its location's root
   * @param error short, without key material
   */
  public record Unreadable(
      @JsonProperty("path") String path, @JsonProperty("error") String error) {}

  /** One location's inventory, as this shard saw it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class LocationResult {
    @JsonProperty public String name;

    /** Partitions (files selected, foreign files excluded), unreadable ones included. */
    @JsonProperty public long total;

    @JsonProperty public TreeMap<String, Long> byKeyBefore = new TreeMap<>();
    @JsonProperty public TreeMap<String, Long> byKeyAfter = new TreeMap<>();
    @JsonProperty public long unreadable;
    @JsonProperty public long foreign;
    @JsonProperty public long unencrypted;

    public LocationResult() {}

    LocationResult(String name) {
      this.name = name;
    }
  }

  void addUnreadable(String path, String error) {
    unreadable++;
    if (unreadableSamples.size() < MAX_UNREADABLE_SAMPLES) {
      unreadableSamples.add(new Unreadable(cut(path, 160), cut(error, 120)));
    }
  }

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

  /**
   * Serializes, dropping failures from the end, then unreadable samples, until the JSON fits in 4
   * KiB. Counts (the locations' too) are never dropped.
   */
  public String toJson() {
    try {
      String json = JSON.writeValueAsString(this);
      while (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES
          && !(failures.isEmpty() && unreadableSamples.isEmpty())) {
        if (!failures.isEmpty()) {
          failures.remove(failures.size() - 1);
          failuresOmitted++;
        } else {
          unreadableSamples.remove(unreadableSamples.size() - 1);
        }
        json = JSON.writeValueAsString(this);
      }
      return json;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
