package dev.keyops.testing;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.Keyring;
import dev.keyops.partition.KeyringDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Keyrings of managed keys with random material, for partition tests. */
public final class TestKeyrings {

  private static final SecureRandom RANDOM = new SecureRandom();

  private TestKeyrings() {}

  /** A key entry with fresh random material. */
  public static KeyringDocument.Entry key(String name, String state) {
    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    return new KeyringDocument.Entry(
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
  public static KeyringDocument.Entry asGcpKms(KeyringDocument.Entry managed, String kmsKeyName) {
    return new KeyringDocument.Entry(
        managed.keyId(),
        managed.name(),
        managed.state(),
        "gcpKms",
        null,
        kmsKeyName,
        Base64.getEncoder().encodeToString(("wrapped:" + managed.keyId()).getBytes()),
        "keyops:" + managed.keyId());
  }

  public static KeyringDocument.Entry withState(KeyringDocument.Entry e, String state) {
    return new KeyringDocument.Entry(
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
  public static KeyringDocument doc(
      KeyringDocument.Entry primary, KeyringDocument.Entry... others) {
    List<KeyringDocument.Entry> keys = new ArrayList<>();
    if (primary != null) {
      keys.add(withState(primary, "Primary"));
    }
    for (KeyringDocument.Entry e : others) {
      keys.add(e);
    }
    return new KeyringDocument(
        KeyringDocument.FORMAT, "default", "test", primary == null ? null : primary.keyId(), keys);
  }

  public static Keyring ring(KeyringDocument doc) {
    return Keyring.parse(Keyring.toJson(doc), DataKeyUnwrapper.NONE);
  }

  public static Path write(Path file, KeyringDocument doc) throws IOException {
    Files.write(file, Keyring.toJson(doc));
    return file;
  }
}
