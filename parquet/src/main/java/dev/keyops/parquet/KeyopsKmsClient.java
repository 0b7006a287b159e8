package dev.keyops.parquet;

import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.PartitionException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.KeyAccessDeniedException;
import org.apache.parquet.crypto.ParquetCryptoRuntimeException;
import org.apache.parquet.crypto.keytools.KmsClient;

/**
 * keyops keys as the master keys of Parquet Modular Encryption: a {@link KmsClient} for
 * parquet-java's key tools ({@code PropertiesDrivenCryptoFactory}) and Spark, set with {@code
 * parquet.encryption.kms.client.class=dev.keyops.parquet.KeyopsKmsClient}. It reads the mounted
 * keyring ({@code keyring.json} of the keyring Secret, re-read when it changes) and wraps and
 * unwraps Parquet keys locally with the ring keys in the {@link WrappedKey} format; a ring key of a
 * KMS provider is unwrapped once per process through its keyops key-manager module.
 *
 * <p>The keyring file is, in this order: the Hadoop property {@value #KEYRING_PROPERTY}, the
 * environment variable {@value #KEYRING_ENV}, {@code parquet.encryption.kms.instance.url} (a path
 * or a {@code file:} URL). The instance URL comes last because the key tools store the writer's in
 * every file and a reader that sets none gets the writer's, a path on another machine. {@code
 * masterKeyID}s: see {@link MasterKeyId}.
 */
public class KeyopsKmsClient implements KmsClient {

  /** Hadoop property naming the keyring file. */
  public static final String KEYRING_PROPERTY = "keyops.parquet.keyring";

  /** Environment variable naming the keyring file. */
  public static final String KEYRING_ENV = "KEYOPS_KEYRING";

  /**
   * Hadoop property (the rekey worker's): the ring key that {@code ring-<name>} and that key's own
   * id resolve to for writing, instead of the Primary. Give such a configuration its own {@code
   * parquet.encryption.kms.instance.id}, since the key tools cache clients per instance id.
   */
  public static final String TARGET_KEY_PROPERTY = "keyops.parquet.target.key.id";

  private Supplier<KeyBundle> keyring;
  private Optional<KeyId> target = Optional.empty();

  @Override
  public void initialize(
      Configuration configuration, String kmsInstanceID, String kmsInstanceURL, String accessToken)
      throws KeyAccessDeniedException {
    Path path = keyringPath(configuration.get(KEYRING_PROPERTY), kmsInstanceURL, System.getenv());
    try {
      keyring = KeyringSource.open(path);
    } catch (RuntimeException e) {
      throw new ParquetCryptoRuntimeException(
          "keyops KmsClient cannot read the keyring file " + path + ": " + e.getMessage());
    }
    String t = configuration.get(TARGET_KEY_PROPERTY);
    target = t == null || t.isEmpty() ? Optional.empty() : Optional.of(KeyId.parse(t));
  }

  /** Where the keyring file is: the property, then the environment, then the KMS instance URL. */
  static Path keyringPath(String property, String kmsInstanceURL, Map<String, String> env) {
    if (property != null && !property.isEmpty()) {
      return Path.of(property);
    }
    String fromEnv = env.get(KEYRING_ENV);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return Path.of(fromEnv);
    }
    if (kmsInstanceURL != null
        && !kmsInstanceURL.isEmpty()
        && !KMS_INSTANCE_URL_DEFAULT.equals(kmsInstanceURL)) {
      String p = kmsInstanceURL.startsWith("file:") ? kmsInstanceURL.substring(5) : kmsInstanceURL;
      while (p.startsWith("//")) {
        p = p.substring(1);
      }
      return Path.of(p);
    }
    throw new ParquetCryptoRuntimeException(
        "keyops KmsClient does not know where the keyring is: set the Hadoop property "
            + KEYRING_PROPERTY
            + " or the environment variable "
            + KEYRING_ENV
            + " to the mounted keyring.json (for example /etc/keyops/keyring.json), or"
            + " parquet.encryption.kms.instance.url");
  }

  @Override
  public String wrapKey(byte[] keyBytes, String masterKeyIdentifier)
      throws KeyAccessDeniedException {
    KeyBundle ring = current();
    KeyId id;
    try {
      id = MasterKeyId.forWriting(ring, masterKeyIdentifier, target);
    } catch (IllegalArgumentException e) {
      throw new ParquetCryptoRuntimeException("keyops KmsClient: " + e.getMessage());
    }
    try {
      return WrappedKey.wrap(ring.wrappingAead(id), id, keyBytes).encode();
    } catch (PartitionException e) {
      throw new KeyAccessDeniedException("keyops KmsClient: " + e.getMessage());
    }
  }

  @Override
  public byte[] unwrapKey(String wrappedKey, String masterKeyIdentifier)
      throws KeyAccessDeniedException {
    WrappedKey w;
    try {
      w = WrappedKey.parse(wrappedKey);
    } catch (IllegalArgumentException e) {
      throw new ParquetCryptoRuntimeException("keyops KmsClient: " + e.getMessage());
    }
    if (MasterKeyId.isKeyId(masterKeyIdentifier) && !masterKeyIdentifier.equals(w.keyId().hex())) {
      throw new ParquetCryptoRuntimeException(
          "keyops KmsClient: the key material names masterKeyID "
              + masterKeyIdentifier
              + " but its key is wrapped by ring key "
              + w.keyId()
              + ": the key material was edited or mixed up");
    }
    KeyBundle ring = current();
    if (!ring.contains(w.keyId())) {
      throw new KeyAccessDeniedException(
          "keyops KmsClient: ring key "
              + w.keyId()
              + " is not in the keyring of key ring '"
              + ring.document().keyRing()
              + "' (dropped, not yet Ready, or of another ring): a file on it cannot be read"
              + " with this keyring");
    }
    try {
      return w.unwrap(ring.wrappingAead(w.keyId()));
    } catch (PartitionException e) {
      throw new KeyAccessDeniedException("keyops KmsClient: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new KeyAccessDeniedException(
          "keyops KmsClient: a key wrapped by ring key "
              + w.keyId()
              + " does not authenticate under it: the key material is corrupt or was tampered"
              + " with");
    }
  }

  private KeyBundle current() {
    if (keyring == null) {
      throw new ParquetCryptoRuntimeException("keyops KmsClient used before initialize");
    }
    return keyring.get();
  }
}
