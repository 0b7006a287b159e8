package dev.keyops.partition;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Random;
import java.security.GeneralSecurityException;

/**
 * Gets the JIT to compile the JDK's AES-GCM paths (GHASH, counter mode) with their CPU intrinsics
 * before real work starts. Tink hands the JDK 1 MiB segments; so few, so large calls would leave
 * GHASH interpreted for a long time (~70 MB/s instead of GB/s). Many small calls with a throwaway
 * key cost ~100 ms once per process.
 */
public final class CryptoWarmup {

  private static volatile boolean done;

  private CryptoWarmup() {}

  public static synchronized void run() {
    if (done) {
      return;
    }
    try {
      Aead aead = new AesGcmJce(Random.randBytes(32));
      byte[] block = new byte[256];
      byte[] ad = new byte[0];
      for (int i = 0; i < 30_000; i++) {
        aead.decrypt(aead.encrypt(block, ad), ad);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
    done = true;
  }
}
