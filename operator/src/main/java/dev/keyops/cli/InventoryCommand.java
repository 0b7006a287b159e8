package dev.keyops.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.api.v1alpha1.PartitionFailure;
import dev.keyops.api.v1alpha1.PvcStorage;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import dev.keyops.api.v1alpha1.ReencryptionPolicy;
import dev.keyops.api.v1alpha1.Storage;
import dev.keyops.cli.Cluster.Ring;
import dev.keyops.cli.ClusterOptions.Session;
import dev.keyops.key.DropGuard;
import dev.keyops.status.Conditions;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kubectl keyops inventory RING}: runs a dry-run ReencryptionJob (scan only, no byte
 * changes), waits for it, and prints the partitions per key and whether each key may be dropped.
 */
@Command(
    name = "inventory",
    header = "Count partitions per key with a dry-run ReencryptionJob; which keys can go.",
    mixinStandardHelpOptions = true,
    description = {
      "Count the partitions of a key ring per key: creates a dry-run ReencryptionJob (it scans"
          + " and changes no byte), waits for it, and prints the partitions on each key and"
          + " whether each key may now be dropped. The count is recorded on the keys, so the"
          + " drop guard lets a Retired key without partitions go.",
      "The storage comes from --claim, else the KeyRing's spec.reencryption, else the ring's"
          + " latest ReencryptionJob (with its shards and worker settings).",
      "Exit 0: counted; 1: the job failed (unreadable partitions, workers that failed); 2: an"
          + " error or a timeout."
    })
final class InventoryCommand implements Callable<Integer> {

  /** Label on the ReencryptionJobs this command creates. */
  static final String CREATED_BY = "app.kubernetes.io/created-by";

  @ParentCommand KubectlKeyops root;
  @Mixin ClusterOptions cluster;
  @Mixin Output output;

  @Parameters(paramLabel = "RING", description = "the key ring")
  String ring;

  @Option(
      names = "--claim",
      paramLabel = "PVC",
      description = "the PersistentVolumeClaim holding the ring's partitions")
  String claim;

  @Option(
      names = "--sub-path",
      paramLabel = "DIR",
      description = "the directory of the partitions inside the claim (with --claim)")
  String subPath;

  @Option(
      names = "--propagation-margin",
      defaultValue = "2m",
      description =
          "How long after a key's retirement a scan must start to count: the operator's"
              + " KEYOPS_PROPAGATION_MARGIN (default ${DEFAULT-VALUE}).")
  String margin;

  @Mixin TimeoutOption timeout;

  /** What the inventory found, also for -o json|yaml. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Result(
      String namespace,
      String keyRing,
      String reencryptionJob,
      String phase,
      Long scanned,
      Long unencrypted,
      List<KeyCount> keys,
      Map<String, Long> unknownKeyIds,
      List<String> droppable,
      String failure,
      List<String> failures) {}

  /** Partitions found on one key and the drop guard's answer for it now. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record KeyCount(
      String key,
      String keyId,
      String state,
      Long partitions,
      boolean canDrop,
      String reason,
      String message) {}

  /** Where the partitions are and how the ring's jobs run, and where that was found. */
  private record Source(ReencryptionJobSpec spec, String from) {}

  @Override
  public Integer call() {
    boolean table = output.table();
    PrintWriter out = root.out();
    PrintWriter err = root.err();
    try (Session s = cluster.connect()) {
      Cluster c = Cluster.read(s, false);
      Ring r = c.require(s, ring);
      Source src = source(c, r);
      String name = createDryRun(s, src);
      err.println(
          "reencryptionjob.keyops.dev/"
              + name
              + " created: a dry run over "
              + describe(src.spec())
              + " from "
              + src.from()
              + "; waiting up to "
              + HumanTime.duration(timeout.timeout));
      err.flush();
      ReencryptionJob done = awaitFinished(s, name, err);
      Result result = result(s, done, ringKeys(s));
      if (!table) {
        output.print(result, out);
      } else {
        print(result, out);
      }
      return done.getStatus().getPhase() == JobPhase.Succeeded
          ? KubectlKeyops.OK
          : KubectlKeyops.NO;
    }
  }

  /** Creates the dry-run ReencryptionJob; returns its generated name. */
  private String createDryRun(Session s, Source src) {
    ReencryptionJob rej = new ReencryptionJob();
    rej.setMetadata(
        new ObjectMetaBuilder()
            .withGenerateName(ring + "-inventory-")
            .withNamespace(s.namespace())
            .addToLabels(CREATED_BY, "kubectl-keyops")
            .build());
    rej.setSpec(src.spec());
    var rejs = s.client().resources(ReencryptionJob.class).inNamespace(s.namespace());
    ReencryptionJob created =
        Api.call(s, "create", "reencryptionjobs", () -> rejs.resource(rej).create());
    return created.getMetadata().getName();
  }

