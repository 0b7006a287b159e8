package dev.keyops.provider;

import dev.keyops.kms.gcp.KmsException;
import dev.keyops.kms.gcp.KmsGateway;
import dev.keyops.status.Reason;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks that keyops can really use a Cloud KMS key: the name, GetCryptoKey (purpose
 * ENCRYPT_DECRYPT, primary version ENABLED), TestIamPermissions, and a wrap/unwrap round trip.
 * Every failure becomes a {@link ProviderException} whose reason names it and whose message says
 * what to do; transient failures are marked so.
 */
public final class KmsAccessValidator {

  public static final String USE_TO_ENCRYPT = "cloudkms.cryptoKeyVersions.useToEncrypt";
  public static final String USE_TO_DECRYPT = "cloudkms.cryptoKeyVersions.useToDecrypt";
  public static final String GET = "cloudkms.cryptoKeys.get";
  public static final List<String> PERMISSIONS = List.of(USE_TO_ENCRYPT, USE_TO_DECRYPT, GET);
  public static final String ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
  public static final String VIEWER = "roles/cloudkms.viewer";

  private KmsAccessValidator() {}

  /** Parses the name or fails with InvalidKeyName. */
  public static GcpKeyName parseName(String keyName) {
    try {
      return GcpKeyName.parse(keyName);
    } catch (IllegalArgumentException e) {
      throw ProviderException.inSpec(Reason.InvalidKeyName, e.getMessage());
    }
  }

  /** GetCryptoKey: the key exists, is for ENCRYPT_DECRYPT, and its primary version is enabled. */
  public static KmsGateway.CryptoKeyInfo checkKey(KmsGateway kms, String keyName) {
    return requireEnabledPrimary(describeKey(kms, keyName), keyName);
  }

  /** GetCryptoKey: the key exists and is for ENCRYPT_DECRYPT (whatever its primary's state). */
  public static KmsGateway.CryptoKeyInfo describeKey(KmsGateway kms, String keyName) {
    KmsGateway.CryptoKeyInfo info;
    try {
      info = kms.getCryptoKey(keyName);
    } catch (KmsException e) {
      throw translate(kms, keyName, e);
    }
    if (!info.purposeEncryptDecrypt()) {
      throw new ProviderException(
          Reason.WrongKeyPurpose,
          "Cloud KMS key "
              + keyName
              + " has purpose "
              + info.purpose()
              + "; keyops needs a symmetric key with purpose ENCRYPT_DECRYPT");
    }
    return info;
  }

  /** Fails with KeyDisabled unless the key's primary version is ENABLED. */
  public static KmsGateway.CryptoKeyInfo requireEnabledPrimary(
      KmsGateway.CryptoKeyInfo info, String keyName) {
    if (info.primaryState() != KmsGateway.VersionState.ENABLED) {
      String state = info.primaryState() == null ? "missing" : info.primaryState().name();
      throw new ProviderException(
          Reason.KeyDisabled,
          "the primary version of Cloud KMS key "
              + keyName
              + " is "
              + state
              + ": enable or restore it (or make an enabled version primary)");
    }
    return info;
  }

  /** TestIamPermissions; fails with PermissionDenied naming the missing roles. */
  public static void checkPermissions(KmsGateway kms, String keyName) {
    List<String> held;
    try {
      held = kms.testIamPermissions(keyName, PERMISSIONS);
    } catch (KmsException e) {
      throw translate(kms, keyName, e);
    }
    List<String> missing = new ArrayList<>(PERMISSIONS);
    missing.removeAll(held);
    if (!missing.isEmpty()) {
      throw permissionDenied(keyName, missing);
    }
  }

  /** Roles that grant the given permissions. */
  public static List<String> rolesFor(List<String> missing) {
    Set<String> roles = new LinkedHashSet<>();
    for (String p : missing) {
      roles.add(p.equals(GET) ? VIEWER : ENCRYPTER_DECRYPTER);
    }
    return List.copyOf(roles);
  }

  static MissingPermissions permissionDenied(String keyName, List<String> missing) {
    return new MissingPermissions(
        missing,
        "the operator's identity lacks "
            + String.join(", ", missing)
            + " on "
            + keyName
            + ": grant "
            + String.join(" and ", rolesFor(missing))
            + " on the key");
  }

  /** Wraps a data key and unwraps it again; returns the wrapped key and the version used. */
  public static KmsGateway.Wrapped roundTrip(
      KmsGateway kms, String keyName, byte[] dataKey, byte[] aad) {
    try {
      KmsGateway.Wrapped wrapped = kms.encrypt(keyName, dataKey, aad);
      byte[] back = kms.decrypt(keyName, wrapped.ciphertext(), aad);
      if (!MessageDigest.isEqual(back, dataKey)) {
        throw new ProviderException(
            Reason.KmsUnavailable,
            "Cloud KMS returned a different data key in the round trip on " + keyName);
      }
      return wrapped;
    } catch (KmsException e) {
      throw translate(kms, keyName, e);
    }
  }

  /** Unwraps a stored data key (a revalidation: proves decrypt still works). */
  public static byte[] unwrap(KmsGateway kms, String keyName, byte[] wrapped, byte[] aad) {
    try {
      return kms.decrypt(keyName, wrapped, aad);
    } catch (KmsException e) {
      throw translate(kms, keyName, e);
    }
  }

  /** Turns a failed call into a ProviderException; on PERMISSION_DENIED, names what is missing. */
  static ProviderException translate(KmsGateway kms, String keyName, KmsException e) {
    return switch (e.kind()) {
      case NOT_FOUND ->
          new ProviderException(
              Reason.KeyNotFound,
              "Cloud KMS key " + keyName + " does not exist (or the project is wrong)");
      case PERMISSION_DENIED -> {
        try {
          List<String> held = kms.testIamPermissions(keyName, PERMISSIONS);
          List<String> missing = new ArrayList<>(PERMISSIONS);
          missing.removeAll(held);
          yield missing.isEmpty()
              ? new ProviderException(Reason.PermissionDenied, e.getMessage())
              : permissionDenied(keyName, missing);
        } catch (KmsException inner) {
          yield permissionDenied(keyName, PERMISSIONS);
        }
      }
      case FAILED_PRECONDITION ->
          new ProviderException(
              Reason.KeyDisabled,
              "Cloud KMS refused "
                  + keyName
                  + ": the key version is not enabled ("
                  + e.getMessage()
                  + ")");
      case UNAUTHENTICATED ->
          new ProviderException(
              Reason.CredentialsInvalid,
              "Cloud KMS rejected the operator's credentials: check credentialsSecretRef or Workload Identity");
      case INVALID_ARGUMENT ->
          new ProviderException(
              Reason.KmsUnavailable,
              "Cloud KMS rejected the request on " + keyName + ": " + e.getMessage());
      case TRANSIENT ->
          new ProviderException(
              Reason.KmsUnavailable,
              "Cloud KMS is unavailable for " + keyName + ": " + e.getMessage(),
              true);
    };
  }

  /** PermissionDenied with the permissions that are missing. */
  public static final class MissingPermissions extends ProviderException {
    private final List<String> missing;

    MissingPermissions(List<String> missing, String message) {
      this(Reason.PermissionDenied, missing, message);
    }

    /** With a provider's own reason (Transit: TransitCapabilityMissing). */
    MissingPermissions(Reason reason, List<String> missing, String message) {
      super(reason, message);
      this.missing = List.copyOf(missing);
    }

    public List<String> missing() {
      return missing;
    }
  }
}
