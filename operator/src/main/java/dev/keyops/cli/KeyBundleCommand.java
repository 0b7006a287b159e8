package dev.keyops.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyState;
import dev.keyops.cli.Cluster.Ring;
import dev.keyops.cli.ClusterOptions.Session;
import dev.keyops.key.KeyBundleWriter;
import dev.keyops.status.Conditions;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kubectl keyops keyring RING}: the keyring the workloads see (the {@code <ring>-keyring}
 * Secret's {@code keyring.json}): key ids, names, states, fingerprints, which one is Primary. Never
 * material: the document is read into a view that has no field for it.
 */
@Command(
    name = "keyring",
    header = "The keyring workloads read: key ids, states, fingerprints (no material).",
    mixinStandardHelpOptions = true,
    description = {
      "Show the keyring that workloads read (Secret RING-keyring): key ids, states, providers,"
          + " fingerprints and which key is Primary. Never key material.",
      "Without permission to read that Secret, shows what the EncryptionKeys' statuses say it"
          + " should hold, and says so."
    })
final class KeyBundleCommand implements Callable<Integer> {

  /** Readers ignore what they do not know: the material fields are never even parsed. */
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .configure(
              com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
              false);

  @ParentCommand KubectlKeyops root;
  @Mixin ClusterOptions cluster;
  @Mixin Output output;

  @Parameters(paramLabel = "RING", description = "the key ring")
  String ring;

  /** keyring.json without material: its own view, so no field can carry a key. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Document(
      int format, String namespace, String keyRing, String primaryKeyId, List<Entry> keys) {
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Entry(String keyId, String name, String state, String provider, String kmsKeyName) {}
  }

  /**
   * What is printed.
   *
   * @param source "Secret NAME" or "EncryptionKey statuses"
   * @param note why the Secret was not used, or what differs, if anything
   * @param notInKeyring keys of the ring the keyring does not hold (Disabled, not Ready, ...)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record View(
      String namespace,
      String keyRing,
      String source,
      String note,
      String primaryKeyId,
      List<Key> keys,
      List<String> notInKeyring) {}

  /** One key of the keyring: identity and state, never material. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Key(
      String keyId,
      String name,
      String state,
      boolean primary,
      String provider,
      String fingerprint,
      String kmsKeyName) {}

  @Override
  public Integer call() {
    boolean table = output.table();
    try (Session s = cluster.connect()) {
      Cluster c = Cluster.read(s, false);
      Ring r = c.require(s, ring);
      View v = view(s, c.keysOf(r));
      if (!table) {
        output.print(v, root.out());
      } else {
        print(v, root.out());
      }
      return KubectlKeyops.OK;
    }
  }

  private View view(Session s, List<EncryptionKey> keys) {
    String name = KeyBundleWriter.secretName(ring);
    Secret secret;
    String note = null;
    try {
      secret = s.client().secrets().inNamespace(s.namespace()).withName(name).get();
      if (secret == null) {
        note = "Secret " + name + " does not exist yet (no key of the ring has usable material)";
      }
    } catch (KubernetesClientException e) {
      if (!Api.is(e, 403)) {
        throw Api.explain(e, s, "get", "secrets");
      }
      secret = null;
      note = "you may not read Secret " + name + " (get secrets): shown from the keys' statuses";
    }
    List<Key> listed = secret != null ? fromSecret(secret, name, keys) : fromStatuses(keys);
    String primary = listed.stream().filter(Key::primary).map(Key::keyId).findFirst().orElse(null);
    String source = secret != null ? "Secret " + name : "EncryptionKey statuses";
    List<String> ids = listed.stream().map(Key::keyId).toList();
    List<String> missing =
        keys.stream()
            .filter(k -> k.getStatus() == null || !ids.contains(k.getStatus().getKeyId()))
            .map(
                k ->
                    k.getMetadata().getName()
                        + " ("
                        + (k.getStatus() == null || k.getStatus().getState() == null
                            ? "not reconciled yet"
                            : k.getStatus().getState().name())
                        + ")")
            .toList();
    return new View(
        s.namespace(), ring, source, note, primary, listed, missing.isEmpty() ? null : missing);
  }

  /** The keys the Secret lists, with each key's fingerprint from its status. */
  private static List<Key> fromSecret(Secret secret, String name, List<EncryptionKey> keys) {
    Map<String, EncryptionKey> byId =
        keys.stream()
            .filter(k -> k.getStatus() != null && k.getStatus().getKeyId() != null)
            .collect(
                Collectors.toMap(k -> k.getStatus().getKeyId(), Function.identity(), (a, b) -> a));
    Document d = parse(secret, name);
    List<Key> listed = new ArrayList<>();
    for (Document.Entry e : d.keys() == null ? List.<Document.Entry>of() : d.keys()) {
      EncryptionKey k = byId.get(e.keyId());
      listed.add(
          new Key(
              e.keyId(),
              e.name(),
              e.state(),
              Objects.equals(e.keyId(), d.primaryKeyId()),
              e.provider(),
              k == null ? null : k.getStatus().getFingerprint(),
              e.kmsKeyName()));
    }
    return listed;
  }

  /** What the keyring holds by the keys' statuses: every Ready Staged, Primary and Retired key. */
  private static List<Key> fromStatuses(List<EncryptionKey> keys) {
    List<Key> listed = new ArrayList<>();
    for (EncryptionKey k : keys) {
      var st = k.getStatus();
      if (st == null
          || st.getKeyId() == null
          || !inKeyring(st.getState())
          || !Conditions.isTrue(st.getConditions(), Conditions.READY)) {
        continue;
      }
      var gcp = k.getSpec().getProvider() == null ? null : k.getSpec().getProvider().getGcpKms();
      listed.add(
          new Key(
              st.getKeyId(),
              k.getMetadata().getName(),
              st.getState().name(),
              st.getState() == KeyState.Primary,
              st.getProvider() == null ? null : st.getProvider().name(),
              st.getFingerprint(),
              gcp == null ? null : gcp.getKeyName()));
    }
    return listed;
  }

  static boolean inKeyring(KeyState s) {
    return s == KeyState.Staged || s == KeyState.Primary || s == KeyState.Retired;
  }

  private static Document parse(Secret secret, String name) {
    String data = secret.getData() == null ? null : secret.getData().get(KeyBundleWriter.FILE);
    if (data == null) {
      throw new CliException(
          "Secret " + name + " has no " + KeyBundleWriter.FILE + ": it is not a keyops keyring");
    }
    try {
      return JSON.readValue(Base64.getDecoder().decode(data), Document.class);
    } catch (IOException | IllegalArgumentException e) {
      // The parser's message may quote the document: say only where it failed.
      throw new CliException(
          "Secret " + name + ": " + KeyBundleWriter.FILE + " is not a readable keyring document");
    }
  }

  static void print(View v, PrintWriter out) {
    out.println(
        "Keyring of key ring "
            + v.keyRing()
            + " in namespace "
            + v.namespace()
            + ", from "
            + v.source()
            + (v.primaryKeyId() == null ? "; no Primary: writers cannot encrypt" : ""));
    if (v.note() != null) {
      out.println("Note: " + v.note());
    }
    out.println();
    if (v.keys().isEmpty()) {
      out.println("The keyring holds no key.");
    } else {
      Table t = new Table("KEYID", "KEY", "STATE", "PRIMARY", "PROVIDER", "FINGERPRINT", "KMS KEY");
      for (Key k : v.keys()) {
        t.row(
            k.keyId(),
            k.name(),
            k.state(),
            k.primary() ? "yes" : "",
            k.provider(),
            k.fingerprint(),
            k.kmsKeyName());
      }
      t.print(out);
    }
    if (v.notInKeyring() != null) {
      out.println();
      out.println("Not in the keyring: " + String.join(", ", v.notInKeyring()));
    }
    out.flush();
  }
}
