package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The optional policy of one key ring: its name is the key ring's name ({@code spec.keyRing} of its
 * EncryptionKeys in the same namespace). Automatic rotation, what follows a rotation, and
 * retention. A key ring without a KeyRing behaves as if none existed.
 */
@JsonClassDescription(
    "A KeyRing is the optional policy of one key ring (its name is the key ring name): automatic rotation of its keys, what follows a rotation (a ReencryptionJob), and retention (disable and destroy Retired keys without data). It owns the keys it creates. A key ring without a KeyRing works as before.")
@Group(EncryptionKey.GROUP)
@Version(EncryptionKey.VERSION)
@Kind("KeyRing")
@Plural("keyrings")
@ShortNames("kr")
@io.fabric8.kubernetes.model.annotation.Categories("keyops")
@AdditionalPrinterColumn(
    name = "Primary",
    jsonPath = ".status.primary",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "NextRotation",
    jsonPath = ".status.nextRotationTime",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class KeyRing extends CustomResource<KeyRingSpec, KeyRingStatus> implements Namespaced {

  /** Annotation: set to any new value to rotate now (as {@code spec.rotation.requestedAt}). */
  public static final String ROTATE_ANNOTATION = "keyops.dev/rotate-requested";

  /**
   * Annotation on a key a KeyRing created: the number of the rotation that created it (its
   * status.rotations then), so a key is recognised as this rotation's by more than its name.
   */
  public static final String ROTATION_ANNOTATION = "keyops.dev/rotation";

  /**
   * Annotation on a key a KeyRing created: when its rotation happened (the operator's clock), so
   * that a status write lost after the create is recovered with the rotation's own time.
   */
  public static final String ROTATED_AT_ANNOTATION = "keyops.dev/rotated-at";

  /** Annotation on a key a KeyRing created on request: the request it acted on. */
  public static final String ROTATION_REQUEST_ANNOTATION = "keyops.dev/rotation-request";

  /** Label on the keys and ReencryptionJobs a KeyRing creates: the KeyRing's name. */
  public static final String LABEL_KEY_RING = "keyops.dev/key-ring-policy";
}