  /** What the dry run scans, in words. */
  private static String describe(ReencryptionJobSpec spec) {
    var where = spec.getStorage();
    return where.getSelector() != null
        ? "the claims labelled " + where.getSelector().getMatchLabels()
        : where.getPersistentVolumeClaim() != null
            ? "claim "
                + where.getPersistentVolumeClaim().getClaimName()
                + (where.getPersistentVolumeClaim().getSubPath() == null
                    ? ""
                    : " (" + where.getPersistentVolumeClaim().getSubPath() + ")")
            : "locations " + String.join(", ", dev.keyops.reencryption.Locations.of(spec));
  }

  /** Waits for the job to end, reporting its progress on err as it changes. */
  private ReencryptionJob awaitFinished(Session s, String name, PrintWriter err) {
    var rejs = s.client().resources(ReencryptionJob.class).inNamespace(s.namespace());
    String[] last = {""};
    return new Waiting(s, timeout.timeout, root.clock)
        .until(
            rejs.withName(name),
            "reencryptionjobs",
            j -> {
              report(j, last, err);
              return finished(j);
            },
            "ReencryptionJob " + name + " to finish",
            () ->
                last[0].isEmpty()
                    ? "keyops has not picked the job up: is the operator running, and does it"
                        + " watch namespace "
                        + s.namespace()
                        + "? (kubectl delete rej "
                        + name
                        + " to withdraw it)"
                    : "it goes on; see kubectl keyops status " + ring);
  }

  /**
   * The ring's keys, sorted by name; the inventory was recorded on them before the job's status
   * said so, so they are read now.
   */
  private List<EncryptionKey> ringKeys(Session s) {
    return Api.call(
            s,
            "list",
            "encryptionkeys",
            () ->
                s.client()
                    .resources(EncryptionKey.class)
                    .inNamespace(s.namespace())
                    .list()
                    .getItems())
        .stream()
        .filter(k -> ring.equals(k.getSpec().getKeyRing()))
        .sorted(java.util.Comparator.comparing(k -> k.getMetadata().getName()))
        .toList();
  }

  private Source source(Cluster c, Ring r) {
    ReencryptionJobSpec spec = new ReencryptionJobSpec();
    spec.setKeyRing(ring);
    spec.setDryRun(true);
    if (claim != null) {
      PvcStorage pvc = new PvcStorage();
      pvc.setClaimName(claim);
      pvc.setSubPath(subPath);
      Storage storage = new Storage();
      storage.setPersistentVolumeClaim(pvc);
      spec.setStorage(storage);
      return new Source(spec, "--claim");
    }
    if (subPath != null) {
      throw new CliException("--sub-path needs --claim (the PersistentVolumeClaim it is in)");
    }
    ReencryptionPolicy policy =
        c.policyOf(r).map(KeyRing::getSpec).map(x -> x.getReencryption()).orElse(null);
    if (policy != null && policy.getStorage() != null) {
      spec.setStorage(copy(policy.getStorage(), Storage.class));
      spec.setShards(policy.getShards());
      spec.setParallelism(policy.getParallelism());
      spec.setWorker(policy.getWorker());
      return new Source(spec, "KeyRing " + ring + " spec.reencryption");
    }
    List<ReencryptionJob> jobs = c.jobsOf(r);
    if (!jobs.isEmpty()) {
      ReencryptionJobSpec latest = jobs.get(jobs.size() - 1).getSpec();
      spec.setStorage(copy(latest.getStorage(), Storage.class));
      spec.setShards(latest.getShards());
      spec.setParallelism(latest.getParallelism());
      spec.setWorker(latest.getWorker());
      spec.setTemplate(latest.getTemplate());
      return new Source(
          spec, "ReencryptionJob " + jobs.get(jobs.size() - 1).getMetadata().getName());
    }
    throw new CliException(
        "no storage known for key ring "
            + ring
            + " (no KeyRing spec.reencryption, no earlier ReencryptionJob): pass --claim PVC (the"
            + " PersistentVolumeClaim that holds its partitions), and --sub-path DIR if they are"
            + " in a directory of it");
  }

  private static <T> T copy(T o, Class<T> type) {
    return Serialization.unmarshal(Serialization.asJson(o), type);
  }

  /** Finished, and (when it completed) the inventory recorded on the keys. */
  static boolean finished(ReencryptionJob j) {
    ReencryptionJobStatus s = j.getStatus();
    if (s == null || s.getPhase() == null) {
      return false;
    }
    boolean recorded =
        Conditions.find(s.getConditions(), Reason.InventoryRecorded.name()).isPresent();
    return s.getPhase() == JobPhase.Failed || (s.getPhase() == JobPhase.Succeeded && recorded);
  }

