package dev.keyops.rekey;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A data root the worker scans, with the name its inventory is reported under (a KeyRing's storage
 * location). {@code --data NAME=PATH}, or {@code --data PATH} with {@code --location NAME}.
 */
public record Location(String name, Path root) {

  /** The name of a location given as a plain {@code --data PATH} without {@code --location}. */
  public static final String DEFAULT_NAME = "default";

  /**
   * A claim's name, then optionally '/' and a subPath, then optionally '#' and the file selection
   * (the operator's location names).
   */
  private static final Pattern NAME =
      Pattern.compile(
          "[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?(/[^=#\\s/][^=#\\s]{0,511})?(#[^=\\s]{1,1024})?");

  public Location {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a location name is a claim's name (lowercase letters, digits, '-', '.'), optionally"
              + " followed by '/' and a subPath, got '"
              + name
              + "'");
    }
  }

  /**
   * Parses one {@code --data} value: {@code NAME=PATH}, or a plain path named {@code plainName}. A
   * value whose part before '=' is not a valid name is a plain path.
   */
  static Location parse(String value, String plainName) {
    int eq = value.indexOf('=');
    if (eq > 0 && NAME.matcher(value.substring(0, eq)).matches()) {
      return new Location(value.substring(0, eq), Path.of(value.substring(eq + 1)));
    }
    return new Location(plainName, Path.of(value));
  }
}
