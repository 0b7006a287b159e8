package dev.keyops.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.testing.Crds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The committed CRDs (crds/ and the chart's copy) must match the Java model. */
class CrdsUpToDateTest {

  private static final List<String> DIRS = List.of("crds", "helm/keyops/files/crds");

  @Test
  void committedCrdsMatchTheModel() throws IOException {
    Map<String, String> expected = Crds.expected();
    if (Boolean.getBoolean("keyops.writeCrds")) {
      for (String dir : DIRS) {
        Path d = Crds.repoRoot().resolve(dir);
        Files.createDirectories(d);
        for (var e : expected.entrySet()) {
          Files.writeString(d.resolve(e.getKey()), e.getValue());
        }
      }
    }
    for (String dir : DIRS) {
      for (var e : expected.entrySet()) {
        Path file = Crds.repoRoot().resolve(dir).resolve(e.getKey());
        assertTrue(
            Files.exists(file), file + " is missing. Regenerate the CRDs with: " + Crds.REGENERATE);
        assertEquals(
            e.getValue(),
            Files.readString(file),
            file + " differs from the Java model. Regenerate the CRDs with: " + Crds.REGENERATE);
      }
    }
  }

  @Test
  void printerColumnsFollowTheModelOrder() {
    var ek = Crds.parsed().get(0).getSpec().getVersions().get(0).getAdditionalPrinterColumns();
    assertEquals(
        List.of(
            "KeyRing", "State", "Provider", "Ready", "Partitions", "KeyId", "Fingerprint", "Age"),
        ek.stream().map(c -> c.getName()).toList());
  }
}
