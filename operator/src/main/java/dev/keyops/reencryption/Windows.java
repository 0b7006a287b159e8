package dev.keyops.reencryption;

import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.RebuildWindow;
import dev.keyops.status.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Whether a ReencryptionJob may run now, as a pure rule: {@code spec.suspend} pauses it; inside a
 * Deny window it pauses; when Allow windows are given it runs only inside one. Also says when this
 * can next change, so the controller wakes then (no polling).
 */
final class Windows {

  /** How far ahead the next window opening is looked for. */
  static final long LOOK_AHEAD_MINUTES = 8 * 24 * 60;

  private Windows() {}

  /**
   * @param run whether the Job should run (not be suspended)
   * @param nextChange when the answer may change, or null
   */
  record Decision(boolean run, Reason reason, String message, Duration nextChange) {}

  static Decision decide(Instant now, Boolean suspend, List<RebuildWindow> windows) {
    if (Boolean.TRUE.equals(suspend)) {
      return new Decision(
          false,
          Reason.SuspendedBySpec,
          "spec.suspend is true: the Job is suspended; set it to false to resume",
          null);
    }
    if (windows == null || windows.isEmpty()) {
      return new Decision(true, Reason.Resumed, "running: no suspend and no windows", null);
    }
    Instant change = null;
    String deny = null;
    String allow = null;
    boolean anyAllow = false;
    for (RebuildWindow w : windows) {
      Cron cron;
      Duration length;
      try {
        cron = Cron.parse(w.getSchedule());
        length = OperatorConfig.parseDuration("duration", w.getDuration());
      } catch (IllegalArgumentException e) {
        return new Decision(
            false,
            Reason.InvalidWindow,
            "window '"
                + w.getSchedule()
                + "' is invalid ("
                + e.getMessage()
                + "): the Job is"
                + " suspended until the windows are fixed",
            null);
      }
      boolean isAllow = w.getKind() != RebuildWindow.Kind.Deny;
      anyAllow |= isAllow;
      Instant opened = cron.latestAtOrBefore(now, length.toMinutes());
      Instant closes = opened == null ? null : opened.plus(length);
      if (closes != null && closes.isAfter(now)) {
        change = earliest(change, closes);
        String desc = w.getKind() + " window '" + w.getSchedule() + "' until " + closes;
        if (isAllow) {
          allow = desc;
        } else {
          deny = desc;
        }
      }
      change = earliest(change, cron.nextAfter(now, LOOK_AHEAD_MINUTES));
    }
    Duration next = change == null ? null : Duration.between(now, change);
    if (deny != null) {
      return new Decision(false, Reason.OutsideWindow, "paused: inside the " + deny, next);
    }
    if (anyAllow && allow == null) {
      return new Decision(
          false,
          Reason.OutsideWindow,
          "paused: outside every Allow window"
              + (change == null ? "" : "; the next change is at " + change),
          next);
    }
    return new Decision(
        true,
        Reason.InsideWindow,
        allow == null ? "running: no Deny window is open" : "running: inside the " + allow,
        next);
  }

  private static Instant earliest(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
  }
}
