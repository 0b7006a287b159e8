package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.ClaimSelector;
import dev.keyops.api.v1alpha1.PvcStorage;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.RingStorage;
import dev.keyops.api.v1alpha1.Storage;
import dev.keyops.api.v1alpha1.StorageClaim;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The names of storage locations: {@code <claimName>}, or {@code <claimName>/<subPath>} for a
 * subPath. The drop guard compares them, so one place writes them; and the entries a storage names,
 * a selector's resolved to the claims that match it.
 */
public final class Locations {

  private Locations() {}

  /** One location: a claim, a directory in it, and which files are partitions. */
  public record Entry(
      String claimName, String subPath, List<String> include, List<String> exclude) {
    public Entry {
      include = include == null ? List.of() : List.copyOf(include);
      exclude = exclude == null ? List.of() : List.copyOf(exclude);
    }

    /**
     * The location's name; a selection of files (include/exclude globs) is part of it, so that a
     * scan of some files never counts as a scan of all of them (see {@link Locations#name}).
     */
    public String name() {
      String base = Locations.name(claimName, subPath);
      if (include.isEmpty() && exclude.isEmpty()) {
        return base;
      }
      return base
          + SELECTION
          + "include:"
          + String.join(",", include)
          + ";exclude:"
          + String.join(",", exclude);
    }
  }

  /**
   * Separates a location's directory from its file selection: {@code
   * claim/sub#include:*.bin;exclude:tmp/*}. A scan of every file of a directory covers any
   * selection of it; a scan of a selection covers only the same selection.
   */
  public static final String SELECTION = "#";

  /** A location's name. */
  public static String name(String claimName, String subPath) {
    String sub = subPath == null ? "" : subPath.replaceAll("^/+|/+$", "");
    return sub.isEmpty() || sub.equals(".") ? claimName : claimName + "/" + sub;
  }

  /**
   * The locations a ReencryptionJob scans, as far as its spec says: a selector's depend on the
   * claims that match when the job starts (its workers report each one they scanned).
   */
  public static List<String> of(ReencryptionJobSpec spec) {
    return spec.getStorage() == null
        ? List.of()
        : entries(spec.getStorage(), selector -> List.of()).stream().map(Entry::name).toList();
  }

  /**
   * The entries of a ReencryptionJob's storage, in order, without duplicates.
   *
   * @param matching the names of the namespace's claims whose labels match a selector, sorted
   */
  public static List<Entry> entries(
      Storage s, Function<Map<String, String>, List<String>> matching) {
    List<Entry> out = new ArrayList<>();
    if (s.getPersistentVolumeClaim() != null) {
      PvcStorage p = s.getPersistentVolumeClaim();
      out.add(new Entry(p.getClaimName(), p.getSubPath(), null, null));
    }
    return distinct(collect(out, s.getClaims(), s.getSelector(), matching));
  }

  /** The entries a KeyRing declares, its selector resolved through {@code matching}. */
  public static List<Entry> entries(
      RingStorage s, Function<Map<String, String>, List<String>> matching) {
    return distinct(collect(new ArrayList<>(), s.getClaims(), s.getSelector(), matching));
  }

  private static List<Entry> collect(
      List<Entry> out,
      List<StorageClaim> claims,
      ClaimSelector selector,
      Function<Map<String, String>, List<String>> matching) {
    if (claims != null) {
      for (StorageClaim c : claims) {
        out.add(new Entry(c.getClaimName(), c.getSubPath(), c.getInclude(), c.getExclude()));
      }
    }
    if (selector != null && selector.getMatchLabels() != null) {
      for (String claim : matching.apply(selector.getMatchLabels())) {
        out.add(
            new Entry(claim, selector.getSubPath(), selector.getInclude(), selector.getExclude()));
      }
    }
    return out;
  }

  private static List<Entry> distinct(List<Entry> entries) {
    Map<String, Entry> byName = new LinkedHashMap<>();
    entries.forEach(e -> byName.putIfAbsent(e.name(), e));
    return List.copyOf(byName.values());
  }

  /** Whether a claim with {@code labels} matches {@code matchLabels} (every one of them). */
  public static boolean matches(Map<String, String> matchLabels, Map<String, String> labels) {
    if (matchLabels == null || matchLabels.isEmpty()) {
      return false; // never "every claim": the CRD refuses an empty selector too
    }
    return labels != null
        && matchLabels.entrySet().stream()
            .allMatch(e -> e.getValue() != null && e.getValue().equals(labels.get(e.getKey())));
  }

  /**
   * Why these entries cannot be scanned by one worker, or null: one worker process applies one
   * include/exclude selection to all its locations.
   */
  public static String selectionConflict(List<Entry> entries) {
    for (Entry e : entries) {
      Entry first = entries.get(0);
      if (!e.include().equals(first.include()) || !e.exclude().equals(first.exclude())) {
        return "locations "
            + first.name()
            + " and "
            + e.name()
            + " give different include/exclude globs; one job applies one selection to all its"
            + " locations: give every entry the same globs, or scan them with separate"
            + " ReencryptionJobs";
      }
    }
    return null;
  }
}
