package dev.keyops.partition;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A parsed keyring: the ring's keys by id, with their wrapping AEADs resolved lazily. A gcpKms
 * key's data key is unwrapped through Cloud KMS once per key per process (the cache outlives
 * reloads of the keyring file).
 */
public final class Keyring {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KeyringDocument document;
  private final Map<KeyId, KeyringDocument.Entry> entries = new LinkedHashMap<>();
  private final KeyId primary;
  private final DataKeyUnwrapper unwrapper;
  private final Map<String, Object> cache;

  private Keyring(KeyringDocument document, DataKeyUnwrapper unwrapper, Map<String, Object> cache) {
    this.document = document;
    this.unwrapper = unwrapper;
    this.cache = cache;
    if (document.keys() != null) {
      for (KeyringDocument.Entry e : document.keys()) {
        entries.put(KeyId.parse(e.keyId()), e);
      }
    }
    this.primary = document.primaryKeyId() == null ? null : KeyId.parse(document.primaryKeyId());
    if (primary != null && !entries.containsKey(primary)) {
      throw new IllegalArgumentException(
          "keyring.json names primaryKeyId " + primary + " but lists no key with that id");
    }
  }

  /** Parses keyring.json; throws IllegalArgumentException with what is wrong. */
  public static Keyring parse(byte[] json, DataKeyUnwrapper unwrapper) {
    return parse(json, unwrapper, new ConcurrentHashMap<>());
  }

  static Keyring parse(byte[] json, DataKeyUnwrapper unwrapper, Map<String, Object> cache) {
    KeyringDocument doc;
    try {
      doc = JSON.readValue(json, KeyringDocument.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // Only the location: Jackson's message may quote the document, which holds key material.
      var loc = e.getLocation();
      throw new IllegalArgumentException(
          "keyring.json is not a valid keyring document"
              + (loc == null
                  ? ""
                  : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "keyring.json cannot be read: " + e.getClass().getSimpleName());
    }
    if (doc.format() != KeyringDocument.FORMAT) {
      throw new IllegalArgumentException(
          "keyring.json has format " + doc.format() + "; this keyops reads format 1");
    }
    return new Keyring(doc, unwrapper, cache);
  }

  /** Serializes a document as keyring.json. */
  public static byte[] toJson(KeyringDocument doc) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public KeyringDocument document() {
    return document;
  }

  public Optional<KeyId> primary() {
    return Optional.ofNullable(primary);
  }

  public boolean contains(KeyId id) {
    return entries.containsKey(id);
  }

  public List<KeyId> keyIds() {
    return List.copyOf(entries.keySet());
  }

  /** The AEAD that wraps data keys under this ring key. */
  Aead wrappingAead(KeyId id) {
    KeyringDocument.Entry e = entries.get(id);
    if (e == null) {
      throw new PartitionException(
          PartitionException.Kind.UNKNOWN_KEY, "key " + id + " is not in the keyring");
    }
    String cacheKey = id.hex() + "/" + (e.material() != null ? "m" : e.wrappedKey());
    Object cached = cache.computeIfAbsent(cacheKey, k -> resolve(id, e));
    if (cached instanceof PartitionException failure) {
      throw new PartitionException(failure.kind(), failure.getMessage());
    }
    return (Aead) cached;
  }

  private Object resolve(KeyId id, KeyringDocument.Entry e) {
    try {
      byte[] key;
      if (e.material() != null) {
        key = Base64.getDecoder().decode(e.material());
      } else if (e.wrappedKey() != null && e.kmsKeyName() != null) {
        byte[] aad =
            e.associatedData() == null
                ? new byte[0]
                : e.associatedData().getBytes(StandardCharsets.UTF_8);
        key = unwrapper.unwrap(e.kmsKeyName(), Base64.getDecoder().decode(e.wrappedKey()), aad);
      } else {
        return new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "keyring entry " + id + " has neither material nor a wrapped key");
      }
      if (key.length != PartitionFormat.DATA_KEY_SIZE) {
        return new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "ring key " + id + " has " + key.length + " bytes, expected 32");
      }
      return new AesGcmJce(key);
    } catch (PartitionException failure) {
      return failure; // remembered: one Cloud KMS attempt per key per process
    } catch (IllegalArgumentException | GeneralSecurityException ex) {
      return new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "ring key " + id + " is unusable: invalid encoding");
    }
  }
}
