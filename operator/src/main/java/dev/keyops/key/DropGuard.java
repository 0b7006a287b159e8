package dev.keyops.key;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.LocationCount;
import dev.keyops.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Whether a key may be dropped (deleted), as a pure rule over an {@link Input}.
 *
 * <ul>
 *   <li>A Staged key never encrypted anything: always.
 *   <li>A Primary key: never; activate another key first.
 *   <li>A Retired key: only when, for every location the ring is known to have data on (every
 *       location a ReencryptionJob of the ring ever scanned, and every location its KeyRing
 *       declares), a complete scan that <em>started</em> after the key's retirement plus the
 *       propagation margin found no partition on it and no unreadable file; or with the break-glass
 *       annotation {@code keyops.dev/allow-data-loss: "true"}.
 * </ul>
 *
 * <p>The scan's start counts, not its end: the worker lists the files when it starts, so a file a
 * writer still wrote with the key after that is not in the count. The margin covers writers that
 * learn of the retirement late (a keyring Secret is refreshed in mounted volumes a minute or more
 * after keyops changed it).
 */
public final class DropGuard {

  private DropGuard() {}

  public record Decision(boolean allowed, Reason reason, String message, Instant clearedAt) {
    public Decision(boolean allowed, Reason reason, String message) {
      this(allowed, reason, message, null);
    }
  }

  /** The last complete scan of one location, as recorded on the key. */
  public record Scan(
      String location,
      long partitions,
      long unreadable,
      String unreadableSample,
      Instant startedAt,
      Instant countedAt) {}

  /**
   * Everything the rule reads.
   *
   * @param knownLocations every location the key ring is known to have data on
   * @param scans the key's last complete scan per location
   * @param margin how long after the retirement a scan must start to count
   */
  public record Input(
      KeyState state,
      String keyRing,
      Instant retiredAt,
      Set<String> knownLocations,
      Map<String, Scan> scans,
      Duration margin,
      boolean allowDataLoss) {}

  /**
   * The input of a key as the API shows it: the locations come from every key of its ring (each
   * records what the ring's jobs scanned) and from what its KeyRing declares.
   */
  public static Input input(
      EncryptionKey k,
      Collection<EncryptionKey> ringKeys,
      Collection<String> declared,
      Duration margin) {
    EncryptionKeyStatus s = k.getStatus() == null ? new EncryptionKeyStatus() : k.getStatus();
    Set<String> known = new TreeSet<>(declared);
    for (EncryptionKey other : ringKeys) {
      known.addAll(locations(other).keySet());
    }
    known.addAll(locations(k).keySet());
    boolean breakGlass =
        k.getMetadata().getAnnotations() != null
            && "true"
                .equals(
                    k.getMetadata().getAnnotations().get(EncryptionKey.ALLOW_DATA_LOSS_ANNOTATION));
    return new Input(
        s.getState(),
        k.getSpec().getKeyRing(),
        instant(s.getRetiredAt()),
        known,
        locations(k),
        margin,
        breakGlass);
  }

