package dev.keyops.kms;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.PartitionException;
import java.time.Duration;

/**
 * Unwraps gcpKms data keys for the partition library and the worker with Cloud KMS Decrypt, as the
 * process's own identity (Application Default Credentials, e.g. GKE Workload Identity or
 * GOOGLE_APPLICATION_CREDENTIALS). The client is created on first use.
 */
public final class KmsDataKeyUnwrapper implements DataKeyUnwrapper, AutoCloseable {

  private final String endpoint;
  private KmsGateway gateway;

  public KmsDataKeyUnwrapper(String endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public synchronized byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
    try {
      if (gateway == null) {
        gateway = GcpKmsGateway.create(endpoint, null, Duration.ofSeconds(30));
      }
      return gateway.decrypt(kmsKeyName, wrappedKey, associatedData);
    } catch (KmsException e) {
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "Cloud KMS cannot unwrap the data key with "
              + kmsKeyName
              + ": "
              + e.kind()
              + " (the worker's identity needs roles/cloudkms.cryptoKeyEncrypterDecrypter)");
    }
  }

  @Override
  public synchronized void close() {
    if (gateway != null) {
      gateway.close();
    }
  }
}
