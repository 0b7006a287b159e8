package dev.keyops.cli;

import dev.keyops.cli.Cluster.Ring;
import dev.keyops.cli.ClusterOptions.Session;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code kubectl keyops status [RING]}: the key rings, their Primary, keys, partitions, jobs. */
@Command(
    name = "status",
    header = "Key rings: Primary and its age, next rotation, keys, partitions, jobs.",
    mixinStandardHelpOptions = true,
    description = {
      "Show key rings: Primary and its age, next rotation (with a KeyRing), keys by state,"
          + " partitions per key (from the last inventory) and ReencryptionJobs with their phase"
          + " and counts.",
      "Without RING: one line per ring. With RING: its keys and jobs in detail."
    })
final class StatusCommand implements Callable<Integer> {

  @ParentCommand KubectlKeyops root;
  @Mixin ClusterOptions cluster;
  @Mixin Output output;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "key rings of every namespace")
  boolean all;

  @Parameters(arity = "0..1", paramLabel = "RING", description = "a key ring (default: all)")
  String ring;

  @Override
  public Integer call() {
    boolean table = output.table();
    PrintWriter out = root.out();
    try (Session s = cluster.connect()) {
      Cluster c = Cluster.read(s, all);
      Instant now = root.clock.instant();
      List<Ring> rings;
      if (ring == null) {
        rings = List.copyOf(c.rings());
      } else if (all) {
        rings = c.rings().stream().filter(r -> r.name().equals(ring)).toList();
        if (rings.isEmpty()) {
          throw new CliException("key ring " + ring + " not found in any namespace");
        }
      } else {
        rings = List.of(c.require(s, ring));
      }
      List<RingReport> reports = rings.stream().map(r -> RingReport.of(c, r)).toList();
      if (!table) {
        output.print(ring != null && !all ? reports.get(0) : Map.of("keyRings", reports), out);
        return KubectlKeyops.OK;
      }
      if (ring != null) {
        for (int i = 0; i < reports.size(); i++) {
          if (i > 0) {
            out.println();
          }
          details(reports.get(i), now, out);
        }
      } else if (reports.isEmpty()) {
        root.err()
            .println(
                "No key rings found"
                    + (all ? "." : " in namespace " + s.namespace() + " (-A: every namespace)."));
      } else {
        summary(reports, now, out);
      }
      out.flush();
      return KubectlKeyops.OK;
    }
  }

  private void summary(List<RingReport> reports, Instant now, PrintWriter out) {
    List<String> headers =
        new ArrayList<>(
            List.of(
                "KEYRING",
                "PRIMARY",
                "ACTIVE FOR",
                "NEXT ROTATION",
                "KEYS",
                "PARTITIONS",
                "LAST JOB"));
    if (all) {
      headers.add(0, "NAMESPACE");
    }
    Table t = new Table(headers.toArray(String[]::new));
    for (RingReport r : reports) {
      List<RingReport.Job> js = r.reencryptionJobs();
      RingReport.Job last = js.isEmpty() ? null : js.get(js.size() - 1);
      List<Object> cells =
          new ArrayList<>(
              List.of(
                  r.keyRing(),
                  orNone(r.primary()),
                  orNone(HumanTime.age(r.primaryActivatedAt(), now)),
                  nextRotation(r, now),
                  keys(r.keysByState()),
                  orNone(partitions(r)),
                  last == null
                      ? Table.NONE
                      : last.name()
                          + " "
                          + orNone(last.phase())
                          + (last.reason() == null ? "" : " (" + last.reason() + ")")));
      if (all) {
        cells.add(0, r.namespace());
      }
      t.row(cells.toArray());
    }
    t.print(out);
  }

  static void details(RingReport r, Instant now, PrintWriter out) {
    out.println("Key ring:       " + r.keyRing());
    out.println("Namespace:      " + r.namespace());
    out.println(
        "Primary:        "
            + (r.primary() == null
                ? "none: activate a key of this ring (spec.activate: true)"
                : r.primary()
                    + " (key id "
                    + r.primaryKeyId()
                    + (r.primaryActivatedAt() == null
                        ? ""
                        : ", active for " + HumanTime.age(r.primaryActivatedAt(), now))
                    + ")"));
    out.println("Policy:         " + policy(r, now));
    out.println("Keys:           " + keys(r.keysByState()));
    out.println();
    Table keys =
        new Table(
            "KEY", "STATE", "READY", "PROVIDER", "KEYID", "FINGERPRINT", "PARTITIONS", "COUNTED");
    for (RingReport.Key k : r.keys()) {
      keys.row(
          k.name(),
          orNone(k.state()) + (Boolean.TRUE.equals(k.deleting()) ? " (deleting)" : ""),
          k.ready(),
          k.provider(),
          k.keyId(),
          k.fingerprint(),
          k.partitions(),
          k.countedAt() == null
              ? null
              : HumanTime.relative(k.countedAt(), now)
                  + (k.countedBy() == null ? "" : " by " + k.countedBy()));
    }
    keys.print(out);
    out.println();
    if (r.reencryptionJobs().isEmpty()) {
      out.println(
          "No ReencryptionJobs. (kubectl keyops inventory "
              + r.keyRing()
              + " counts the partitions per key.)");
      return;
    }
    Table jobs =
        new Table(
            "REENCRYPTIONJOB",
            "PHASE",
            "MODE",
            "TARGET",
            "SCANNED",
            "REBUILT",
            "FAILED",
            "UNENCRYPTED",
            "PARQUET",
            "AGE",
            "REASON");
    for (RingReport.Job j : r.reencryptionJobs()) {
      jobs.row(
          j.name(),
          j.phase(),
          j.dryRun() ? "DryRun" : j.mode(),
          j.targetKey(),
          j.scanned(),
          j.rebuilt(),
          j.failed() == null && j.unrecoverable() == null
              ? null
              : zero(j.failed()) + zero(j.unrecoverable()),
          j.unencrypted(),
          parquet(j),
          HumanTime.age(j.createdAt(), now),
          j.reason());
    }
    jobs.print(out);
  }

  /**
   * Parquet files among those scanned, and the plaintext ones left as they are: {@code 12 (+3
   * plaintext)}; empty when the job has scanned nothing yet.
   */
  private static String parquet(RingReport.Job j) {
    if (j.scanned() == null) {
      return null;
    }
    String n = Long.toString(zero(j.parquet()));
    return j.plaintextParquet() == null ? n : n + " (+" + j.plaintextParquet() + " plaintext)";
  }

  private static String policy(RingReport r, Instant now) {
    RingReport.Policy p = r.policy();
    if (p == null) {
      return "none (no KeyRing): rotate by applying a new EncryptionKey with spec.activate: true";
    }
    if (p.rotationPeriod() == null) {
      return "KeyRing " + r.keyRing() + ", without rotation";
    }
    StringBuilder b = new StringBuilder("KeyRing " + r.keyRing() + ", rotates every ");
    b.append(p.rotationPeriod());
    if (!p.automaticRotation()) {
      b.append(" by hand (no keyTemplate: apply a new EncryptionKey when due)");
    }
    if (p.lastRotationTime() != null) {
      b.append("; last rotation ").append(HumanTime.relative(p.lastRotationTime(), now));
    }
    b.append("; next rotation ").append(nextRotation(r, now));
    if (p.lastReencryptionJob() != null) {
      b.append("; last rebuild ").append(p.lastReencryptionJob());
    }
    return b.toString();
  }

  /** "in 89d", "due", "in progress (KEY Staged)" or "manual" (no KeyRing rotation). */
  static String nextRotation(RingReport r, Instant now) {
    RingReport.Policy p = r.policy();
    if (p == null || p.rotationPeriod() == null) {
      return "manual";
    }
    if (p.pendingKey() != null) {
      return "in progress (" + p.pendingKey() + " Staged)";
    }
    Instant next = HumanTime.parse(p.nextRotationTime());
    if (next == null) {
      return Table.NONE;
    }
    return next.isAfter(now) ? HumanTime.relative(p.nextRotationTime(), now) : "due";
  }

  static String keys(Map<String, Integer> byState) {
    if (byState.isEmpty()) {
      return "none";
    }
    return byState.entrySet().stream()
        .map(e -> e.getValue() + " " + e.getKey())
        .collect(Collectors.joining(", "));
  }

  /** Partitions per key from the last inventory, e.g. "events-2=5,events-1=0". */
  private static String partitions(RingReport r) {
    return r.keys().stream()
        .filter(k -> k.partitions() != null)
        .map(k -> k.name() + "=" + k.partitions())
        .collect(Collectors.joining(","));
  }

  private static long zero(Long l) {
    return l == null ? 0 : l;
  }

  private static String orNone(String s) {
    return s == null || s.isEmpty() ? Table.NONE : s;
  }
}
