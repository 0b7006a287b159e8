package dev.keyops.cli;

import java.time.Duration;
import java.time.Instant;

/**
 * Ages and durations as kubectl prints them ({@code 45s}, {@code 5m30s}, {@code 3h}, {@code 89d}).
 */
final class HumanTime {

  private HumanTime() {}

  /**
   * kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration): two significant units while
   * they matter, one after.
   */
  static String duration(Duration d) {
    long seconds = d.toSeconds();
    if (seconds < -1) {
      return "<invalid>";
    }
    if (seconds < 0) {
      return "0s";
    }
    if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = d.toMinutes();
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    }
    if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = d.toHours();
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    }
    if (hours < 48) {
      return hours + "h";
    }
    if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    }
    if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    }
    if (hours < 24 * 365 * 8) {
      long days = (hours / 24) % 365;
      return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
    }
    return hours / 24 / 365 + "y";
  }

  /** How long ago {@code then} (an RFC 3339 time) was, or null when it is null or unreadable. */
  static String age(String then, Instant now) {
    Instant t = parse(then);
    return t == null ? null : duration(Duration.between(t, now));
  }

  /** "in 3d" for a future time, "5m ago" for a past one; null when {@code then} is null. */
  static String relative(String then, Instant now) {
    Instant t = parse(then);
    if (t == null) {
      return null;
    }
    return t.isAfter(now)
        ? "in " + duration(Duration.between(now, t))
        : duration(Duration.between(t, now)) + " ago";
  }

  static Instant parse(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }
}
