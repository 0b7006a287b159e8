package dev.keyops.kms.gcp;

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

  /** An unwrapper over a given gateway (tests: a fake Cloud KMS). */
  KmsDataKeyUnwrapper(KmsGateway gateway) {
    this.endpoint = null;
    this.gateway = gateway;
  }

  @Override
  public synchronized byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
    try {
      if (gateway == null) {
        gateway = GcpKmsGateway.create(endpoint, null, Duration.ofSeconds(30));
      }
      return gateway.decrypt(kmsKeyName, wrappedKey, associatedData);
    } catch (KmsException e) {
      if (e.transientFailure()) {
        // UNAVAILABLE, DEADLINE_EXCEEDED, quota, internal: may pass; the keyring retries it.
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "Cloud KMS could not unwrap the data key with "
                + kmsKeyName
                + " for now ("
                + codeOf(e)
                + "); retry later",
            true);
      }
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "Cloud KMS cannot unwrap the data key with "
              + kmsKeyName
              + ": "
              + e.kind()
              + " (the worker's identity needs roles/cloudkms.cryptoKeyEncrypterDecrypter)");
    }
  }

  /** The gRPC code in a classified failure's message ("... failed: UNAVAILABLE"), or its kind. */
  private static String codeOf(KmsException e) {
    String m = e.getMessage();
    int i = m == null ? -1 : m.lastIndexOf("failed: ");
    return i < 0 ? e.kind().name() : m.substring(i + "failed: ".length());
  }

  @Override
  public synchronized void close() {
    if (gateway != null) {
      gateway.close();
    }
  }
}
