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
 * reloads of the keyring file). A transient Cloud KMS failure is retried with backoff and never
 * cached as final (see {@link UnwrapRetry}); a refusal is remembered for this parsed keyring only.
 */
public final class KeyBundle {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KeyBundleDocument document;
  private final Map<KeyId, KeyBundleDocument.Entry> entries = new LinkedHashMap<>();
  private final KeyId primary;
  private final DataKeyUnwrapper unwrapper;
  private final Map<String, Object> cache;
  private final UnwrapRetry retry;
  private final Map<String, PartitionException> refused = new ConcurrentHashMap<>();
  private final Map<String, Held> held = new ConcurrentHashMap<>();

  /** A transient failure and when (nanoTime) the next attempt may be made. */
  private record Held(PartitionException failure, long until) {}

  private KeyBundle(
      KeyBundleDocument document,
      DataKeyUnwrapper unwrapper,
      Map<String, Object> cache,
      UnwrapRetry retry) {
    this.document = document;
    this.unwrapper = unwrapper;
    this.cache = cache;
    this.retry = retry;
    if (document.keys() != null) {
      for (KeyBundleDocument.Entry e : document.keys()) {
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
  public static KeyBundle parse(byte[] json, DataKeyUnwrapper unwrapper) {
    return parse(json, unwrapper, UnwrapRetry.DEFAULT);
  }

  /** Parses keyring.json, retrying transient unwrap failures as {@code retry} says. */
  public static KeyBundle parse(byte[] json, DataKeyUnwrapper unwrapper, UnwrapRetry retry) {
    return parse(json, unwrapper, new ConcurrentHashMap<>(), retry);
  }

  /**
   * @param cache unwrapped ring keys (successes only), shared across reloads of the keyring file
   */
  static KeyBundle parse(
      byte[] json, DataKeyUnwrapper unwrapper, Map<String, Object> cache, UnwrapRetry retry) {
    KeyBundleDocument doc;
    try {
      doc = JSON.readValue(json, KeyBundleDocument.class);
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
    if (doc.format() != KeyBundleDocument.FORMAT) {
      throw new IllegalArgumentException(
          "keyring.json has format " + doc.format() + "; this keyops reads format 1");
    }
    return new KeyBundle(doc, unwrapper, cache, retry);
  }

  /** Serializes a document as keyring.json. */
  public static byte[] toJson(KeyBundleDocument doc) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public KeyBundleDocument document() {
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

  /**
   * The AEAD that wraps data keys under this ring key. Only successes go into the shared cache: a
   * refusal is remembered by this parsed keyring (a reload of a changed keyring file tries again),
   * a transient failure is retried with backoff and then held briefly, never remembered as final.
   * Public for the Parquet key tools (keyops-parquet), which wrap Parquet keys with the same ring
   * key material; a workload never needs it.
   */
  public Aead wrappingAead(KeyId id) {
    KeyBundleDocument.Entry e = entries.get(id);
    if (e == null) {
      throw new PartitionException(
          PartitionException.Kind.UNKNOWN_KEY, "key " + id + " is not in the keyring");
    }
    String cacheKey = id.hex() + "/" + (e.material() != null ? "m" : e.wrappedKey());
    Object cached = cache.get(cacheKey);
    if (cached != null) {
      return (Aead) cached;
    }
    synchronized (this) {
      cached = cache.get(cacheKey);
      if (cached != null) {
        return (Aead) cached;
      }
      PartitionException known = refused.get(cacheKey);
      if (known != null) {
        throw copy(known);
      }
      Held h = held.get(cacheKey);
      if (h != null && retry.nanoTime().getAsLong() - h.until() < 0) {
        throw copy(h.failure());
      }
      try {
        Aead aead = resolveWithRetry(id, e);
        cache.put(cacheKey, aead);
        held.remove(cacheKey);
        return aead;
      } catch (PartitionException failure) {
        if (failure.transientFailure()) {
          held.put(
              cacheKey, new Held(failure, retry.nanoTime().getAsLong() + retry.hold().toNanos()));
        } else {
          refused.put(cacheKey, failure);
        }
        throw copy(failure);
      }
    }
  }

  private static PartitionException copy(PartitionException f) {
    return new PartitionException(f.kind(), f.getMessage(), f.transientFailure());
  }

  private Aead resolveWithRetry(KeyId id, KeyBundleDocument.Entry e) {
    java.time.Duration backoff = retry.firstBackoff();
    for (int attempt = 1; ; attempt++) {
      try {
        return resolve(id, e);
      } catch (PartitionException failure) {
        if (!failure.transientFailure() || attempt >= retry.attempts()) {
          throw failure;
        }
      }
      try {
        retry.sleeper().sleep(backoff);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "interrupted while retrying the unwrap of ring key " + id,
            true);
      }
      backoff = backoff.multipliedBy(2);
    }
  }

  private Aead resolve(KeyId id, KeyBundleDocument.Entry e) {
    try {
      byte[] key;
      if (e.material() != null) {
        key = Base64.getDecoder().decode(e.material());
      } else if (e.wrappedKey() != null && e.kmsKeyName() != null) {
        byte[] aad =
            e.associatedData() == null
                ? new byte[0]
                : e.associatedData().getBytes(StandardCharsets.UTF_8);
        key = unwrapper.unwrap(e, Base64.getDecoder().decode(e.wrappedKey()), aad);
      } else {
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "keyring entry " + id + " has neither material nor a wrapped key");
      }
      if (key.length != PartitionFormat.DATA_KEY_SIZE) {
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "ring key " + id + " has " + key.length + " bytes, expected 32");
      }
      return new AesGcmJce(key);
    } catch (IllegalArgumentException | GeneralSecurityException ex) {
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "ring key " + id + " is unusable: invalid encoding");
    }
  }
}
