package dev.keyops.key;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.status.Conditions;
import dev.keyops.testing.Fixtures;
import dev.keyops.testing.OperatorHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Keys applied together: the first reconcile of the ring observes and settles every key, its
 * Promoted condition included, so a key's own reconcile later finds nothing left to write. Before,
 * each sibling got one more status write (its Promoted condition) whenever its own reconcile came,
 * minutes later at scale.
 */
class SiblingStatusWritesTest {

  static final List<String> KEYS = List.of("events-1", "events-2", "events-3", "events-4");

  @Test
  void keysAppliedTogetherAreEachWrittenAtMostTwice() throws Exception {
    try (OperatorHarness h = new OperatorHarness(Duration.ofMinutes(10))) {
      h.stop();
      for (String name : KEYS) {
        EncryptionKey k = Fixtures.managedKey(name, "events");
        k.getSpec().setActivate(name.equals("events-1"));
        h.client().resource(k).create();
      }
      h.api.drainRequests();
      h.start();
      for (String name : KEYS) {
        h.awaitKey(
            name,
            k ->
                k.getStatus() != null
                    && k.getStatus().getInKeyringSince() != null
                    && Conditions.find(k.getStatus().getConditions(), Conditions.PROMOTED)
                        .isPresent(),
            "observed, listed in the keyring and its Promoted condition recorded");
      }
      KmsOutageTest.quiesce(h);
      // Writes the server applied: a write it refused as sent from a stale copy (the key's own
      // reconcile had just added its finalizer, say, and the informer had not seen it yet) changed
      // nothing and was retried from a fresh read. How many there are depends on the informer's
      // lag, that is on the machine's load, so they are reported, not bounded.
      Map<String, Long> writes = new TreeMap<>();
      Map<String, Long> refused = new TreeMap<>();
      count(h.api.drainRequests(), writes);
      count(h.api.staleWritesRefused(), refused);
      refused.forEach((name, n) -> writes.merge(name, -n, Long::sum));
      System.out.println(
          "status writes applied per key: " + writes + ", refused as stale: " + refused);
      // The Staged keys: their observation (Ready, Promoted) and, after the keyring Secret lists
      // them, inKeyringSince. The Primary also records its promotion.
      for (String name : KEYS.subList(1, 4)) {
        assertTrue(writes.getOrDefault(name, 0L) <= 2, name + ": " + writes);
      }
      assertTrue(writes.getOrDefault("events-1", 0L) <= 3, "events-1: " + writes);
    }
  }

  /** Counts the status writes ("PUT .../encryptionkeys/NAME/status") per key. */
  static void count(List<String> requests, Map<String, Long> perKey) {
    for (String r : requests) {
      for (String name : KEYS) {
        if (r.endsWith("/encryptionkeys/" + name + "/status")) {
          perKey.merge(name, 1L, Long::sum);
        }
      }
    }
  }
}
