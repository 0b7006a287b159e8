package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyId;
import dev.keyops.partition.Keyring;
import dev.keyops.partition.KeyringDocument;
import dev.keyops.testing.TestKeyrings;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which ring key a masterKeyID wraps under, and the clear refusals. */
class MasterKeyIdTest {

  final KeyringDocument.Entry primary = TestKeyrings.key("p", "Primary");
  final KeyringDocument.Entry staged = TestKeyrings.key("s", "Staged");
  final KeyringDocument.Entry retired = TestKeyrings.key("r", "Retired");
  final Keyring ring = TestKeyrings.ring(TestKeyrings.doc(primary, staged, retired));

  @Test
  void ringAliasMeansThePrimary() {
    assertEquals(
        KeyId.parse(primary.keyId()), MasterKeyId.forWriting(ring, "ring-test", Optional.empty()));
    assertEquals(
        KeyId.parse(primary.keyId()),
        MasterKeyId.forWriting(ring, primary.keyId(), Optional.empty()));
  }

  @Test
  void refusesAnotherRingsAliasARingWithoutPrimaryAndNonPrimaryKeys() {
    IllegalArgumentException other =
        assertThrows(
            IllegalArgumentException.class,
            () -> MasterKeyId.forWriting(ring, "ring-orders", Optional.empty()));
    assertTrue(other.getMessage().contains("key ring 'test'"), other.getMessage());
    Keyring none = TestKeyrings.ring(TestKeyrings.doc(null, staged));
    IllegalArgumentException noPrimary =
        assertThrows(
            IllegalArgumentException.class,
            () -> MasterKeyId.forWriting(none, "ring-test", Optional.empty()));
    assertTrue(noPrimary.getMessage().contains("no Primary"), noPrimary.getMessage());
    for (KeyringDocument.Entry e : new KeyringDocument.Entry[] {staged, retired}) {
      IllegalArgumentException notPrimary =
          assertThrows(
              IllegalArgumentException.class,
              () -> MasterKeyId.forWriting(ring, e.keyId(), Optional.empty()));
      assertTrue(
          notPrimary.getMessage().contains("use masterKeyID ring-test"), notPrimary.getMessage());
    }
    IllegalArgumentException junk =
        assertThrows(
            IllegalArgumentException.class,
            () -> MasterKeyId.forWriting(ring, "KEY1", Optional.empty()));
    assertTrue(junk.getMessage().contains("neither ring-test"), junk.getMessage());
    String absent = KeyId.fromUid("gone").hex();
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> MasterKeyId.forWriting(ring, absent, Optional.empty()));
    assertTrue(missing.getMessage().contains("not in the keyring"), missing.getMessage());
  }

  @Test
  void theWorkersTargetOverridesTheAliasAndItsOwnId() {
    KeyId target = KeyId.parse(staged.keyId());
    assertEquals(target, MasterKeyId.forWriting(ring, "ring-test", Optional.of(target)));
    assertEquals(target, MasterKeyId.forWriting(ring, staged.keyId(), Optional.of(target)));
    assertThrows(
        IllegalArgumentException.class,
        () -> MasterKeyId.forWriting(ring, retired.keyId(), Optional.of(target)));
  }
}
