package dev.keyops.cli;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.cli.ClusterOptions.Session;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the cluster holds about key rings, read once per command: EncryptionKeys, KeyRings and
 * ReencryptionJobs of one namespace (or all). A key ring exists when a KeyRing or an EncryptionKey
 * names it.
 */
final class Cluster {

  /** A key ring: namespace and name. */
  record Ring(String namespace, String name) implements Comparable<Ring> {
    @Override
    public int compareTo(Ring o) {
      return Comparator.comparing(Ring::namespace).thenComparing(Ring::name).compare(this, o);
    }
  }

  final List<EncryptionKey> keys;
  final List<KeyRing> policies;
  final List<ReencryptionJob> jobs;

  private Cluster(List<EncryptionKey> keys, List<KeyRing> policies, List<ReencryptionJob> jobs) {
    this.keys = keys;
    this.policies = policies;
    this.jobs = jobs;
  }

  /** Reads one namespace, or every namespace when {@code all}. */
  static Cluster read(Session s, boolean all) {
    return new Cluster(
        list(s, EncryptionKey.class, "encryptionkeys", all),
        listPolicies(s, all),
        list(s, ReencryptionJob.class, "reencryptionjobs", all));
  }

  private static <T extends HasMetadata> List<T> list(
      Session s, Class<T> type, String resource, boolean all) {
    return Api.call(
        s,
        "list",
        resource,
        () ->
            (all
                    ? s.client().resources(type).inAnyNamespace().list()
                    : s.client().resources(type).inNamespace(s.namespace()).list())
                .getItems());
  }

  /** KeyRings came later than the other kinds: a cluster without their CRD has no policies. */
  private static List<KeyRing> listPolicies(Session s, boolean all) {
    try {
      return (all
              ? s.client().resources(KeyRing.class).inAnyNamespace().list()
              : s.client().resources(KeyRing.class).inNamespace(s.namespace()).list())
          .getItems();
    } catch (KubernetesClientException e) {
      if (Api.is(e, 404)) {
        return List.of();
      }
      throw Api.explain(e, s, "list", "keyrings");
    }
  }

  TreeSet<Ring> rings() {
    TreeSet<Ring> out = new TreeSet<>();
    keys.forEach(k -> out.add(new Ring(ns(k), k.getSpec().getKeyRing())));
    policies.forEach(p -> out.add(new Ring(ns(p), p.getMetadata().getName())));
    return out;
  }

  List<EncryptionKey> keysOf(Ring r) {
    return keys.stream()
        .filter(k -> ns(k).equals(r.namespace()) && r.name().equals(k.getSpec().getKeyRing()))
        .sorted(Comparator.comparing(k -> k.getMetadata().getName()))
        .toList();
  }

  Optional<KeyRing> policyOf(Ring r) {
    return policies.stream()
        .filter(p -> ns(p).equals(r.namespace()) && p.getMetadata().getName().equals(r.name()))
        .findFirst();
  }

  /** The ring's ReencryptionJobs, oldest first. */
  List<ReencryptionJob> jobsOf(Ring r) {
    return jobs.stream()
        .filter(j -> ns(j).equals(r.namespace()) && r.name().equals(j.getSpec().getKeyRing()))
        .sorted(
            Comparator.comparing((ReencryptionJob j) -> j.getMetadata().getCreationTimestamp())
                .thenComparing(j -> j.getMetadata().getName()))
        .toList();
  }

  /**
   * The ring of that name in the session's namespace, or an error that lists the rings there (so a
   * typo is one look away).
   */
  Ring require(Session s, String name) {
    Ring r = new Ring(s.namespace(), name);
    if (rings().contains(r)) {
      return r;
    }
    List<String> here = rings().stream().map(Ring::name).toList();
    throw new CliException(
        "key ring "
            + name
            + " not found in namespace "
            + s.namespace()
            + (here.isEmpty()
                ? ": there is no key ring (no EncryptionKey or KeyRing) in this namespace; pick"
                    + " another with -n (kubectl keyops status -A lists every ring)"
                : "; key rings there: " + String.join(", ", here)));
  }

  static String ns(HasMetadata o) {
    return o.getMetadata().getNamespace();
  }
}
