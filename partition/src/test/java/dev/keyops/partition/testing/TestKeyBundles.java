package dev.keyops.partition.testing;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Keyrings of managed keys with random material, for partition tests. */
public final class TestKeyBundles {

  private static final SecureRandom RANDOM = new SecureRandom();

  private TestKeyBundles() {}

  /** A key entry with fresh random material. */
  public static KeyBundleDocument.Entry key(String name, String state) {
    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    return new KeyBundleDocument.Entry(
        KeyId.fromUid(name + "-" + RANDOM.nextLong()).hex(),
        name,
        state,
        "managed",
        Base64.getEncoder().encodeToString(material),
        null,
        null,
        null);
  }

  /**
   * The same ring key as a gcpKms entry: no material, a wrapped key that {@link FakeKms} unwraps to
   * {@code managed}'s material.
   */
  public static KeyBundleDocument.Entry asGcpKms(
      KeyBundleDocument.Entry managed, String kmsKeyName) {
    return new KeyBundleDocument.Entry(
        managed.keyId(),
        managed.name(),
        managed.state(),
        "gcpKms",
        null,
        kmsKeyName,
        Base64.getEncoder().encodeToString(("wrapped:" + managed.keyId()).getBytes()),
        "keyops:" + managed.keyId());
  }

  public static KeyBundleDocument.Entry withState(KeyBundleDocument.Entry e, String state) {
    return new KeyBundleDocument.Entry(
        e.keyId(),
        e.name(),
        state,
        e.provider(),
        e.material(),
        e.kmsKeyName(),
        e.wrappedKey(),
        e.associatedData());
  }

  /** A keyring document whose Primary is {@code primary} (may be null). */
  public static KeyBundleDocument doc(
      KeyBundleDocument.Entry primary, KeyBundleDocument.Entry... others) {
    List<KeyBundleDocument.Entry> keys = new ArrayList<>();
    if (primary != null) {
      keys.add(withState(primary, "Primary"));
    }
    for (KeyBundleDocument.Entry e : others) {
      keys.add(e);
    }
    return new KeyBundleDocument(
        KeyBundleDocument.FORMAT,
        "default",
        "test",
        primary == null ? null : primary.keyId(),
        keys);
  }

  public static KeyBundle ring(KeyBundleDocument doc) {
    return KeyBundle.parse(KeyBundle.toJson(doc), DataKeyUnwrapper.NONE);
  }

  public static Path write(Path file, KeyBundleDocument doc) throws IOException {
    Files.write(file, KeyBundle.toJson(doc));
    return file;
  }
}
