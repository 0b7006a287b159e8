package dev.keyops.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.cli.ClusterOptions.Session;
import dev.keyops.key.DropGuard;
import dev.keyops.status.Reason;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kubectl keyops can-drop KEY}: whether deleting the key would be let through by the drop
 * guard, decided by the operator's own rule ({@link DropGuard#decide}).
 */
@Command(
    name = "can-drop",
    header = "Whether a key may be dropped now, and why (the drop guard's rules).",
    mixinStandardHelpOptions = true,
    description = {
      "Say whether an EncryptionKey may be dropped (kubectl delete ek KEY), and why, by the same"
          + " rules as the operator's drop guard: a Staged key always; a Primary never; a Retired"
          + " or Disabled key only when, in every location the ring has data on, a complete scan"
          + " that started after its retirement plus the propagation margin found no partition"
          + " on it and no unreadable file (or with keyops.dev/allow-data-loss=true). The answer"
          + " names the location that blocks.",
      "Exit 0: it may be dropped; 1: it may not; 2: an error (not found, not connected, ...)."
    })
final class CanDropCommand implements Callable<Integer> {

  /** The operator's default KEYOPS_PROPAGATION_MARGIN. */
  static final Duration DEFAULT_MARGIN = Duration.ofMinutes(2);

  @ParentCommand KubectlKeyops root;
  @Mixin ClusterOptions cluster;
  @Mixin Output output;

  @Parameters(paramLabel = "KEY", description = "the EncryptionKey's name")
  String key;

  @Option(
      names = "--propagation-margin",
      defaultValue = "2m",
      description =
          "How long after a key's retirement a scan must start to count: the operator's"
              + " KEYOPS_PROPAGATION_MARGIN (default ${DEFAULT-VALUE}).")
  String margin;

  /** The answer, also for -o json|yaml. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Answer(
      String namespace,
      String key,
      String keyRing,
      String state,
      boolean canDrop,
      String reason,
      String message,
      Long partitions,
      String countedAt,
      String countedBy,
      String retiredAt) {}

  @Override
  public Integer call() {
    boolean table = output.table();
    PrintWriter out = root.out();
    try (Session s = cluster.connect()) {
      EncryptionKey k = get(s, key);
      DropGuard.Decision d = decide(k, ringKeys(s, k.getSpec().getKeyRing()), parseMargin(margin));
      RingReport.Key r = RingReport.key(k);
      Answer a =
          new Answer(
              s.namespace(),
              key,
              k.getSpec().getKeyRing(),
              r.state(),
              d.allowed(),
              d.reason().name(),
              d.message(),
              r.partitions(),
              r.countedAt(),
              r.countedBy(),
              r.retiredAt());
      if (!table) {
        output.print(a, out);
      } else {
        print(a, root.clock.instant(), out);
      }
      return d.allowed() ? KubectlKeyops.OK : KubectlKeyops.NO;
    }
  }

  static void print(Answer a, Instant now, PrintWriter out) {
    String verdict =
        !a.canDrop()
            ? "no"
            : Reason.DropWithDataLoss.name().equals(a.reason()) ? "yes, WITH DATA LOSS" : "yes";
    out.println(verdict + ": " + a.message());
    StringBuilder facts =
        new StringBuilder("  key " + a.key() + " of key ring " + a.keyRing() + ", ");
    facts.append(a.state() == null ? "not yet reconciled (Staged)" : a.state());
    if (a.retiredAt() != null) {
      facts.append(" ").append(HumanTime.relative(a.retiredAt(), now));
    }
    out.println(facts);
    out.println(
        a.countedAt() == null
            ? "  last inventory: none recorded on this key"
            : "  last inventory: "
                + a.partitions()
                + " partition(s), "
                + HumanTime.relative(a.countedAt(), now)
                + (a.countedBy() == null ? "" : " by ReencryptionJob " + a.countedBy()));
    out.flush();
  }

  /** The drop guard's rule, with the ring's keys (each records the locations its jobs scanned). */
  static DropGuard.Decision decide(EncryptionKey k, List<EncryptionKey> ringKeys, Duration margin) {
    return DropGuard.decide(DropGuard.input(k, ringKeys, java.util.Set.of(), margin));
  }

  static Duration parseMargin(String value) {
    try {
      return dev.keyops.OperatorConfig.parseDurationOrZero("--propagation-margin", value);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
  }

  /** The keys of a key ring in the session's namespace. */
  static List<EncryptionKey> ringKeys(Session s, String ring) {
    var keys = s.client().resources(EncryptionKey.class).inNamespace(s.namespace());
    return Api.call(s, "list", "encryptionkeys", () -> keys.list().getItems()).stream()
        .filter(x -> ring.equals(x.getSpec().getKeyRing()))
        .toList();
  }

  /** The key, or an error that lists the keys of the namespace. */
  static EncryptionKey get(Session s, String name) {
    var keys = s.client().resources(EncryptionKey.class).inNamespace(s.namespace());
    EncryptionKey k = Api.call(s, "get", "encryptionkeys", () -> keys.withName(name).get());
    if (k != null) {
      return k;
    }
    List<String> names =
        Api.call(s, "list", "encryptionkeys", () -> keys.list().getItems()).stream()
            .map(x -> x.getMetadata().getName() + " (" + x.getSpec().getKeyRing() + ")")
            .sorted()
            .toList();
    throw new CliException(
        "EncryptionKey "
            + name
            + " not found in namespace "
            + s.namespace()
            + (names.isEmpty()
                ? ": there is no EncryptionKey in this namespace (pick another with -n)"
                : "; keys there (key ring): " + String.join(", ", names)));
  }
}
