package dev.keyops.kms.gcp;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.iam.v1.TestIamPermissionsRequest;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link KmsGateway} over the real google-cloud-kms client (gRPC). */
public final class GcpKmsGateway implements KmsGateway {

  private final KeyManagementServiceClient client;

  private GcpKmsGateway(KeyManagementServiceClient client) {
    this.client = client;
  }

  /**
   * Creates a client.
   *
   * @param endpoint host:port override, or null for Cloud KMS itself. An override on a loopback
   *     address uses plaintext and no credentials (a test or emulator endpoint).
   * @param credentialsJson a service-account JSON key, or null for Application Default Credentials
   * @param timeout total time a call may take, retries included
   */
  public static GcpKmsGateway create(String endpoint, byte[] credentialsJson, Duration timeout) {
    try {
      KeyManagementServiceSettings.Builder b = KeyManagementServiceSettings.newBuilder();
      boolean local =
          endpoint != null
              && (endpoint.startsWith("localhost:") || endpoint.startsWith("127.0.0.1:"));
      if (endpoint != null) {
        b.setEndpoint(endpoint);
        InstantiatingGrpcChannelProvider.Builder channel =
            InstantiatingGrpcChannelProvider.newBuilder().setEndpoint(endpoint);
        if (local) {
          channel.setChannelConfigurator(ManagedChannelBuilder::usePlaintext);
        }
        b.setTransportChannelProvider(channel.build());
      }
      CredentialsProvider credentials;
      if (local) {
        credentials = NoCredentialsProvider.create();
      } else if (credentialsJson != null) {
        credentials =
            FixedCredentialsProvider.create(
                GoogleCredentials.fromStream(new ByteArrayInputStream(credentialsJson))
                    .createScoped(KeyManagementServiceSettings.getDefaultServiceScopes()));
      } else {
        credentials = KeyManagementServiceSettings.defaultCredentialsProviderBuilder().build();
      }
      b.setCredentialsProvider(credentials);
      org.threeten.bp.Duration total = org.threeten.bp.Duration.ofMillis(timeout.toMillis());
      RetrySettings retry =
          RetrySettings.newBuilder()
              .setTotalTimeout(total)
              .setInitialRetryDelay(org.threeten.bp.Duration.ofMillis(100))
              .setRetryDelayMultiplier(2)
              .setMaxRetryDelay(org.threeten.bp.Duration.ofSeconds(2))
              .setInitialRpcTimeout(total)
              .setRpcTimeoutMultiplier(1)
              .setMaxRpcTimeout(total)
              .setMaxAttempts(1) // one call per attempt: keyops backs off between attempts itself
              .build();
      b.applyToAllUnaryMethods(
          m -> {
            m.setRetrySettings(retry);
            return null;
          });
      return new GcpKmsGateway(KeyManagementServiceClient.create(b.build()));
    } catch (IOException e) {
      throw new KmsException(
          KmsException.Kind.UNAUTHENTICATED,
          "cannot set up Cloud KMS credentials: " + e.getMessage(),
          e);
    }
  }

  @Override
  public CryptoKeyInfo getCryptoKey(String keyName) {
    try {
      CryptoKey key = client.getCryptoKey(keyName);
      CryptoKeyVersion primary = key.hasPrimary() ? key.getPrimary() : null;
      return new CryptoKeyInfo(
          key.getPurpose() == CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT,
          key.getPurpose().name(),
          primary == null ? null : primary.getName(),
          primary == null ? null : state(primary.getState()));
    } catch (ApiException e) {
      throw classify("GetCryptoKey", keyName, e);
    }
  }

  @Override
  public VersionInfo getCryptoKeyVersion(String versionName) {
    try {
      CryptoKeyVersion v = client.getCryptoKeyVersion(versionName);
      return new VersionInfo(
          v.getName(),
          state(v.getState()),
          v.hasDestroyTime()
              ? Instant.ofEpochSecond(
                  v.getDestroyTime().getSeconds(), v.getDestroyTime().getNanos())
              : null);
    } catch (ApiException e) {
      throw classify("GetCryptoKeyVersion", versionName, e);
    }
  }

  @Override
  public List<String> testIamPermissions(String keyName, List<String> permissions) {
    try {
      return client
          .testIamPermissions(
              TestIamPermissionsRequest.newBuilder()
                  .setResource(keyName)
                  .addAllPermissions(permissions)
                  .build())
          .getPermissionsList();
    } catch (ApiException e) {
      throw classify("TestIamPermissions", keyName, e);
    }
  }

  @Override
  public Wrapped encrypt(String keyName, byte[] plaintext, byte[] associatedData) {
    try {
      EncryptResponse r =
          client.encrypt(
              EncryptRequest.newBuilder()
                  .setName(keyName)
                  .setPlaintext(ByteString.copyFrom(plaintext))
                  .setAdditionalAuthenticatedData(ByteString.copyFrom(associatedData))
                  .build());
      return new Wrapped(r.getCiphertext().toByteArray(), r.getName());
    } catch (ApiException e) {
      throw classify("Encrypt", keyName, e);
    }
  }

  @Override
  public byte[] decrypt(String keyName, byte[] ciphertext, byte[] associatedData) {
    try {
      return client
          .decrypt(
              DecryptRequest.newBuilder()
                  .setName(keyName)
                  .setCiphertext(ByteString.copyFrom(ciphertext))
                  .setAdditionalAuthenticatedData(ByteString.copyFrom(associatedData))
                  .build())
          .getPlaintext()
          .toByteArray();
    } catch (ApiException e) {
      throw classify("Decrypt", keyName, e);
    }
  }

  private static VersionState state(CryptoKeyVersion.CryptoKeyVersionState s) {
    return switch (s) {
      case ENABLED -> VersionState.ENABLED;
      case DISABLED -> VersionState.DISABLED;
      case DESTROYED -> VersionState.DESTROYED;
      case DESTROY_SCHEDULED -> VersionState.DESTROY_SCHEDULED;
      case PENDING_GENERATION, PENDING_IMPORT -> VersionState.PENDING;
      default -> VersionState.OTHER;
    };
  }

  static KmsException classify(String call, String keyName, ApiException e) {
    StatusCode.Code code = e.getStatusCode().getCode();
    KmsException.Kind kind =
        switch (code) {
          case NOT_FOUND -> KmsException.Kind.NOT_FOUND;
          case PERMISSION_DENIED -> KmsException.Kind.PERMISSION_DENIED;
          case FAILED_PRECONDITION -> KmsException.Kind.FAILED_PRECONDITION;
          case INVALID_ARGUMENT -> KmsException.Kind.INVALID_ARGUMENT;
          case UNAUTHENTICATED -> KmsException.Kind.UNAUTHENTICATED;
          default -> KmsException.Kind.TRANSIENT;
        };
    return new KmsException(kind, call + " on " + keyName + " failed: " + code, e);
  }

  @Override
  public void close() {
    client.close();
    try {
      client.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
