package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.testing.TestKeyBundles;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which ring key a masterKeyID wraps under, and the clear refusals. */
class MasterKeyIdTest {

  final KeyBundleDocument.Entry primary = TestKeyBundles.key("p", "Primary");
  final KeyBundleDocument.Entry staged = TestKeyBundles.key("s", "Staged");
  final KeyBundleDocument.Entry retired = TestKeyBundles.key("r", "Retired");
  final KeyBundle ring = TestKeyBundles.ring(TestKeyBundles.doc(primary, staged, retired));

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
    KeyBundle none = TestKeyBundles.ring(TestKeyBundles.doc(null, staged));
    IllegalArgumentException noPrimary =
        assertThrows(
            IllegalArgumentException.class,
            () -> MasterKeyId.forWriting(none, "ring-test", Optional.empty()));
    assertTrue(noPrimary.getMessage().contains("no Primary"), noPrimary.getMessage());
    for (KeyBundleDocument.Entry e : new KeyBundleDocument.Entry[] {staged, retired}) {
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
