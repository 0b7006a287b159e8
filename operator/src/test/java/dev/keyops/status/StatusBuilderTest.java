package dev.keyops.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeyStatus;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.status.KStatus.Progress;
import dev.keyops.status.KStatus.Verdict;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StatusBuilderTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void conditionsCarryTheReconcilesGenerationAndMoveTheirTransitionTimeOnlyWithTheirStatus() {
    EncryptionKey k = key(3L);
    var first = StatusBuilder.of(k, k.getStatus(), T0);
    assertTrue(first.set("Ready", false, Reason.SecretNotFound, "create it"), "new: a transition");
    assertFalse(first.isTrue("Ready"));
    assertTrue(first.isFalse("Ready"));
    assertTrue(first.hasReason("Ready", Reason.SecretNotFound));

    Instant later = T0.plusSeconds(60);
    var second = StatusBuilder.of(k, k.getStatus(), later);
    assertFalse(second.set("Ready", false, Reason.InvalidKeyMaterial, "fix it"), "same status");
    assertEquals(T0.toString(), find(second, "Ready").getLastTransitionTime());
    assertEquals("InvalidKeyMaterial", find(second, "Ready").getReason());
    assertTrue(second.set("Ready", true, Reason.KeyMaterialValid, "ok"));
    assertEquals(later.toString(), find(second, "Ready").getLastTransitionTime());
    assertEquals(3L, find(second, "Ready").getObservedGeneration());
    assertEquals("True", find(second, "Ready").getStatus());

    assertTrue(second.remove("Ready"));
    assertFalse(second.remove("Ready"));
    assertEquals(null, k.getStatus().getObservedGeneration(), "observed() is explicit");
    second.observed();
    assertEquals(3L, k.getStatus().getObservedGeneration());
  }

  @Test
  void kstatusWritesOnlyWhatChangedAndFollowsTheAbnormalTrueRules() {
    ReencryptionJob rej = new ReencryptionJob();
    rej.setMetadata(new ObjectMetaBuilder().withName("j").withGeneration(1L).build());
    ReencryptionJobStatus s = new ReencryptionJobStatus();
    Verdict reconciling = new Verdict(Progress.RECONCILING, "Running", "the rebuild runs");
    StatusBuilder.of(rej, s, T0).kstatus(reconciling, true);
    var b = StatusBuilder.of(rej, s, T0);
    assertEquals("True", find(b, "Reconciling").getStatus());
    assertEquals("False", find(b, "Ready").getStatus());
    assertFalse(b.find("Stalled").isPresent(), "Stalled only once it is true");

    // The same verdict again, later: nothing changes (an idle operator writes nothing).
    String before = Serialization.asJson(s);
    StatusBuilder.of(rej, s, T0.plusSeconds(60)).kstatus(reconciling, true);
    assertEquals(before, Serialization.asJson(s));

    Instant t1 = T0.plusSeconds(120);
    StatusBuilder.of(rej, s, t1)
        .kstatus(new Verdict(Progress.STALLED, "ImagePullFailed", "cannot pull"), true);
    assertFalse(b.find("Reconciling").isPresent(), "Reconciling removed");
    assertEquals("True", find(b, "Stalled").getStatus());
    assertEquals(t1.toString(), find(b, "Stalled").getLastTransitionTime());
    assertEquals(T0.toString(), find(b, "Ready").getLastTransitionTime(), "Ready stayed False");

    Instant t2 = T0.plusSeconds(180);
    rej.getMetadata().setGeneration(2L);
    StatusBuilder.of(rej, s, t2)
        .kstatus(new Verdict(Progress.CURRENT, "JobSucceeded", "done"), true);
    assertEquals("False", find(b, "Stalled").getStatus(), "Stalled set False, not removed");
    assertEquals(t2.toString(), find(b, "Stalled").getLastTransitionTime());
    assertEquals("True", find(b, "Ready").getStatus());
    assertEquals("JobSucceeded", find(b, "Ready").getReason());
    assertEquals(2L, find(b, "Ready").getObservedGeneration());
    assertFalse(b.find("Reconciling").isPresent());
  }

  @Test
  void anEncryptionKeysReadyIsNotTheKstatusDerivationsToWrite() {
    EncryptionKey k = key(1L);
    StatusBuilder.of(k, k.getStatus(), T0).set("Ready", false, Reason.SecretNotFound, "create it");
    var b = StatusBuilder.of(k, k.getStatus(), T0.plusSeconds(60));
    b.kstatus(new Verdict(Progress.STALLED, "SecretNotFound", "create it"), false);
    assertEquals("False", find(b, "Ready").getStatus());
    assertEquals(T0.toString(), find(b, "Ready").getLastTransitionTime());
    assertEquals("True", find(b, "Stalled").getStatus());
  }

  private static EncryptionKey key(long generation) {
    EncryptionKey k = new EncryptionKey();
    k.setMetadata(new ObjectMetaBuilder().withName("k").withGeneration(generation).build());
    k.setStatus(new EncryptionKeyStatus());
    return k;
  }

  private static Condition find(StatusBuilder<?> b, String type) {
    return b.find(type).orElseThrow(() -> new AssertionError("no " + type));
  }
}
