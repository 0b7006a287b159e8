package dev.keyops.testing;

/** Object names at the API's limits, for tests of derived names. */
public final class LongNames {

  private LongNames() {}

  /**
   * A valid object name (a DNS subdomain) of exactly {@code length} characters; with {@code dots},
   * a dot every tenth character.
   */
  public static String of(int length, boolean dots) {
    StringBuilder b = new StringBuilder();
    while (b.length() < length) {
      b.append(dots && b.length() % 10 == 9 ? '.' : (char) ('a' + b.length() % 26));
    }
    if (b.charAt(length - 1) == '.') {
      b.setCharAt(length - 1, 'z');
    }
    return b.toString();
  }
}
