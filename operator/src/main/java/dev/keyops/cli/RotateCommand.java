package dev.keyops.cli;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.RotationPolicy;
import dev.keyops.cli.Cluster.Ring;
import dev.keyops.cli.ClusterOptions.Session;
import dev.keyops.ring.KeyRingReconciler;
import dev.keyops.ring.RotationRequests;
import dev.keyops.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kubectl keyops rotate RING}: asks a ring's KeyRing to rotate now, through its on-demand
 * request (the {@code keyops.dev/rotate-requested} annotation, acted on once).
 */
@Command(
    name = "rotate",
    header = "Rotate a key ring with a KeyRing now (optionally wait for the new Primary).",
    mixinStandardHelpOptions = true,
    description = {
      "Rotate a key ring now: its KeyRing creates a new key, keeps it Staged for"
          + " spec.rotation.stagedFor (every reader learns it), then activates it; the old"
          + " Primary is Retired, and the KeyRing's spec.reencryption (if any) rebuilds onto the"
          + " new key.",
      "Sets the annotation keyops.dev/rotate-requested on the KeyRing. A ring without a KeyRing"
          + " rotates when you apply a new EncryptionKey with spec.activate: true.",
      "Exit 0: requested (with --wait: the new key is Primary); 1: refused, with the reason (a"
          + " rotation is already under way, or keyops refused the request: with --wait, the"
          + " KeyRing's condition RotationRequest says why); 2: an error."
    })
final class RotateCommand implements Callable<Integer> {

  @ParentCommand KubectlKeyops root;
  @Mixin ClusterOptions cluster;

  @Parameters(paramLabel = "RING", description = "the key ring (the KeyRing's name)")
  String ring;

  @Option(names = "--wait", description = "wait until the new key is Primary")
  boolean await;

  @Mixin TimeoutOption timeout;

  @Override
  public Integer call() {
    PrintWriter out = root.out();
    try (Session s = cluster.connect()) {
      KeyRing kr = rotatableRing(s);
      RotationPolicy p = kr.getSpec().getRotation();
      var resource = s.client().resources(KeyRing.class).inNamespace(s.namespace()).withName(ring);
      String token = requestRotation(s, resource, out);
      if (!await) {
        out.println(
            "keyops creates the new key now; it becomes Primary after stagedFor ("
                + p.getStagedFor()
                + "). Follow with: kubectl keyops status "
                + ring);
        out.flush();
        return KubectlKeyops.OK;
      }
      out.flush();
      Waiting w = new Waiting(s, timeout.timeout, root.clock);
      String created = awaitNewKey(w, resource, token);
      out.println(
          "encryptionkey.keyops.dev/"
              + created
              + " created; Staged for "
              + p.getStagedFor()
              + " so every reader learns it, then activated");
      out.flush();
      EncryptionKey primary = awaitPrimary(s, w, created);
      reportPrimary(out, kr, created, primary);
      return KubectlKeyops.OK;
    }
  }

  /**
   * The ring's KeyRing, once it is known that keyops would rotate it now: the refusals keyops
   * itself makes (RotationRules.refusal), said before the request is sent.
   */
  private KeyRing rotatableRing(Session s) {
    Cluster c = Cluster.read(s, false);
    Ring r = c.require(s, ring);
    KeyRing kr = c.policyOf(r).orElseThrow(() -> noPolicy(c, r));
    RotationPolicy p = kr.getSpec() == null ? null : kr.getSpec().getRotation();
    if (p == null) {
      throw new CliException(
          "KeyRing "
              + ring
              + " has no spec.rotation, so keyops does not rotate this ring: add spec.rotation"
              + " (period, keyTemplate), or apply a new EncryptionKey of key ring "
              + ring
              + " with spec.activate: true");
    }
    if (p.getKeyTemplate() == null) {
      throw new CliException(RotationRequests.noTemplate(ring));
    }
    String pending = kr.getStatus() == null ? null : kr.getStatus().getPendingKey();
    if (pending != null) {
      throw new CliException(
          RotationRequests.inProgress(
              ring, pending, p.getStagedFor() == null ? "10m" : p.getStagedFor()),
          KubectlKeyops.NO);
    }
    return kr;
  }

  /** Annotates the KeyRing with the request; returns the token keyops acknowledges it with. */
  private String requestRotation(Session s, Resource<KeyRing> resource, PrintWriter out) {
    Instant now = root.clock.instant();
    String value = now.toString();
    KeyRing patched =
        Api.call(
            s,
            "patch",
            "keyrings",
            () ->
                resource.patch(
                    PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"annotations\":{\""
                        + KeyRing.ROTATE_ANNOTATION
                        + "\":\""
                        + value
                        + "\"}}}"));
    String token = KeyRingReconciler.requestToken(patched);
    out.println(
        "keyring.keyops.dev/"
            + ring
            + " rotation requested ("
            + KeyRing.ROTATE_ANNOTATION
            + "="
            + value
            + ")");
    return token;
  }

  /**
   * Waits for keyops to handle the request and returns the key it created; keyops may still refuse
   * it (a rotation that started meanwhile): then says why, exit 1.
   */
  private String awaitNewKey(Waiting w, Resource<KeyRing> resource, String token) {
    KeyRing handled =
        w.until(
            resource,
            "keyrings",
            k -> k.getStatus() != null && token.equals(k.getStatus().getRotationRequestHandled()),
            "keyops to act on the request (is the operator running?)",
            this::followHint);
    Condition outcome =
        Conditions.find(handled.getStatus().getConditions(), RotationRequests.CONDITION)
            .orElse(null);
    if (outcome != null && Conditions.FALSE.equals(outcome.getStatus())) {
      throw new CliException(outcome.getMessage(), KubectlKeyops.NO);
    }
    // The key it created: pending until promoted, then the Primary.
    return handled.getStatus().getPendingKey() != null
        ? handled.getStatus().getPendingKey()
        : handled.getStatus().getPrimary();
  }

  private EncryptionKey awaitPrimary(Session s, Waiting w, String created) {
    return w.until(
        s.client().resources(EncryptionKey.class).inNamespace(s.namespace()).withName(created),
        "encryptionkeys",
        k -> k.getStatus() != null && k.getStatus().getState() == KeyState.Primary,
        "key " + created + " to become Primary",
        this::followHint);
  }

  private void reportPrimary(PrintWriter out, KeyRing kr, String created, EncryptionKey primary) {
    out.println(
        "encryptionkey.keyops.dev/"
            + created
            + " is Primary (key id "
            + primary.getStatus().getKeyId()
            + ")"
            + (kr.getSpec().getReencryption() == null
                ? "; partitions on older keys stay until a ReencryptionJob rebuilds them"
                : "; the KeyRing's ReencryptionJob rebuilds the partitions onto it:"
                    + " kubectl keyops status "
                    + ring));
    out.flush();
  }

  private String followHint() {
    return "the rotation goes on; follow it with kubectl keyops status " + ring;
  }

  private CliException noPolicy(Cluster c, Ring r) {
    List<String> primary =
        c.keysOf(r).stream()
            .filter(k -> RingReport.state(k) == KeyState.Primary)
            .map(k -> k.getMetadata().getName())
            .toList();
    return new CliException(
        "key ring "
            + ring
            + " has no KeyRing, so keyops does not rotate it by itself: apply a new EncryptionKey"
            + " with spec.keyRing: "
            + ring
            + " and spec.activate: true"
            + (primary.isEmpty() ? "" : " (it becomes Primary and retires " + primary.get(0) + ")")
            + ", or create a KeyRing named "
            + ring
            + " with spec.rotation to rotate it on a schedule and on request");
  }
}
