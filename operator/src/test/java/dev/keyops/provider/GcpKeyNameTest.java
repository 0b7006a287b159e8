package dev.keyops.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GcpKeyNameTest {

  @Test
  void parsesAKeyName() {
    GcpKeyName n =
        GcpKeyName.parse(
            "projects/my-project/locations/europe-west1/keyRings/ring/cryptoKeys/key_1");
    assertEquals("my-project", n.project());
    assertEquals("europe-west1", n.location());
    assertEquals("ring", n.keyRing());
    assertEquals("key_1", n.cryptoKey());
    assertEquals(
        "projects/my-project/locations/europe-west1/keyRings/ring/cryptoKeys/key_1", n.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "projects/p1234/keyRings/r/cryptoKeys/k",
        "projects/my-project/locations/global/keyRings/r",
        "my-project/locations/global/keyRings/r/cryptoKeys/k",
        "projects/my-project/locations/global/keyRings/r/cryptoKeys/k/",
        "projects/My_Project/locations/global/keyRings/r/cryptoKeys/k"
      })
  void rejectsMalformedNamesShowingTheFormat(String name) {
    String m =
        assertThrows(IllegalArgumentException.class, () -> GcpKeyName.parse(name)).getMessage();
    assertTrue(m.contains(GcpKeyName.FORMAT), m);
  }

  @Test
  void aVersionNameIsExplained() {
    String m =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    GcpKeyName.parse(
                        "projects/my-project/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"))
            .getMessage();
    assertTrue(m.contains("names a key version"), m);
  }
}
