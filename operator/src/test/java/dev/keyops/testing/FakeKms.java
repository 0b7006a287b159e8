package dev.keyops.testing;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.GetCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.KeyManagementServiceGrpc;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Random;
import com.google.iam.v1.TestIamPermissionsRequest;
import com.google.iam.v1.TestIamPermissionsResponse;
import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.keyops.provider.KmsAccessValidator;
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
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Arrays;
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
 * their versions, the caller's permissions and outages are set by tests.
 *
 * <p>Key versions behave as Cloud KMS documents them: a key has numbered versions, each ENABLED,
 * DISABLED, DESTROY_SCHEDULED (with a destroyTime) or DESTROYED, and one primary version; Encrypt
 * uses the primary and names it in its response; a rotation adds an ENABLED version and makes it
 * primary; the ciphertext identifies the version that produced it, so Decrypt (called on the key)
 * uses that version and refuses with FAILED_PRECONDITION when it is not ENABLED.
 */
public final class FakeKms implements AutoCloseable {

  /** The permission GetCryptoKeyVersion needs (part of roles/cloudkms.viewer). */
  public static final String VERSIONS_GET = "cloudkms.cryptoKeyVersions.get";

  /** One version of a key: its own key material and state. */
  static final class Version {
    final Aead kek;
    volatile CryptoKeyVersion.CryptoKeyVersionState state =
        CryptoKeyVersion.CryptoKeyVersionState.ENABLED;
    volatile Instant destroyTime;