  /** The scans recorded on a key, by location. */
  public static Map<String, Scan> locations(EncryptionKey k) {
    Map<String, Scan> out = new TreeMap<>();
    if (k.getStatus() == null
        || k.getStatus().getPartitions() == null
        || k.getStatus().getPartitions().getLocations() == null) {
      return out;
    }
    for (LocationCount l : k.getStatus().getPartitions().getLocations()) {
      if (l.getName() == null) {
        continue;
      }
      String sample =
          l.getUnreadableSamples() == null || l.getUnreadableSamples().isEmpty()
              ? null
              : l.getUnreadableSamples().get(0).getPath()
                  + " ("
                  + l.getUnreadableSamples().get(0).getError()
                  + ")";
      out.put(
          l.getName(),
          new Scan(
              l.getName(),
              l.getCount() == null ? 0 : l.getCount(),
              l.getUnreadable() == null ? 0 : l.getUnreadable(),
              sample,
              instant(l.getScanStartedAt()),
              instant(l.getCountedAt())));
    }
    return out;
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  /**
   * The freshest scan that covers a location: of the location itself, or of a location that
   * contains it (a scan of a whole claim covers each of its subPaths).
   */
  static Scan covering(Map<String, Scan> scans, String location) {
    Scan best = null;
    for (Scan s : scans.values()) {
      // A scan of a whole directory covers its subdirectories and any selection of its files
      // ("claim/sub#include:..."); a scan of a selection covers only that same selection.
      boolean covers =
          s.location().equals(location)
              || location.startsWith(s.location() + "/")
              || location.startsWith(s.location() + "#");
      if (covers
          && (best == null
              || best.startedAt() == null
              || (s.startedAt() != null && s.startedAt().isAfter(best.startedAt())))) {
        best = s;
      }
    }
    return best;
  }

  public static Decision decide(Input in) {
    return byState(in)
        .or(() -> breakGlass(in))
        .or(() -> neverScanned(in))
        .orElseGet(() -> byScans(in, Evidence.of(in)));
  }

  private static final String BREAK_GLASS =
      "or annotate keyops.dev/allow-data-loss=\"true\" to accept losing data";

  /** A Staged key may always go; the Primary never. */
  private static Optional<Decision> byState(Input in) {
    KeyState s = in.state() == null ? KeyState.Staged : in.state();
    return switch (s) {
      case Staged ->
          Optional.of(
              new Decision(true, Reason.DropAllowed, "a Staged key never encrypted anything"));
      case Primary ->
          Optional.of(
              new Decision(
                  false,
                  Reason.DropRefusedPrimary,
                  "this key is the Primary of key ring "
                      + in.keyRing()
                      + ": activate a new key (it retires this one), run a ReencryptionJob, then"
                      + " drop this key"));
      default -> Optional.empty();
    };
  }

  private static Optional<Decision> breakGlass(Input in) {
    return in.allowDataLoss()
        ? Optional.of(
            new Decision(
                true,
                Reason.DropWithDataLoss,
                "dropped with keyops.dev/allow-data-loss: partitions still on this key can no"
                    + " longer be read"))
        : Optional.empty();
  }

  private static Optional<Decision> neverScanned(Input in) {
    return in.knownLocations().isEmpty()
        ? Optional.of(
            new Decision(
                false,
                Reason.DropRefusedNoInventory,
                "no location of key ring "
                    + in.keyRing()
                    + " was ever scanned: run a ReencryptionJob over its storage (dryRun: true only"
                    + " counts), "
                    + BREAK_GLASS))
        : Optional.empty();
  }

  /**
   * What the scans of every known location say about the key, counting only scans that started
   * after the retirement plus the propagation margin ({@code after}).
   */
  private record Evidence(
      Instant after,
      List<String> partitions,
      long onKey,
      List<String> unreadable,
      List<String> stale,
      Instant cleared) {

    static Evidence of(Input in) {
      Instant after =
          (in.retiredAt() == null ? Instant.EPOCH : in.retiredAt())
              .plus(in.margin() == null ? Duration.ZERO : in.margin());
      List<String> partitions = new ArrayList<>();
      List<String> unreadable = new ArrayList<>();
      List<String> stale = new ArrayList<>();
      long onKey = 0;
      Instant cleared = null;
      for (String location : in.knownLocations()) {
        Scan scan = covering(in.scans(), location);
        if (scan == null || scan.startedAt() == null || scan.startedAt().isBefore(after)) {
          stale.add(
              location
                  + (scan == null || scan.startedAt() == null
                      ? " (never scanned for this key)"
                      : " (last scan started " + scan.startedAt() + ")"));
          continue;
        }
        if (scan.partitions() > 0) {
          partitions.add(location + ": " + scan.partitions());
          onKey += scan.partitions();
        }
        if (scan.unreadable() > 0) {
          unreadable.add(
              location
                  + ": "
                  + scan.unreadable()
                  + " unreadable file(s)"
                  + (scan.unreadableSample() == null ? "" : ", e.g. " + scan.unreadableSample()));
        }
        if (scan.countedAt() != null && (cleared == null || scan.countedAt().isAfter(cleared))) {
          cleared = scan.countedAt();
        }
      }
      return new Evidence(after, partitions, onKey, unreadable, stale, cleared);
    }
  }

  /** Partitions found, then unreadable files, then locations without a fresh scan, refuse. */
  private static Decision byScans(Input in, Evidence e) {
    if (!e.partitions().isEmpty()) {
      return new Decision(
          false,
          Reason.DropRefusedPartitions,
          e.onKey()
              + " partition(s) of key ring "
              + in.keyRing()
              + " still use this key ("
              + String.join("; ", e.partitions())
              + "): run a ReencryptionJob to rebuild them, "
              + BREAK_GLASS);
    }
    if (!e.unreadable().isEmpty()) {
      return new Decision(
          false,
          Reason.DropRefusedUnreadable,
          "files that could not be read may still use this key ("
              + String.join("; ", e.unreadable())
              + "): fix them (permissions, damage) and scan again, "
              + BREAK_GLASS);
    }
    if (!e.stale().isEmpty()) {
      return new Decision(
          false,
          Reason.DropRefusedNoInventory,
          "no complete scan started after "
              + e.after()
              + " (the retirement plus the propagation margin) for "
              + String.join(", ", e.stale())
              + ": run a ReencryptionJob over each (dryRun: true only counts), "
              + BREAK_GLASS);
    }
    return new Decision(
        true,
        Reason.DropAllowed,
        "no partition uses this key any more in "
            + String.join(", ", in.knownLocations())
            + " (scans started after "
            + e.after()
            + ")",
        e.cleared());
  }
}
