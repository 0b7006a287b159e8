package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A request to rebuild the partitions of a key ring that are not yet on the target key, run as one
 * Indexed batch/v1 Job.
 */
@Group(EncryptionKey.GROUP)
@Version(EncryptionKey.VERSION)
@Kind("ReencryptionJob")
@Plural("reencryptionjobs")
@ShortNames("rej")
@Categories("keyops")
@JsonClassDescription(
    "A ReencryptionJob rebuilds the partitions of a key ring that are not on the target key (the ring's Primary, or spec.targetKey) by running an Indexed batch/v1 Job of rekey workers over a PersistentVolumeClaim, and records per key how many partitions it found (the inventory that lets a Retired key be dropped). Its spec is immutable.")
@AdditionalPrinterColumn(
    name = "KeyRing",
    jsonPath = ".spec.keyRing",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Target",
    jsonPath = ".status.targetKey",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Rebuilt",
    jsonPath = ".status.partitions.rebuilt",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Failed",
    jsonPath = ".status.partitions.failed",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Mode",
    jsonPath = ".spec.mode",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "BytesPerSecond",
    jsonPath = ".spec.bytesPerSecond",
    type = AdditionalPrinterColumn.Type.INTEGER,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Job",
    jsonPath = ".status.jobName",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class ReencryptionJob extends CustomResource<ReencryptionJobSpec, ReencryptionJobStatus>
    implements Namespaced {}
