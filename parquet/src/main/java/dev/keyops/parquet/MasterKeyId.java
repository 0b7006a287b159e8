package dev.keyops.parquet;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyId;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code masterKeyID}s keyops accepts (docs/parquet-keys.md): {@code ring-<keyRing>}, the key
 * ring's current Primary, or a ring key's 32-hex key id. Neither contains the {@code : ; ,} that
 * Parquet's key tools forbid.
 */
public final class MasterKeyId {

  /** Prefix of the alias that names a key ring's Primary. */
  public static final String RING_PREFIX = "ring-";

  private static final Pattern HEX = Pattern.compile("^[0-9a-f]{32}$");

  private MasterKeyId() {}

  /** The alias naming the Primary of key ring {@code keyRing}. */
  public static String ring(String keyRing) {
    return RING_PREFIX + keyRing;
  }

  /** True for a 32-hex key id (as opposed to a ring alias). */
  public static boolean isKeyId(String masterKeyId) {
    return masterKeyId != null && HEX.matcher(masterKeyId).matches();
  }

  /**
   * The ring key that wraps new keys for {@code masterKeyId}: for {@code ring-<name>} the ring's
   * Primary (or {@code ringOverride} when the rekey worker pins its target key), for a key id that
   * key, which must be the Primary (a Staged key may not be known to every reader yet; a Retired
   * key is on its way out and new data on it would only hold up its drop).
   *
   * @param ringOverride the key {@code ring-<name>} resolves to instead of the Primary, or empty
   * @throws IllegalArgumentException saying what is wrong and what to use instead
   */
  public static KeyId forWriting(KeyBundle ring, String masterKeyId, Optional<KeyId> ringOverride) {
    KeyBundleDocument doc = ring.document();
    if (masterKeyId != null && masterKeyId.startsWith(RING_PREFIX)) {
      String name = masterKeyId.substring(RING_PREFIX.length());
      if (!name.equals(doc.keyRing())) {
        throw new IllegalArgumentException(
            "masterKeyID '"
                + masterKeyId
                + "' names key ring '"
                + name
                + "' but the mounted keyring is of key ring '"
                + doc.keyRing()
                + "': mount the keyring Secret "
                + name
                + "-keyring or use masterKeyID "
                + ring(doc.keyRing()));
      }
      if (ringOverride.isPresent()) {
        return requireKnown(ring, ringOverride.get(), masterKeyId);
      }
      return ring.primary()
          .orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "key ring '"
                          + name
                          + "' has no Primary key yet, so nothing can be encrypted under "
                          + masterKeyId
                          + ": activate a key of the ring (spec.activate: true)"));
    }
    if (!isKeyId(masterKeyId)) {
      throw new IllegalArgumentException(
          "masterKeyID '"
              + masterKeyId
              + "' is neither "
              + ring(doc.keyRing())
              + " (the ring's Primary) nor a 32-lowercase-hex keyops key id");
    }
    KeyId id = KeyId.parse(masterKeyId);
    requireKnown(ring, id, masterKeyId);
    if (ringOverride.isPresent() && ringOverride.get().equals(id)) {
      return id;
    }
    String state = state(doc, id);
    if (!"Primary".equals(state)) {
      throw new IllegalArgumentException(
          "ring key "
              + id
              + " is "
              + state
              + ", and only the Primary encrypts new Parquet keys"
              + ("Staged".equals(state)
                  ? " (a Staged key may not be known to every reader yet)"
                  : " (new data on a Retired key would hold up its drop)")
              + ": use masterKeyID "
              + ring(doc.keyRing()));
    }
    return id;
  }

  private static KeyId requireKnown(KeyBundle ring, KeyId id, String masterKeyId) {
    if (!ring.contains(id)) {
      throw new IllegalArgumentException(
          "masterKeyID "
              + masterKeyId
              + " names ring key "
              + id
              + ", which is not in the keyring of key ring '"
              + ring.document().keyRing()
              + "' (dropped, not Ready, or of another ring)");
    }
    return id;
  }

  static String state(KeyBundleDocument doc, KeyId id) {
    for (KeyBundleDocument.Entry e : doc.keys()) {
      if (id.hex().equals(e.keyId())) {
        return e.state();
      }
    }
    return "absent";
  }
}
