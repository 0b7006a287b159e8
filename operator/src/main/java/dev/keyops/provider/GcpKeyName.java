package dev.keyops.provider;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Cloud KMS key resource name: projects/P/locations/L/keyRings/R/cryptoKeys/K. */
public record GcpKeyName(String project, String location, String keyRing, String cryptoKey) {

  public static final String FORMAT =
      "projects/{project}/locations/{location}/keyRings/{keyRing}/cryptoKeys/{cryptoKey}";

  private static final Pattern NAME =
      Pattern.compile(
          "^projects/([a-z][-a-z0-9]{4,28}[a-z0-9]|[0-9]+)/locations/([a-zA-Z0-9-]+)/keyRings/([a-zA-Z0-9_-]{1,63})/cryptoKeys/([a-zA-Z0-9_-]{1,63})$");

  /** Parses a name, or throws IllegalArgumentException that shows the expected format. */
  public static GcpKeyName parse(String name) {
    if (name == null) {
      throw new IllegalArgumentException("gcpKms.keyName is missing; expected " + FORMAT);
    }
    if (name.contains("/cryptoKeyVersions/")) {
      throw new IllegalArgumentException(
          "gcpKms.keyName '" + name + "' names a key version; name the key itself: " + FORMAT);
    }
    Matcher m = NAME.matcher(name);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "gcpKms.keyName '" + name + "' is not a Cloud KMS key name; expected " + FORMAT);
    }
    return new GcpKeyName(m.group(1), m.group(2), m.group(3), m.group(4));
  }

  @Override
  public String toString() {
    return "projects/"
        + project
        + "/locations/"
        + location
        + "/keyRings/"
        + keyRing
        + "/cryptoKeys/"
        + cryptoKey;
  }
}
