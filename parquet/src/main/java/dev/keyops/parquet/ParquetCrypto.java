package dev.keyops.parquet;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.crypto.FileEncryptionProperties;
import org.apache.parquet.crypto.keytools.KeyToolkit;
import org.apache.parquet.crypto.keytools.PropertiesDrivenCryptoFactory;

/**
 * Hadoop configurations for parquet-java's key tools with keyops as the KMS, and the encryption and
 * decryption properties they give for a local file. The local file system is the raw one: the
 * checksummed default writes {@code .crc} files beside sidecars and then rejects a sidecar that
 * another tool (pyarrow, the rekey worker) rewrote.
 */
public final class ParquetCrypto {

  /** Parquet's property for the crypto factory class (what Spark sets). */
  public static final String CRYPTO_FACTORY_PROPERTY = "parquet.crypto.factory.class";

  private ParquetCrypto() {}

  /**
   * A configuration whose key tools use the keyops KmsClient with {@code keyring}. The KMS instance
   * id is derived from the keyring's path: the key tools cache KmsClients per instance id, so two
   * keyrings in one process need two ids (and the id, which the key tools store in every file, does
   * not carry the path). The access token is the same id, since the key tools also cache
   * key-encryption keys per token.
   */
  public static Configuration configuration(Path keyring) {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", NioLocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    conf.set(CRYPTO_FACTORY_PROPERTY, PropertiesDrivenCryptoFactory.class.getName());
    conf.set(KeyToolkit.KMS_CLIENT_CLASS_PROPERTY_NAME, KeyopsKmsClient.class.getName());
    String path = keyring.toAbsolutePath().normalize().toString();
    conf.set(KeyopsKmsClient.KEYRING_PROPERTY, path);
    conf.set(KeyToolkit.KMS_INSTANCE_ID_PROPERTY_NAME, instanceId(path));
    // The key tools cache key-encryption keys per access token and masterKeyID: a KEK wrapped
    // under one keyring's Primary must not be reused for a "ring-x" of another keyring.
    conf.set(KeyToolkit.KEY_ACCESS_TOKEN_PROPERTY_NAME, instanceId(path));
    return conf;
  }

  /** {@code keyops-} and 16 hex characters of the SHA-256 of the keyring path. */
  static String instanceId(String keyringPath) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(keyringPath.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "keyops-" + java.util.HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Hadoop path of a local file. */
  public static org.apache.hadoop.fs.Path hadoopPath(Path file) {
    return new org.apache.hadoop.fs.Path(file.toAbsolutePath().toUri());
  }

  /**
   * Encryption properties for writing {@code file} as {@code conf}'s {@code parquet.encryption.*}
   * properties say (footer key, column keys, plaintext footer, wrapping, key material storage).
   * External key material is written next to {@code file}.
   */
  public static FileEncryptionProperties encryption(Configuration conf, Path file) {
    return new PropertiesDrivenCryptoFactory()
        .getFileEncryptionProperties(conf, hadoopPath(file), null);
  }

  /** Decryption properties for reading {@code file} (its sidecar, if any, is found next to it). */
  public static FileDecryptionProperties decryption(Configuration conf, Path file) {
    return new PropertiesDrivenCryptoFactory().getFileDecryptionProperties(conf, hadoopPath(file));
  }
}
