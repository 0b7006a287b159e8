package dev.keyops.kms.gcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.partition.PartitionException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cloud KMS failures reach the partition library as transient or final, never mixed up. */
class KmsDataKeyUnwrapperTest {

  static final String KEY = "projects/p/locations/l/keyRings/r/cryptoKeys/k";

  @Test
  void unavailableAndDeadlineExceededAreTransient() {
    for (String code : List.of("UNAVAILABLE", "DEADLINE_EXCEEDED")) {
      FakeGateway kms =
          new FakeGateway(
              new KmsException(
                  KmsException.Kind.TRANSIENT, "Decrypt on " + KEY + " failed: " + code, null));
      PartitionException e =
          assertThrows(
              PartitionException.class,
              () -> new KmsDataKeyUnwrapper(kms).unwrap(KEY, new byte[] {1}, new byte[0]));
      assertTrue(e.transientFailure(), code);
      assertTrue(e.getMessage().contains(code), e.getMessage());
      assertEquals(PartitionException.Kind.KEY_UNAVAILABLE, e.kind());
    }
  }

  @Test
  void refusalsAreFinal() {
    for (KmsException.Kind kind :
        List.of(
            KmsException.Kind.PERMISSION_DENIED,
            KmsException.Kind.NOT_FOUND,
            KmsException.Kind.FAILED_PRECONDITION)) {
      FakeGateway kms = new FakeGateway(new KmsException(kind, "Decrypt failed: " + kind, null));
      PartitionException e =
          assertThrows(
              PartitionException.class,
              () -> new KmsDataKeyUnwrapper(kms).unwrap(KEY, new byte[] {1}, new byte[0]));
      assertFalse(e.transientFailure(), kind.name());
    }
  }

  @Test
  void aSuccessAfterAFailureReturnsTheKey() {
    FakeGateway kms =
        new FakeGateway(new KmsException(KmsException.Kind.TRANSIENT, "failed: UNAVAILABLE", null));
    KmsDataKeyUnwrapper u = new KmsDataKeyUnwrapper(kms);
    assertThrows(PartitionException.class, () -> u.unwrap(KEY, new byte[] {1}, new byte[0]));
    assertArrayEquals(new byte[32], u.unwrap(KEY, new byte[] {1}, new byte[0]));
  }

  /** Fails the queued calls, then decrypts everything to 32 zero bytes. */
  static final class FakeGateway implements KmsGateway {
    private final Deque<KmsException> failures = new ArrayDeque<>();

    FakeGateway(KmsException... fail) {
      failures.addAll(List.of(fail));
    }

    @Override
    public byte[] decrypt(String keyName, byte[] ciphertext, byte[] associatedData) {
      KmsException f = failures.poll();
      if (f != null) {
        throw f;
      }
      return new byte[32];
    }

    @Override
    public CryptoKeyInfo getCryptoKey(String keyName) {
      throw new UnsupportedOperationException();
    }

    @Override
    public VersionInfo getCryptoKeyVersion(String versionName) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<String> testIamPermissions(String keyName, List<String> permissions) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Wrapped encrypt(String keyName, byte[] plaintext, byte[] associatedData) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
