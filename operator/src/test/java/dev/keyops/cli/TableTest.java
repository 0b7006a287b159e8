package dev.keyops.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void columnsAlignLikeKubectlsWithNoneForMissingValues() {
    StringWriter s = new StringWriter();
    new Table("KEY", "STATE", "PARTITIONS")
        .row("events-2026-11", "Primary", 12)
        .row("e1", null, "")
        .print(new PrintWriter(s, true));
    assertEquals(
        "KEY              STATE     PARTITIONS\n"
            + "events-2026-11   Primary   12\n"
            + "e1               <none>\n",
        s.toString());
  }

  @Test
  void aRowMustFillEveryColumn() {
    assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row("x"));
  }
}
