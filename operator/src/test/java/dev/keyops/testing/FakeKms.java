package dev.keyops.testing;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.KeyManagementServiceGrpc;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Random;
import com.google.iam.v1.TestIamPermissionsRequest;
import com.google.iam.v1.TestIamPermissionsResponse;
import com.google.protobuf.ByteString;
import dev.keyops.kms.KmsAccessValidator;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Cloud KMS stand-in serving the real gRPC API (KeyManagementService and the IAMPolicy mixin's
 * TestIamPermissions) on a loopback port, so the real KeyManagementServiceClient talks to it. Keys,
 * their primary version state, the caller's permissions and outages are set by tests.
 */
public final class FakeKms implements AutoCloseable {

  /** One Cloud KMS key. */
  public static final class Key {
    final Aead kek;
    volatile CryptoKey.CryptoKeyPurpose purpose = CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT;
    volatile CryptoKeyVersion.CryptoKeyVersionState state =
        CryptoKeyVersion.CryptoKeyVersionState.ENABLED;
    final Set<String> granted = ConcurrentHashMap.newKeySet();

    Key() {
      try {
        kek = new AesGcmJce(Random.randBytes(32));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      granted.addAll(KmsAccessValidator.PERMISSIONS);
    }
  }

  private final Map<String, Key> keys = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private volatile boolean unavailable;
  private final Server server;

  public FakeKms() throws IOException {
    MethodDescriptor<TestIamPermissionsRequest, TestIamPermissionsResponse> testIam =
        MethodDescriptor.<TestIamPermissionsRequest, TestIamPermissionsResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("google.iam.v1.IAMPolicy/TestIamPermissions")
            .setRequestMarshaller(
                ProtoUtils.marshaller(TestIamPermissionsRequest.getDefaultInstance()))
            .setResponseMarshaller(
                ProtoUtils.marshaller(TestIamPermissionsResponse.getDefaultInstance()))
            .build();
    ServerServiceDefinition iam =
        ServerServiceDefinition.builder("google.iam.v1.IAMPolicy")
            .addMethod(testIam, ServerCalls.asyncUnaryCall(this::testIamPermissions))
            .build();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new Service())
            .addService(iam)
            .build()
            .start();
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  public Key create(String name) {
    return keys.computeIfAbsent(name, n -> new Key());
  }

  public void setState(String name, CryptoKeyVersion.CryptoKeyVersionState state) {
    keys.get(name).state = state;
  }

  public void setPurpose(String name, CryptoKey.CryptoKeyPurpose purpose) {
    keys.get(name).purpose = purpose;
  }

  public void revoke(String name, String... permissions) {
    keys.get(name).granted.removeAll(List.of(permissions));
  }

  public void grantAll(String name) {
    keys.get(name).granted.addAll(KmsAccessValidator.PERMISSIONS);
  }

  public void setUnavailable(boolean value) {
    unavailable = value;
  }

  /** Decrypts as the service would (tests use it to learn a data key and look for leaks). */
  public byte[] unwrap(String name, byte[] ciphertext, byte[] aad) throws GeneralSecurityException {
    return keys.get(name).kek.decrypt(ciphertext, aad);
  }

  public int calls(String method) {
    return calls.getOrDefault(method, new AtomicInteger()).get();
  }

  public int totalCalls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  private Key admit(String method, String name, String permission, StreamObserver<?> out) {
    calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    if (unavailable) {
      out.onError(Status.UNAVAILABLE.withDescription("fake KMS is down").asRuntimeException());
      return null;
    }
    Key k = keys.get(name);
    if (k == null) {
      out.onError(Status.NOT_FOUND.withDescription(name + " not found").asRuntimeException());
      return null;
    }
    if (permission != null && !k.granted.contains(permission)) {
      out.onError(
          Status.PERMISSION_DENIED
              .withDescription("Permission '" + permission + "' denied")
              .asRuntimeException());
      return null;
    }
    return k;
  }

  private void testIamPermissions(
      TestIamPermissionsRequest req, StreamObserver<TestIamPermissionsResponse> out) {
    Key k = admit("TestIamPermissions", req.getResource(), null, out);
    if (k == null) {
      return;
    }
    Set<String> held = new HashSet<>(req.getPermissionsList());
    held.retainAll(k.granted);
    out.onNext(TestIamPermissionsResponse.newBuilder().addAllPermissions(held).build());
    out.onCompleted();
  }

  private final class Service extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {
    @Override
    public void getCryptoKey(GetCryptoKeyRequest req, StreamObserver<CryptoKey> out) {
      Key k = admit("GetCryptoKey", req.getName(), KmsAccessValidator.GET, out);
      if (k == null) {
        return;
      }
      out.onNext(
          CryptoKey.newBuilder()
              .setName(req.getName())
              .setPurpose(k.purpose)
              .setPrimary(
                  CryptoKeyVersion.newBuilder()
                      .setName(req.getName() + "/cryptoKeyVersions/1")
                      .setState(k.state))
              .build());
      out.onCompleted();
    }

    @Override
    public void encrypt(EncryptRequest req, StreamObserver<EncryptResponse> out) {
      Key k = admit("Encrypt", req.getName(), KmsAccessValidator.USE_TO_ENCRYPT, out);
      if (k == null || !enabled(k, out)) {
        return;
      }
      try {
        byte[] ct =
            k.kek.encrypt(
                req.getPlaintext().toByteArray(),
                req.getAdditionalAuthenticatedData().toByteArray());
        out.onNext(
            EncryptResponse.newBuilder()
                .setName(req.getName() + "/cryptoKeyVersions/1")
                .setCiphertext(ByteString.copyFrom(ct))
                .build());
        out.onCompleted();
      } catch (GeneralSecurityException e) {
        out.onError(Status.INTERNAL.asRuntimeException());
      }
    }

    @Override
    public void decrypt(DecryptRequest req, StreamObserver<DecryptResponse> out) {
      Key k = admit("Decrypt", req.getName(), KmsAccessValidator.USE_TO_DECRYPT, out);
      if (k == null || !enabled(k, out)) {
        return;
      }
      try {
        byte[] pt =
            k.kek.decrypt(
                req.getCiphertext().toByteArray(),
                req.getAdditionalAuthenticatedData().toByteArray());
        out.onNext(DecryptResponse.newBuilder().setPlaintext(ByteString.copyFrom(pt)).build());
        out.onCompleted();
      } catch (GeneralSecurityException e) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("Decryption failed: the ciphertext is invalid")
                .asRuntimeException());
      }
    }

    private boolean enabled(Key k, StreamObserver<?> out) {
      if (k.state != CryptoKeyVersion.CryptoKeyVersionState.ENABLED) {
        out.onError(
            Status.FAILED_PRECONDITION
                .withDescription("key version is " + k.state)
                .asRuntimeException());
        return false;
      }
      return true;
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }
}
