package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.RebuildWindow;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import dev.keyops.testing.Claims;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.MutableClock;
import dev.keyops.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** spec.suspend and windows: pure rules, and the Job's suspend followed with an injected clock. */
class ThrottleTest {

  static final Instant NOON = Instant.parse("2026-04-01T12:00:00Z"); // a Wednesday

  static RebuildWindow window(RebuildWindow.Kind kind, String schedule, String duration) {
    RebuildWindow w = new RebuildWindow();
    w.setKind(kind);
    w.setSchedule(schedule);
    w.setDuration(duration);
    return w;
  }

  @Test
  void cronMatchesListsRangesStepsAndWeekdays() {
    Cron c = Cron.parse("*/15 22 * * 1-5");
    assertTrue(c.matches(Instant.parse("2026-04-01T22:30:00Z")));
    assertFalse(c.matches(Instant.parse("2026-04-01T22:31:00Z")));
    assertFalse(c.matches(Instant.parse("2026-04-04T22:30:00Z")), "a Saturday");
    assertTrue(Cron.parse("0 0 1,15 * *").matches(Instant.parse("2026-04-15T00:00:00Z")));
    assertTrue(Cron.parse("0 3 * * 7").matches(Instant.parse("2026-04-05T03:00:00Z")), "Sunday");
    assertThrowsMessage("minute '61' is outside 0-59", () -> Cron.parse("61 * * * *"));
    assertThrowsMessage("needs 5 fields", () -> Cron.parse("* * *"));
  }

  static void assertThrowsMessage(String part, Runnable r) {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void allowWindowsDenyWindowsAndSuspend() {
    List<RebuildWindow> nightly = List.of(window(RebuildWindow.Kind.Allow, "0 22 * * *", "8h"));
    var d = Windows.decide(NOON, null, nightly);
    assertFalse(d.run());
    assertEquals(Reason.OutsideWindow, d.reason());
    assertEquals(Duration.ofHours(10), d.nextChange());
    d = Windows.decide(NOON.plus(Duration.ofHours(11)), null, nightly); // 23:00
    assertTrue(d.run());
    assertEquals(Duration.ofHours(7), d.nextChange(), "until the window closes at 06:00");
    d = Windows.decide(Instant.parse("2026-04-02T05:59:00Z"), null, nightly);
    assertTrue(d.run(), "still inside, the window opened the day before");
    assertFalse(Windows.decide(Instant.parse("2026-04-02T06:00:00Z"), null, nightly).run());

    List<RebuildWindow> busy = List.of(window(RebuildWindow.Kind.Deny, "0 9 * * 1-5", "9h"));
    assertFalse(Windows.decide(NOON, null, busy).run());
    assertTrue(Windows.decide(NOON.plus(Duration.ofHours(6)), null, busy).run());
    assertTrue(Windows.decide(NOON, null, null).run());
    d = Windows.decide(NOON.plus(Duration.ofHours(11)), true, nightly);
    assertFalse(d.run());
    assertEquals(Reason.SuspendedBySpec, d.reason());
    d = Windows.decide(NOON, null, List.of(window(RebuildWindow.Kind.Allow, "0 25 * * *", "1h")));
    assertFalse(d.run());
    assertEquals(Reason.InvalidWindow, d.reason());
  }

  MutableClock clock;
  OperatorHarness h;

  @BeforeEach
  void start() throws Exception {
    clock = new MutableClock(NOON);
    h = new OperatorHarness(Duration.ofMinutes(10), clock);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  ReencryptionJob get(String name) {
    return h.client().resources(ReencryptionJob.class).inNamespace("default").withName(name).get();
  }

  Job job(String name) {
    return h.client().batch().v1().jobs().inNamespace("default").withName(name).get();
  }

  String suspendedReason(ReencryptionJob r) {
    return r == null || r.getStatus() == null
        ? null
        : Conditions.find(r.getStatus().getConditions(), Throttle.SUSPENDED)
            .map(c -> c.getStatus() + "/" + c.getReason())
            .orElse(null);
  }

  void patch(String name, String mergePatch) {
    h.client()
        .resources(ReencryptionJob.class)
        .inNamespace("default")
        .withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
  }

  /** Wakes the ReencryptionJob after the clock moved (its Job's change maps to it). */
  void pokeJob(String jobName, String value) {
    h.client()
        .batch()
        .v1()
        .jobs()
        .inNamespace("default")
        .withName(jobName)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"test.keyops.dev/poke\":\"" + value + "\"}}}");
  }

  @Test
  void windowsSuspendAndResumeTheJobAndSpecSuspendPausesIt() {
    Claims.bound(h.client(), "default", "events-data");
    h.client().resource(Fixtures.managedKey("events-1", "events")).create();
    dev.keyops.testing.Patches.activate(h.client(), "default", "events-1");
    h.awaitKey("events-1", k -> k.getStatus().getState() == KeyState.Primary, "Primary");
    ReencryptionJob r =
        Fixtures.reencryptionJob("default", "nightly", "events", "events-data", "partitions");
    r.getSpec().setWindows(List.of(window(RebuildWindow.Kind.Allow, "0 22 * * *", "8h")));
    h.client().resource(r).create();

    // Outside the window: the Job is created suspended.
    r =
        OperatorHarness.await(
            () -> get("nightly"), x -> "True/OutsideWindow".equals(suspendedReason(x)), "paused");
    assertEquals(JobPhase.Running, r.getStatus().getPhase());
    String jobName = r.getStatus().getJobName();
    assertTrue(job(jobName).getSpec().getSuspend());

    // The window opens: resumed.
    clock.advance(Duration.ofHours(10));
    pokeJob(jobName, "1");
    OperatorHarness.await(
        () -> job(jobName), j -> !Boolean.TRUE.equals(j.getSpec().getSuspend()), "Job resumed");
    r =
        OperatorHarness.await(
            () -> get("nightly"), x -> "False/InsideWindow".equals(suspendedReason(x)), "resumed");
    assertNull(
        Conditions.find(r.getStatus().getConditions(), "Failed")
            .filter(c -> "True".equals(c.getStatus()))
            .orElse(null));

    // spec.suspend pauses it inside the window too, and false resumes it.
    patch("nightly", "{\"spec\":{\"suspend\":true}}");
    OperatorHarness.await(
        () -> job(jobName), j -> Boolean.TRUE.equals(j.getSpec().getSuspend()), "Job suspended");
    OperatorHarness.await(
        () -> get("nightly"),
        x -> "True/SuspendedBySpec".equals(suspendedReason(x)),
        "paused by spec");
    patch("nightly", "{\"spec\":{\"suspend\":false}}");
    OperatorHarness.await(
        () -> job(jobName), j -> !Boolean.TRUE.equals(j.getSpec().getSuspend()), "Job resumed");

    // The window closes: paused again.
    clock.advance(Duration.ofHours(9));
    pokeJob(jobName, "2");
    OperatorHarness.await(
        () -> job(jobName), j -> Boolean.TRUE.equals(j.getSpec().getSuspend()), "Job suspended");
    assertTrue(h.events("nightly").stream().anyMatch(e -> "InsideWindow".equals(e.getReason())));
  }
}
