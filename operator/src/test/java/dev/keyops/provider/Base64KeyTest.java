package dev.keyops.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Base64KeyTest {

  // 32 bytes whose standard Base64 contains both '+' and '/'.
  static final byte[] KEY = new byte[32];
  static final String GOOD;

  static {
    for (int i = 0; i < 32; i++) {
      KEY[i] = (byte) (0xfb + i * 7);
    }
    GOOD = Base64.getEncoder().encodeToString(KEY);
  }

  @Test
  void acceptsCanonicalStandardBase64Of32Bytes() {
    assertTrue(GOOD.contains("+") || GOOD.contains("/"), GOOD);
    assertArrayEquals(KEY, Base64Key.decode(GOOD));
  }

  @Test
  void urlSafeAlphabetIsNamed() {
    String urlSafe = Base64.getUrlEncoder().encodeToString(KEY);
    String m =
        assertThrows(InvalidKeyMaterialException.class, () -> Base64Key.decode(urlSafe))
            .getMessage();
    assertTrue(m.contains("URL-safe"), m);
  }

  @Test
  void missingPaddingIsNamed() {
    String m =
        assertThrows(
                InvalidKeyMaterialException.class, () -> Base64Key.decode(GOOD.substring(0, 43)))
            .getMessage();
    assertTrue(m.contains("padding"), m);
  }

  @Test
  void nonCanonicalTrailingBitsAreNamed() {
    // Last char before '=' carries 2 unused bits; flipping them keeps the length and decodes.
    char last = GOOD.charAt(42);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char other = alphabet.charAt(alphabet.indexOf(last) ^ 1);
    String bad = GOOD.substring(0, 42) + other + "=";
    String m =
        assertThrows(InvalidKeyMaterialException.class, () -> Base64Key.decode(bad)).getMessage();
    assertTrue(m.contains("not canonical"), m);
  }

  @Test
  void whitespaceIsNamedWithItsPosition() {
    String m =
        assertThrows(InvalidKeyMaterialException.class, () -> Base64Key.decode(GOOD + "\n"))
            .getMessage();
    assertTrue(m.contains("whitespace at position 44"), m);
  }

  @ParameterizedTest
  @CsvSource({"16,16", "24,24", "31,31", "33,33", "64,64"})
  void wrongLengthsSayTheLengthFound(int bytes, String shown) {
    String v = Base64.getEncoder().encodeToString(new byte[bytes]);
    String m =
        assertThrows(InvalidKeyMaterialException.class, () -> Base64Key.decode(v)).getMessage();
    assertTrue(m.contains("decodes to " + shown + " bytes"), m);
  }

  @Test
  void otherCharactersAndEmptyValuesAreRefused() {
    assertThrows(
        InvalidKeyMaterialException.class, () -> Base64Key.decode(GOOD.substring(0, 40) + "*AA="));
    assertThrows(InvalidKeyMaterialException.class, () -> Base64Key.decode(""));
    assertThrows(
        InvalidKeyMaterialException.class,
        () -> Base64Key.decode(GOOD.substring(0, 20) + "=" + GOOD.substring(21)));
  }

  @Test
  void messagesNeverEchoTheValue() {
    for (String bad :
        new String[] {
          GOOD + "\n", Base64.getUrlEncoder().encodeToString(KEY), GOOD.substring(0, 43)
        }) {
      String m =
          assertThrows(InvalidKeyMaterialException.class, () -> Base64Key.decode(bad)).getMessage();
      assertFalse(m.contains(GOOD.substring(0, 12)), m);
    }
  }
}
