package dev.keyops.ring;

import java.util.List;

/**
 * What a refused rotation request says: why, and what to do next. One text for the KeyRing's
 * condition and event and for {@code kubectl keyops rotate}, which refuses the same requests before
 * it sends them.
 */
public final class RotationRequests {

  /**
   * The KeyRing condition about the last on-demand request: True when it was acted on, False with
   * the reason when it was refused.
   */
  public static final String CONDITION = "RotationRequest";

  private RotationRequests() {}

  /** A rotation is under way: its key is Staged and not promoted yet. */
  public static String inProgress(String ring, String pendingKey, String stagedFor) {
    return "a rotation of key ring "
        + ring
        + " is already under way: key "
        + pendingKey
        + " is Staged and becomes Primary after spec.rotation.stagedFor ("
        + stagedFor
        + ") once Ready, which retires the current Primary. To rotate again after that, request"
        + " again once "
        + pendingKey
        + " is Primary (kubectl keyops rotate "
        + ring
        + " --wait); follow it with kubectl keyops status "
        + ring;
  }

  /** A rotation is under way and its key cannot become Ready. */
  public static String blocked(String ring, String pendingKey, String why) {
    return "the rotation of key ring "
        + ring
        + " under way is blocked: key "
        + pendingKey
        + " cannot become Ready ("
        + why
        + "). Fix that (kubectl describe encryptionkey "
        + pendingKey
        + ") and it is activated, or delete key "
        + pendingKey
        + " and request again";
  }

  /** The ring has no key template: keyops cannot make material for it. */
  public static String noTemplate(String ring) {
    return "KeyRing "
        + ring
        + " has no spec.rotation.keyTemplate (a ring of customer secretRef keys): keyops"
        + " cannot make material for it. Apply a new EncryptionKey of key ring "
        + ring
        + " with your new material and spec.activate: true";
  }

  /** Every name a rotation may give its key is taken by a key that is not this rotation's. */
  public static String namesTaken(String ring, List<String> names) {
    return "no key created for key ring "
        + ring
        + ": the names "
        + String.join(", ", names)
        + " are taken by keys this KeyRing did not create for this rotation (keyops never adopts"
        + " them). Rename or delete those keys, or request again: a request a second later tries"
        + " new names";
  }
}
