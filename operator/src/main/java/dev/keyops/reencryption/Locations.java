package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.PvcStorage;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The names of storage locations: {@code <claimName>}, or {@code <claimName>/<subPath>} for a
 * subPath. The drop guard compares them, so one place writes them.
 */
public final class Locations {

  private Locations() {}

  /** A location's name. */
  public static String name(String claimName, String subPath) {
    String sub = subPath == null ? "" : subPath.replaceAll("^/+|/+$", "");
    return sub.isEmpty() || sub.equals(".") ? claimName : claimName + "/" + sub;
  }

  /** The locations a ReencryptionJob scans. */
  public static List<String> of(ReencryptionJobSpec spec) {
    List<String> out = new ArrayList<>();
    if (spec.getStorage() != null && spec.getStorage().getPersistentVolumeClaim() != null) {
      PvcStorage p = spec.getStorage().getPersistentVolumeClaim();
      out.add(name(p.getClaimName(), p.getSubPath()));
    }
    return out;
  }
}