  /** Prints the job's phase (and why it waits or stalls) whenever that changes. */
  private static void report(ReencryptionJob j, String[] last, PrintWriter err) {
    RingReport.Job v = RingReport.job(j);
    if (v.phase() == null) {
      return; // not seen by keyops yet
    }
    String line =
        v.phase()
            + (v.reason() == null ? "" : " (" + v.reason() + ": " + v.message() + ")")
            + (v.scanned() == null ? "" : ", " + v.scanned() + " partition(s) scanned");
    if (!line.equals(last[0])) {
      last[0] = line;
      err.println("  " + line);
      err.flush();
    }
  }

  private Result result(Session s, ReencryptionJob job, List<EncryptionKey> keys) {
    ReencryptionJobStatus st = job.getStatus();
    Map<String, Long> byKey = st.getByKey() == null ? Map.of() : st.getByKey();
    Set<String> known = new HashSet<>();
    List<KeyCount> counts = new ArrayList<>();
    List<String> droppable = new ArrayList<>();
    for (EncryptionKey k : keys) {
      String id = k.getStatus() == null ? null : k.getStatus().getKeyId();
      if (id != null) {
        known.add(id);
      }
      DropGuard.Decision d = CanDropCommand.decide(k, keys, CanDropCommand.parseMargin(margin));
      KeyState state = RingReport.state(k);
      if (d.allowed() && (state == KeyState.Retired || state == KeyState.Disabled)) {
        droppable.add(k.getMetadata().getName());
      }
      counts.add(
          new KeyCount(
              k.getMetadata().getName(),
              id,
              state == null ? null : state.name(),
              id == null ? null : byKey.getOrDefault(id, 0L),
              d.allowed(),
              d.reason().name(),
              d.message()));
    }
    Map<String, Long> unknown = new LinkedHashMap<>();
    byKey.forEach(
        (id, n) -> {
          if (!known.contains(id) && !"none".equals(id)) {
            unknown.put(id, n);
          }
        });
    String failure = null;
    if (st.getPhase() == JobPhase.Failed) {
      failure =
          Conditions.find(st.getConditions(), Conditions.FAILED)
              .map(x -> x.getReason() + ": " + x.getMessage())
              .orElse("failed");
    }
    return new Result(
        s.namespace(),
        ring,
        job.getMetadata().getName(),
        st.getPhase().name(),
        st.getPartitions() == null ? null : st.getPartitions().getTotal(),
        byKey.get("none"),
        counts,
        unknown.isEmpty() ? null : unknown,
        droppable,
        failure,
        st.getFailures() == null || st.getFailures().isEmpty()
            ? null
            : st.getFailures().stream().limit(10).map(InventoryCommand::failure).toList());
  }

  private static void print(Result r, PrintWriter out) {
    out.println(
        "ReencryptionJob "
            + r.reencryptionJob()
            + ": "
            + r.phase()
            + ", "
            + (r.scanned() == null ? 0 : r.scanned())
            + " partition(s) scanned"
            + (r.unencrypted() == null ? "" : ", " + r.unencrypted() + " unencrypted"));
    if (r.failure() != null) {
      out.println("Failed: " + r.failure());
      if (r.failures() != null) {
        r.failures().forEach(f -> out.println("  " + f));
      }
    }
    out.println();
    Table t = new Table("KEY", "KEYID", "STATE", "PARTITIONS", "CAN DROP");
    for (KeyCount k : r.keys()) {
      t.row(k.key(), k.keyId(), k.state(), k.partitions(), verdict(k));
    }
    if (r.unknownKeyIds() != null) {
      r.unknownKeyIds().forEach((id, n) -> t.row("(no such key)", id, null, n, "unrecoverable"));
    }
    if (r.unencrypted() != null) {
      t.row("(unencrypted)", null, null, r.unencrypted(), "");
    }
    t.print(out);
    out.println();
    out.println(
        r.droppable().isEmpty()
            ? "No Retired or Disabled key can be dropped now."
            : "Can be dropped now: "
                + String.join(", ", r.droppable())
                + " (kubectl delete ek "
                + String.join(" ", r.droppable())
                + ")");
    out.flush();
  }

  private static String failure(PartitionFailure f) {
    return f.getPartition()
        + (f.getKeyId() == null ? "" : " (key id " + f.getKeyId() + ")")
        + ": "
        + f.getReason();
  }

  private static String verdict(KeyCount k) {
    return switch (Reason.valueOf(k.reason())) {
      case DropAllowed -> "yes";
      case DropWithDataLoss -> "yes, WITH DATA LOSS (allow-data-loss)";
      case DropRefusedPrimary -> "no: Primary";
      case DropRefusedPartitions -> "no: has partitions";
      case DropRefusedNoInventory -> "no: no inventory since retired";
      default -> k.canDrop() ? "yes" : "no";
    };
  }
}
