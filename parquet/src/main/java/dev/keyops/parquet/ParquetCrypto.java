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
   * A configuration whose key tools use the keyops KmsClient with {@code keyring}. The keyring's
   * path is also the KMS instance id and URL: the key tools cache KmsClients (and keys) per
   * instance id, so two keyrings in one process need two ids.
   */
  public static Configuration configuration(Path keyring) {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", org.apache.hadoop.fs.RawLocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    conf.set(CRYPTO_FACTORY_PROPERTY, PropertiesDrivenCryptoFactory.class.getName());
    conf.set(KeyToolkit.KMS_CLIENT_CLASS_PROPERTY_NAME, KeyopsKmsClient.class.getName());
    String path = keyring.toAbsolutePath().normalize().toString();
    conf.set(KeyopsKmsClient.KEYRING_PROPERTY, path);
    conf.set(KeyToolkit.KMS_INSTANCE_ID_PROPERTY_NAME, path);
    conf.set(KeyToolkit.KMS_INSTANCE_URL_PROPERTY_NAME, path);
    return conf;
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
