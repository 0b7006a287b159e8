package dev.keyops.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A data-at-rest encryption key. All keys with the same {@code spec.keyRing} in one namespace form
 * a keyring, of which at most one key is Primary.
 */
@Group(EncryptionKey.GROUP)
@Version(EncryptionKey.VERSION)
@Kind("EncryptionKey")
@Plural("encryptionkeys")
@ShortNames("ek")
@ValidationRule(
    value =
        "!has(self.spec.disabled) || !self.spec.disabled || (has(self.status) &&"
            + " has(self.status.state) && self.status.state in ['Retired', 'Disabled',"
            + " 'DestroyScheduled'])",
    message =
        "only a Retired key can be disabled: a Staged or Primary key is still needed to encrypt"
            + " or is about to be; activate a newer key first")
@AdditionalPrinterColumn(
    name = "KeyRing",
    jsonPath = ".spec.keyRing",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "State",
    jsonPath = ".status.state",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Provider",
    jsonPath = ".status.provider",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Partitions",
    jsonPath = ".status.partitions.count",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "KeyId",
    jsonPath = ".status.keyId",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Fingerprint",
    jsonPath = ".status.fingerprint",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class EncryptionKey extends CustomResource<EncryptionKeySpec, EncryptionKeyStatus>
    implements Namespaced {

  public static final String GROUP = "keyops.dev";
  public static final String VERSION = "v1alpha1";

  /** Break-glass annotation: lets a Retired key be dropped although partitions may still use it. */
  public static final String ALLOW_DATA_LOSS_ANNOTATION = "keyops.dev/allow-data-loss";

  /**
   * Cancels a scheduled destruction: while {@code "true"} on a deleted key, its material is kept
   * and it stays (Terminating) in the state its spec asks for; remove it to schedule again.
   */
  public static final String KEEP_ANNOTATION = "keyops.dev/keep";

  /** Finalizer that guards against dropping a key that data still needs. */
  public static final String DROP_GUARD_FINALIZER = "keyops.dev/drop-guard";
}
