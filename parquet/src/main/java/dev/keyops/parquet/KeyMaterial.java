package dev.keyops.parquet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyId;
import java.security.GeneralSecurityException;

/**
 * One key's material as Parquet's key tools store it (type {@code PKMT1}): the {@code masterKeyID},
 * whether the data key is wrapped directly by the master key or by a key-encryption key (double
 * wrapping), and the wrapped key. The ring key it is on is read from the keyops wrapped key, never
 * by unwrapping anything.
 *
 * @param json the key material as stored (field order kept, so a re-wrap changes only what it must)
 */
public record KeyMaterial(ObjectNode json) {

  static final ObjectMapper JSON = new ObjectMapper();

  /** Parses key material text; IllegalArgumentException saying what is wrong. */
  public static KeyMaterial parse(String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Parquet key material is not JSON");
    }
    if (!(node instanceof ObjectNode o)) {
      throw new IllegalArgumentException("Parquet key material is not a JSON object");
    }
    String type = o.path("keyMaterialType").asText(null);
    if (!"PKMT1".equals(type)) {
      throw new IllegalArgumentException(
          "Parquet key material of type " + type + "; keyops reads PKMT1 (parquet-java, pyarrow)");
    }
    return new KeyMaterial(o);
  }

  /** Whether this is a pointer into a sidecar ({@code internalStorage: false} with a reference). */
  public boolean isReference() {
    return json.has("keyReference") && !json.path("internalStorage").asBoolean(true);
  }

  public String keyReference() {
    return json.path("keyReference").asText(null);
  }

  public String masterKeyId() {
    return json.path("masterKeyID").asText(null);
  }

  public boolean doubleWrapping() {
    return json.path("doubleWrapping").asBoolean(false);
  }

  public boolean footerKey() {
    return json.path("isFooterKey").asBoolean(false);
  }

  private String wrappedField() {
    return doubleWrapping() ? "wrappedKEK" : "wrappedDEK";
  }

  /** The key the master key wraps (the KEK in double wrapping, else the data key), as stored. */
  public String wrappedByMasterKey() {
    String w = json.path(wrappedField()).asText(null);
    if (w == null) {
      throw new IllegalArgumentException("Parquet key material has no " + wrappedField());
    }
    return w;
  }

  /**
   * The keyops ring key this key is wrapped by.
   *
   * @throws IllegalArgumentException when the key is not wrapped by keyops (another KmsClient)
   */
  public KeyId keyId() {
    return WrappedKey.parse(wrappedByMasterKey()).keyId();
  }

  /**
   * The same key material with the master-wrapped key unwrapped from its ring key and wrapped by
   * {@code target}. A {@code masterKeyID} that is a key id becomes {@code target}'s id; a ring
   * alias stays. The data key (and in double wrapping the KEK and its id) is unchanged, so the
   * Parquet file is untouched.
   *
   * @throws GeneralSecurityException when the stored key does not authenticate under its ring key
   */
  public KeyMaterial rewrapped(KeyBundle ring, KeyId target) throws GeneralSecurityException {
    WrappedKey old = WrappedKey.parse(wrappedByMasterKey());
    byte[] key = old.unwrap(ring.wrappingAead(old.keyId()));
    ObjectNode copy = json.deepCopy();
    copy.put(wrappedField(), WrappedKey.wrap(ring.wrappingAead(target), target, key).encode());
    java.util.Arrays.fill(key, (byte) 0);
    if (MasterKeyId.isKeyId(masterKeyId())) {
      copy.put("masterKeyID", target.hex());
    }
    return new KeyMaterial(copy);
  }

  /** Unwraps the master-wrapped key (to verify a re-wrap); the caller wipes it. */
  public byte[] unwrap(KeyBundle ring) throws GeneralSecurityException {
    WrappedKey w = WrappedKey.parse(wrappedByMasterKey());
    return w.unwrap(ring.wrappingAead(w.keyId()));
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "KeyMaterial[masterKeyID=" + masterKeyId() + ", double=" + doubleWrapping() + "]";
  }
}
