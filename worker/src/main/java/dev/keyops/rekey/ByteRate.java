package dev.keyops.rekey;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rate in bytes per second as people write it: a whole number with an optional suffix, {@code K},
 * {@code M}, {@code G} (powers of 1000) or {@code Ki}, {@code Mi}, {@code Gi} (powers of 1024), as
 * in Kubernetes quantities: {@code 52428800}, {@code 50Mi}, {@code 20M}.
 */
public final class ByteRate {

  private static final Pattern FORM = Pattern.compile("([0-9]{1,19})(K|M|G|Ki|Mi|Gi)?");

  private ByteRate() {}

  /**
   * @throws IllegalArgumentException with a message saying what is wrong and what is accepted
   */
  public static long parse(String text) {
    String t = text == null ? "" : text.strip();
    Matcher m = FORM.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a rate: give bytes per second as a whole number, optionally with a"
              + " suffix K, M, G (x1000) or Ki, Mi, Gi (x1024), for example 50Mi");
    }
    long value;
    try {
      value = Math.multiplyExact(Long.parseLong(m.group(1)), multiplier(m.group(2)));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is too large: at most " + Long.MAX_VALUE + " bytes per second", e);
    }
    if (value <= 0) {
      throw new IllegalArgumentException(
          "'" + text + "' must be at least 1 byte per second (leave the option out for no limit)");
    }
    return value;
  }

  private static long multiplier(String suffix) {
    if (suffix == null) {
      return 1;
    }
    return switch (suffix) {
      case "K" -> 1000L;
      case "M" -> 1000_000L;
      case "G" -> 1000_000_000L;
      case "Ki" -> 1L << 10;
      case "Mi" -> 1L << 20;
      default -> 1L << 30; // Gi
    };
  }

  /** For logs and messages: {@code 20.0 MiB/s}, {@code 512 B/s}. */
  public static String format(long bytesPerSecond) {
    if (bytesPerSecond < 1024) {
      return bytesPerSecond + " B/s";
    }
    if (bytesPerSecond < 1L << 20) {
      return String.format(Locale.ROOT, "%.1f KiB/s", bytesPerSecond / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB/s", bytesPerSecond / 1048576.0);
  }
}
