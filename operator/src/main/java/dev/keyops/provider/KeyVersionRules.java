package dev.keyops.provider;

import dev.keyops.kms.gcp.KmsGateway.VersionState;
import java.time.Duration;
import java.time.Instant;

/**
 * What to do about a gcpKms key's wrapped data key, given the Cloud KMS key version that wrapped
 * it, the key's primary version and their states. Pure: no Cloud KMS, no Kubernetes.
 *
 * <ul>
 *   <li>The wrapping version is the primary: nothing to do.
 *   <li>The primary moved on and the wrapping version is still ENABLED: re-wrap onto the primary
 *       (possible only while the primary is ENABLED).
 *   <li>The wrapping version is DISABLED, DESTROY_SCHEDULED or DESTROYED: nothing can be unwrapped,
 *       so nothing can be re-wrapped; data on the key is at risk and the user must act.
 * </ul>
 */
public final class KeyVersionRules {

  private KeyVersionRules() {}

  /** What keyops does with the stored wrapping. */
  public enum Action {
    /** Keep the stored wrapping. */
    KEEP,
    /** Re-wrap the data key with the primary version. */
    REWRAP
  }

  /** Whether data on the key is at risk because of the wrapping version's state. */
  public enum Risk {
    NONE,
    /** The wrapping version is DISABLED, DESTROY_SCHEDULED or DESTROYED. */
    AT_RISK,
    /** The wrapping version's state could not be read. */
    UNKNOWN
  }

  /**
   * @param storedVersion the version that wrapped the stored data key (null or empty: unknown)
   * @param primaryVersion the key's primary version, or null
   * @param storedState the state of the stored version, or null when it could not be read
   * @param destroyTime when a DESTROY_SCHEDULED stored version is destroyed, else null
   */
  public record Facts(
      String storedVersion,
      String primaryVersion,
      VersionState primaryState,
      VersionState storedState,
      Instant destroyTime) {}

  /**
   * @param message for the DataAtRisk condition: what is wrong and what to do, or, when not at
   *     risk, which version wraps the data key
   */
  public record Plan(Action action, Risk risk, String message) {}

  /**
   * Whether the stored version's state must be read (it is not the primary, whose state is known).
   */
  public static boolean needsStoredState(String storedVersion, String primaryVersion) {
    return known(storedVersion) && !storedVersion.equals(primaryVersion);
  }

  public static Plan plan(Facts f, Instant now) {
    boolean primaryUsable = f.primaryVersion() != null && f.primaryState() == VersionState.ENABLED;
    if (!known(f.storedVersion())) {
      // Keys created before the version was recorded: re-wrapping records it.
      return new Plan(
          primaryUsable ? Action.REWRAP : Action.KEEP,
          Risk.NONE,
          "the Cloud KMS key version that wrapped the data key is not recorded yet");
    }
    VersionState stored =
        f.storedVersion().equals(f.primaryVersion()) ? f.primaryState() : f.storedState();
    if (stored == VersionState.DISABLED
        || stored == VersionState.DESTROY_SCHEDULED
        || stored == VersionState.DESTROYED) {
      return new Plan(Action.KEEP, Risk.AT_RISK, atRisk(f, stored, now));
    }
    boolean behind = !f.storedVersion().equals(f.primaryVersion());
    if (stored == VersionState.ENABLED) {
      return new Plan(
          behind && primaryUsable ? Action.REWRAP : Action.KEEP,
          Risk.NONE,
          "the data key is wrapped by Cloud KMS key version "
              + f.storedVersion()
              + ", which is ENABLED"
              + (behind ? " (not the primary " + f.primaryVersion() + ")" : " (the primary)"));
    }
    // State unreadable, or PENDING/another state: trying a re-wrap tells whether it unwraps.
    return new Plan(
        behind && primaryUsable ? Action.REWRAP : Action.KEEP,
        Risk.UNKNOWN,
        "the state of Cloud KMS key version "
            + f.storedVersion()
            + ", which wraps this key's data key, is "
            + (stored == null
                ? "unknown: grant the operator roles/cloudkms.viewer"
                    + " (cloudkms.cryptoKeyVersions.get) on the key so keyops can watch it"
                : stored.name()));
  }

  private static String atRisk(Facts f, VersionState state, Instant now) {
    String v = f.storedVersion();
    StringBuilder m =
        new StringBuilder("data on this key is at risk: its data key is wrapped only by Cloud KMS")
            .append(" key version ")
            .append(v)
            .append(", which is ")
            .append(state.name());
    switch (state) {
      case DISABLED ->
          m.append(". Neither keyops nor workloads can unwrap it, so partitions on this key cannot")
              .append(" be decrypted. Re-enable the version (")
              .append(gcloud("enable", v))
              .append(") and do not destroy it; keyops then re-wraps the data key onto the")
              .append(" primary version");
      case DESTROY_SCHEDULED -> {
        m.append(" (destruction ");
        if (f.destroyTime() != null) {
          m.append("at ").append(f.destroyTime()).append(", ");
          Duration left = Duration.between(now, f.destroyTime());
          m.append(left.isNegative() ? "overdue" : "in " + human(left));
        } else {
          m.append("time unknown");
        }
        m.append("). Restore it before then (")
            .append(gcloud("restore", v))
            .append(", then ")
            .append(gcloud("enable", v))
            .append("); keyops then re-wraps the data key onto the primary version. Once")
            .append(" destroyed, partitions on this key can never be decrypted");
      }
      default ->
          m.append(": Cloud KMS cannot restore a destroyed version, so partitions on this key")
              .append(" cannot be decrypted unless a copy of its data key survives elsewhere;")
              .append(" activate a new key for new data");
    }
    return m.append(". keyops deletes and changes nothing.").toString();
  }

  /** A gcloud command for a version name; the bare name when it does not parse. */
  static String gcloud(String verb, String versionName) {
    int i = versionName.lastIndexOf("/cryptoKeyVersions/");
    if (i < 0) {
      return "gcloud kms keys versions " + verb + " " + versionName;
    }
    try {
      GcpKeyName k = GcpKeyName.parse(versionName.substring(0, i));
      return "gcloud kms keys versions "
          + verb
          + " "
          + versionName.substring(i + "/cryptoKeyVersions/".length())
          + " --key "
          + k.cryptoKey()
          + " --keyring "
          + k.keyRing()
          + " --location "
          + k.location()
          + " --project "
          + k.project();
    } catch (IllegalArgumentException e) {
      return "gcloud kms keys versions " + verb + " " + versionName;
    }
  }

  /** "2d 3h", "5h 10m", "42m", "30s". */
  static String human(Duration d) {
    long s = d.getSeconds();
    if (s >= 86_400) {
      return s / 86_400 + "d " + (s % 86_400) / 3_600 + "h";
    }
    if (s >= 3_600) {
      return s / 3_600 + "h " + (s % 3_600) / 60 + "m";
    }
    if (s >= 60) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  private static boolean known(String version) {
    return version != null && !version.isEmpty();
  }
}
