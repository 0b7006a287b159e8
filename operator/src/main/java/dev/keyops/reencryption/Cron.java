package dev.keyops.reencryption;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;

/**
 * A 5-field cron schedule (minute hour day-of-month month day-of-week), UTC, with {@code *}, lists,
 * ranges and steps; day-of-week 0-7 (0 and 7 are Sunday). As in Vixie cron, when both day fields
 * are restricted a day matches either.
 */
final class Cron {

  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet days;
  private final BitSet months;
  private final BitSet weekdays;
  private final boolean daysRestricted;
  private final boolean weekdaysRestricted;

  private Cron(String[] f) {
    minutes = field(f[0], 0, 59, "minute");
    hours = field(f[1], 0, 23, "hour");
    days = field(f[2], 1, 31, "day of month");
    months = field(f[3], 1, 12, "month");
    weekdays = field(f[4], 0, 7, "day of week");
    if (weekdays.get(7)) {
      weekdays.set(0);
    }
    daysRestricted = !f[2].equals("*");
    weekdaysRestricted = !f[4].equals("*");
  }

  /** Parses a schedule; IllegalArgumentException with a message that says what is wrong. */
  static Cron parse(String schedule) {
    String[] f = schedule.trim().split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException(
          "schedule '" + schedule + "' needs 5 fields: minute hour day-of-month month day-of-week");
    }
    return new Cron(f);
  }

  private static BitSet field(String spec, int min, int max, String name) {
    BitSet out = new BitSet();
    for (String part : spec.split(",")) {
      int step = 1;
      String range = part;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        step = number(part.substring(slash + 1), name);
        range = part.substring(0, slash);
        if (step < 1) {
          throw new IllegalArgumentException(name + " step must be at least 1 in '" + spec + "'");
        }
      }
      int lo;
      int hi;
      if (range.equals("*")) {
        lo = min;
        hi = max;
      } else if (range.contains("-")) {
        lo = number(range.substring(0, range.indexOf('-')), name);
        hi = number(range.substring(range.indexOf('-') + 1), name);
      } else {
        lo = number(range, name);
        hi = slash >= 0 ? max : lo;
      }
      if (lo < min || hi > max || lo > hi) {
        throw new IllegalArgumentException(name + " '" + part + "' is outside " + min + "-" + max);
      }
      for (int v = lo; v <= hi; v += step) {
        out.set(v);
      }
    }
    return out;
  }

  private static int number(String s, String name) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " '" + s + "' is not a number");
    }
  }

  /** Whether the schedule fires at the minute that contains {@code t}. */
  boolean matches(Instant t) {
    ZonedDateTime z = t.atZone(ZoneOffset.UTC);
    if (!minutes.get(z.getMinute()) || !hours.get(z.getHour()) || !months.get(z.getMonthValue())) {
      return false;
    }
    boolean dom = days.get(z.getDayOfMonth());
    int dow = z.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : z.getDayOfWeek().getValue();
    boolean wd = weekdays.get(dow);
    if (daysRestricted && weekdaysRestricted) {
      return dom || wd;
    }
    return dom && wd;
  }

  /** The latest firing at or before {@code t}, looking back at most {@code minutes}; or null. */
  Instant latestAtOrBefore(Instant t, long lookBackMinutes) {
    Instant m = t.truncatedTo(ChronoUnit.MINUTES);
    for (long i = 0; i <= lookBackMinutes; i++) {
      Instant c = m.minus(i, ChronoUnit.MINUTES);
      if (matches(c)) {
        return c;
      }
    }
    return null;
  }

  /** The first firing after {@code t}, looking ahead at most {@code minutes}; or null. */
  Instant nextAfter(Instant t, long lookAheadMinutes) {
    Instant m = t.truncatedTo(ChronoUnit.MINUTES);
    for (long i = 1; i <= lookAheadMinutes; i++) {
      Instant c = m.plus(i, ChronoUnit.MINUTES);
      if (matches(c)) {
        return c;
      }
    }
    return null;
  }
}
