package dev.keyops.partition.testing;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.PartitionException;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-written Cloud KMS stand-in for the partition library's unwrap seam: unwraps the keys it
 * was given, after failing the calls it was told to fail, as {@code KmsDataKeyUnwrapper} reports
 * them (transient for UNAVAILABLE and DEADLINE_EXCEEDED, a refusal otherwise).
 */
public final class FakeKms implements DataKeyUnwrapper {

  /** A Cloud KMS status code the fake fails a call with. */
  public enum Code {
    UNAVAILABLE,
    DEADLINE_EXCEEDED,
    PERMISSION_DENIED,
    NOT_FOUND,
    FAILED_PRECONDITION
  }

  private final Map<String, byte[]> material = new HashMap<>();
  private final Deque<Code> failures = new ArrayDeque<>();
  private Code always;
  public final AtomicInteger calls = new AtomicInteger();

  /** The key that {@link TestKeyBundles#asGcpKms} entries of {@code managed} unwrap to. */
  public FakeKms knows(String kmsKeyName, String managedMaterialBase64) {
    material.put(kmsKeyName, Base64.getDecoder().decode(managedMaterialBase64));
    return this;
  }

  /** The next calls fail with these codes, in order. */
  public synchronized FakeKms thenFail(Code... codes) {
    failures.addAll(java.util.List.of(codes));
    return this;
  }

  /** Every call fails with {@code code} (null: back to normal). */
  public synchronized FakeKms alwaysFail(Code code) {
    always = code;
    return this;
  }

  @Override
  public synchronized byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
    calls.incrementAndGet();
    Code fail = always != null ? always : failures.poll();
    if (fail != null) {
      boolean transientFailure = fail == Code.UNAVAILABLE || fail == Code.DEADLINE_EXCEEDED;
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE,
          "Cloud KMS cannot unwrap the data key with " + kmsKeyName + ": " + fail,
          transientFailure);
    }
    byte[] key = material.get(kmsKeyName);
    if (key == null) {
      throw new PartitionException(
          PartitionException.Kind.KEY_UNAVAILABLE, "fake KMS: unknown key " + kmsKeyName);
    }
    return key.clone();
  }
}
