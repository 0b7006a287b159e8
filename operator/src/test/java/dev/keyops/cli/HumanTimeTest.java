package dev.keyops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HumanTimeTest {

  @Test
  void durationsReadAsKubectlPrintsThem() {
    assertEquals("0s", HumanTime.duration(Duration.ofMillis(-500)));
    assertEquals("<invalid>", HumanTime.duration(Duration.ofSeconds(-5)));
    assertEquals("45s", HumanTime.duration(Duration.ofSeconds(45)));
    assertEquals("119s", HumanTime.duration(Duration.ofSeconds(119)));
    assertEquals("5m30s", HumanTime.duration(Duration.ofSeconds(330)));
    assertEquals("5m", HumanTime.duration(Duration.ofMinutes(5)));
    assertEquals("179m", HumanTime.duration(Duration.ofMinutes(179)));
    assertEquals("3h5m", HumanTime.duration(Duration.ofMinutes(185)));
    assertEquals("23h", HumanTime.duration(Duration.ofHours(23).plusMinutes(59)));
    assertEquals("2d", HumanTime.duration(Duration.ofHours(48)));
    assertEquals("3d4h", HumanTime.duration(Duration.ofHours(76)));
    assertEquals("89d", HumanTime.duration(Duration.ofDays(89).plusHours(5)));
    assertEquals("2y10d", HumanTime.duration(Duration.ofDays(740)));
    assertEquals("9y", HumanTime.duration(Duration.ofDays(365 * 9 + 3)));
  }

  @Test
  void timesAreRelativeToNow() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    assertEquals("in 2d", HumanTime.relative("2026-11-26T10:00:00Z", now));
    assertEquals("5m ago", HumanTime.relative("2026-11-24T09:55:00Z", now));
    assertEquals("90s", HumanTime.age("2026-11-24T09:58:30Z", now));
    assertNull(HumanTime.age(null, now));
    assertNull(HumanTime.age("yesterday", now));
  }
}
