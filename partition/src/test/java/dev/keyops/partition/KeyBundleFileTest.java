package dev.keyops.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.testing.TestKeyBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keyring.json mounted from a Secret: reloaded when Kubernetes swaps the volume's symlink. */
class KeyBundleFileTest {

  @TempDir Path dir;

  @Test
  void reloadsWhenTheMountedSecretChanges() throws Exception {
    KeyBundleDocument.Entry k1 = TestKeyBundles.key("k1", "Primary");
    KeyBundleDocument.Entry k2 = TestKeyBundles.key("k2", "Primary");
    // The layout kubelet uses: keyring.json -> ..data/keyring.json, ..data -> ..<timestamp>
    Path v1 = Files.createDirectories(dir.resolve("..2026_01"));
    TestKeyBundles.write(v1.resolve("keyring.json"), TestKeyBundles.doc(k1));
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(dir.resolve("keyring.json"), Path.of("..data/keyring.json"));
    KeyBundleFile file = new KeyBundleFile(dir.resolve("keyring.json"), DataKeyUnwrapper.NONE);
    assertEquals(k1.keyId(), file.current().primary().orElseThrow().hex());

    Path v2 = Files.createDirectories(dir.resolve("..2026_02"));
    TestKeyBundles.write(
        v2.resolve("keyring.json"),
        TestKeyBundles.doc(k2, TestKeyBundles.withState(k1, "Retired")));
    Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
    Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!k2.keyId().equals(file.current().primary().orElseThrow().hex())
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(k2.keyId(), file.current().primary().orElseThrow().hex());
    assertTrue(file.current().contains(KeyId.parse(k1.keyId())));
  }

  @Test
  void aMissingOrBrokenFileSaysWhich() throws Exception {
    var e =
        assertThrows(
            RuntimeException.class,
            () -> new KeyBundleFile(dir.resolve("nope.json"), DataKeyUnwrapper.NONE));
    assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
    Files.writeString(dir.resolve("bad.json"), "{\"format\": 2}");
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new KeyBundleFile(dir.resolve("bad.json"), DataKeyUnwrapper.NONE));
    assertTrue(e.getMessage().contains("format 2"), e.getMessage());
  }
}
