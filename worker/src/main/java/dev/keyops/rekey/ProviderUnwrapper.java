package dev.keyops.rekey;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundleDocument;
import java.util.function.Supplier;

/**
 * Sends each keyring entry's unwrap to its key manager: transit entries to Transit decrypt
 * (keyops-kms-transit, created on the first one), awsKms entries to AWS KMS Decrypt
 * (keyops-kms-aws, created on the first one), every other wrapped key to Cloud KMS.
 */
final class ProviderUnwrapper implements DataKeyUnwrapper {

  static final String TRANSIT = "transit";
  static final String AWS_KMS = "awsKms";

  private final DataKeyUnwrapper cloudKms;
  private final Supplier<DataKeyUnwrapper> transitFactory;
  private final Supplier<DataKeyUnwrapper> awsKmsFactory;
  private DataKeyUnwrapper transit;
  private DataKeyUnwrapper awsKms;

  ProviderUnwrapper(DataKeyUnwrapper cloudKms, Supplier<DataKeyUnwrapper> transitFactory) {
    this(
        cloudKms,
        transitFactory,
        dev.keyops.kms.aws.AwsKmsDataKeyUnwrapper::withDefaultCredentials);
  }

  ProviderUnwrapper(
      DataKeyUnwrapper cloudKms,
      Supplier<DataKeyUnwrapper> transitFactory,
      Supplier<DataKeyUnwrapper> awsKmsFactory) {
    this.cloudKms = cloudKms;
    this.transitFactory = transitFactory;
    this.awsKmsFactory = awsKmsFactory;
  }

  @Override
  public byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
    return cloudKms.unwrap(kmsKeyName, wrappedKey, associatedData);
  }

  @Override
  public byte[] unwrap(KeyBundleDocument.Entry entry, byte[] wrappedKey, byte[] associatedData) {
    if (TRANSIT.equals(entry.provider())) {
      return transit().unwrap(entry, wrappedKey, associatedData);
    }
    if (AWS_KMS.equals(entry.provider())) {
      return awsKms().unwrap(entry, wrappedKey, associatedData);
    }
    return cloudKms.unwrap(entry, wrappedKey, associatedData);
  }

  private synchronized DataKeyUnwrapper transit() {
    if (transit == null) {
      transit = transitFactory.get();
    }
    return transit;
  }

  private synchronized DataKeyUnwrapper awsKms() {
    if (awsKms == null) {
      awsKms = awsKmsFactory.get();
    }
    return awsKms;
  }
}