    Version() {
      try {
        kek = new AesGcmJce(Random.randBytes(32));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** One Cloud KMS key. */
  public static final class Key {
    final Map<Integer, Version> versions = new ConcurrentHashMap<>();
    volatile int primary;
    volatile CryptoKey.CryptoKeyPurpose purpose = CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT;
    final Set<String> granted = ConcurrentHashMap.newKeySet();

    Key() {
      versions.put(1, new Version());
      primary = 1;
      granted.addAll(KmsAccessValidator.PERMISSIONS);
      granted.add(VERSIONS_GET);
    }

    synchronized int rotate() {
      int next = versions.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
      versions.put(next, new Version());
      primary = next;
      return next;
    }
  }

  private final Map<String, Key> keys = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private volatile boolean unavailable;
  private final Set<String> unavailableMethods = ConcurrentHashMap.newKeySet();
  private volatile String outageAfterEncrypt;
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

  /** Sets the state of the key's primary version. */
  public void setState(String name, CryptoKeyVersion.CryptoKeyVersionState state) {
    Key k = keys.get(name);
    setVersionState(name, k.primary, state);
  }

  /** Resource name of version {@code n} of a key. */
  public static String versionName(String name, int n) {
    return name + "/cryptoKeyVersions/" + n;
  }

  /** Rotates the key as Cloud KMS does: a new ENABLED version becomes primary. */
  public String rotate(String name) {
    return versionName(name, keys.get(name).rotate());
  }

  public int primaryVersion(String name) {
    return keys.get(name).primary;
  }

  /** UpdatePrimaryVersion. */
  public void setPrimary(String name, int version) {
    keys.get(name).primary = version;
  }

  /** Enables or disables a version (UpdateCryptoKeyVersion), or marks it DESTROYED. */
  public void setVersionState(String name, int version, CryptoKeyVersion.CryptoKeyVersionState s) {
    Version v = keys.get(name).versions.get(version);
    v.state = s;
    v.destroyTime = null;
  }

  /** DestroyCryptoKeyVersion: DESTROY_SCHEDULED until {@code destroyTime}. */
  public void scheduleDestroy(String name, int version, Instant destroyTime) {
    Version v = keys.get(name).versions.get(version);
    v.state = CryptoKeyVersion.CryptoKeyVersionState.DESTROY_SCHEDULED;
    v.destroyTime = destroyTime;
  }

  public void setPurpose(String name, CryptoKey.CryptoKeyPurpose purpose) {
    keys.get(name).purpose = purpose;
  }

  public void revoke(String name, String... permissions) {
    keys.get(name).granted.removeAll(List.of(permissions));
  }

  public void grantAll(String name) {
    keys.get(name).granted.addAll(KmsAccessValidator.PERMISSIONS);
    keys.get(name).granted.add(VERSIONS_GET);
  }

  public void setUnavailable(boolean value) {
    unavailable = value;
  }

  /** Makes one method (e.g. "Decrypt") answer UNAVAILABLE, or serve again. */
  public void setUnavailable(String method, boolean value) {
    if (value) {
      unavailableMethods.add(method);
    } else {
      unavailableMethods.remove(method);
    }
  }

  /** After the next successful Encrypt, {@code method} answers UNAVAILABLE (until set back). */
  public void setUnavailableAfterNextEncrypt(String method) {
    outageAfterEncrypt = method;
  }

  /**
   * Decrypts as the service would, whatever the version's state (tests use it to learn a data key
   * and look for leaks).
   */
  public byte[] unwrap(String name, byte[] ciphertext, byte[] aad) throws GeneralSecurityException {
    Version v = keys.get(name).versions.get(versionOf(ciphertext));
    if (v == null) {
      throw new GeneralSecurityException("no such version");
    }
    return v.kek.decrypt(Arrays.copyOfRange(ciphertext, 4, ciphertext.length), aad);
  }

  /** The version number a ciphertext names (its first four bytes, big-endian). */
  public static int versionOf(byte[] ciphertext) {
    return ciphertext.length < 4 ? -1 : ByteBuffer.wrap(ciphertext, 0, 4).getInt();
  }

  public int calls(String method) {
    return calls.getOrDefault(method, new AtomicInteger()).get();
  }

  public int totalCalls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  private Key admit(String method, String name, String permission, StreamObserver<?> out) {
    calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    if (unavailable || unavailableMethods.contains(method)) {
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
      CryptoKey.Builder key = CryptoKey.newBuilder().setName(req.getName()).setPurpose(k.purpose);
      if (k.primary > 0) {
        key.setPrimary(describe(req.getName(), k.primary, k.versions.get(k.primary)));
      }
      out.onNext(key.build());
      out.onCompleted();
    }

    @Override
    public void getCryptoKeyVersion(
        GetCryptoKeyVersionRequest req, StreamObserver<CryptoKeyVersion> out) {
      String name = req.getName();
      int slash = name.lastIndexOf("/cryptoKeyVersions/");
      Key k =
          admit(
              "GetCryptoKeyVersion",
              slash < 0 ? name : name.substring(0, slash),
              VERSIONS_GET,
              out);
      if (k == null) {
        return;
      }
      Version v = null;
      int n = -1;
      try {
        n = Integer.parseInt(name.substring(slash + "/cryptoKeyVersions/".length()));
        v = k.versions.get(n);
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        // reported below
      }
      if (v == null) {
        out.onError(Status.NOT_FOUND.withDescription(name + " not found").asRuntimeException());
        return;
      }
      out.onNext(describe(name.substring(0, slash), n, v));
      out.onCompleted();
    }

    private CryptoKeyVersion describe(String keyName, int n, Version v) {
      CryptoKeyVersion.Builder b =
          CryptoKeyVersion.newBuilder().setName(versionName(keyName, n)).setState(v.state);
      Instant destroy = v.destroyTime;
      if (destroy != null) {
        b.setDestroyTime(
            Timestamp.newBuilder()
                .setSeconds(destroy.getEpochSecond())
                .setNanos(destroy.getNano()));
      }
      return b.build();
    }

    @Override
    public void encrypt(EncryptRequest req, StreamObserver<EncryptResponse> out) {
      Key k = admit("Encrypt", req.getName(), KmsAccessValidator.USE_TO_ENCRYPT, out);
      if (k == null) {
        return;
      }
      int n = k.primary;
      Version v = k.versions.get(n);
      if (v == null || !enabled(versionName(req.getName(), n), v, out)) {
        return;
      }
      try {
        byte[] ct =
            v.kek.encrypt(
                req.getPlaintext().toByteArray(),
                req.getAdditionalAuthenticatedData().toByteArray());
        byte[] framed = ByteBuffer.allocate(4 + ct.length).putInt(n).put(ct).array();
        out.onNext(
            EncryptResponse.newBuilder()
                .setName(versionName(req.getName(), n))
                .setCiphertext(ByteString.copyFrom(framed))
                .build());
        out.onCompleted();
        String then = outageAfterEncrypt;
        if (then != null) {
          unavailableMethods.add(then);
          outageAfterEncrypt = null;
        }
      } catch (GeneralSecurityException e) {
        out.onError(Status.INTERNAL.asRuntimeException());
      }
    }

    @Override
    public void decrypt(DecryptRequest req, StreamObserver<DecryptResponse> out) {
      Key k = admit("Decrypt", req.getName(), KmsAccessValidator.USE_TO_DECRYPT, out);
      if (k == null) {
        return;
      }
      byte[] ct = req.getCiphertext().toByteArray();
      int n = versionOf(ct);
      Version v = k.versions.get(n);
      if (v == null) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("Decryption failed: the ciphertext is invalid")
                .asRuntimeException());
        return;
      }
      if (!enabled(versionName(req.getName(), n), v, out)) {
        return;
      }
      try {
        byte[] pt =
            v.kek.decrypt(
                Arrays.copyOfRange(ct, 4, ct.length),
                req.getAdditionalAuthenticatedData().toByteArray());
        out.onNext(
            DecryptResponse.newBuilder()
                .setPlaintext(ByteString.copyFrom(pt))
                .setUsedPrimary(n == k.primary)
                .build());
        out.onCompleted();
      } catch (GeneralSecurityException e) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("Decryption failed: the ciphertext is invalid")
                .asRuntimeException());
      }
    }

    /** Cloud KMS refuses a version that is not ENABLED with FAILED_PRECONDITION. */
    private boolean enabled(String versionName, Version v, StreamObserver<?> out) {
      if (v.state != CryptoKeyVersion.CryptoKeyVersionState.ENABLED) {
        out.onError(
            Status.FAILED_PRECONDITION
                .withDescription(versionName + " is not enabled, current state is: " + v.state)
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
