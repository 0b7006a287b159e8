package dev.keyops.rekey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.parquet.PlaintextEncryption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The operator writes the rekey options for a plaintext Parquet layout with {@link
 * Cli#parquetArgs}; the worker reads them back as the same layout.
 */
class ParquetArgsTest {

  static Stream<PlaintextEncryption> layouts() {
    return Stream.of(
        PlaintextEncryption.UNIFORM,
        new PlaintextEncryption(List.of(), true, false, true),
        new PlaintextEncryption(List.of("ssn"), false, true, false),
        new PlaintextEncryption(List.of("address.street", "first name", "ssn"), true, true, true),
        new PlaintextEncryption(List.of("a.b.c"), false, false, false));
  }

  static PlaintextEncryption parsed(List<String> parquetArgs) {
    List<String> args = new ArrayList<>(List.of("--keyring", "/k/keyring.json", "--data", "/d"));
    args.addAll(parquetArgs);
    Cli.Rekey rekey = new Cli.Rekey();
    new CommandLine(rekey).parseArgs(args.toArray(String[]::new));
    return rekey.plaintextParquetLayout();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  void everyLayoutReadsBackAsWritten(PlaintextEncryption layout) {
    assertEquals(layout, parsed(Cli.parquetArgs(layout)));
  }

  @Test
  void noLayoutWritesNoOptionAndReadsBackAsLeavingPlaintextAlone() {
    assertEquals(List.of(), Cli.parquetArgs(null));
    assertNull(parsed(List.of()));
  }

  @Test
  void aLayoutWithoutTheOptionThatAsksForItIsRefusedWithWhatToDo() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parsed(List.of("--parquet-columns", "ssn", "--parquet-plaintext-footer")));
    assertTrue(e.getMessage().contains("add --parquet-encrypt-plaintext"), e.getMessage());
    IllegalArgumentException material =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                parsed(
                    List.of("--parquet-encrypt-plaintext", "--parquet-key-material", "sidecar")));
    assertTrue(material.getMessage().contains("internal or external"), material.getMessage());
  }
}
