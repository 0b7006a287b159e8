package dev.keyops.testing;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CRDs as committed: the fabric8 generator's output for the Java model, with what the generator
 * does not do done here:
 *
 * <ul>
 *   <li>printer columns in the order the model declares them (the generator sorts them by JSON
 *       path, which would put Age first in `kubectl get`);
 *   <li>descriptions of the kind, spec and status from the classes' {@code @JsonClassDescription}
 *       (the generator reads only {@code @JsonPropertyDescription}), and of the fields of the
 *       Kubernetes types the model reuses (Condition, Toleration, ResourceRequirements), in the
 *       words of the Kubernetes API reference;
 *   <li>every {@code conditions} list a map keyed by {@code type} ({@code x-kubernetes-list-type:
 *       map}), so server-side apply merges conditions by type and {@code type} is required.
 * </ul>
 */
public final class Crds {

  public static final String REGENERATE =
      "mvn -q -pl operator test -Dtest=CrdsUpToDateTest -Dkeyops.writeCrds=true";

  private static final String HEADER =
      "# Generated from the Java model in operator/src/main/java/dev/keyops/api/v1alpha1."
          + " Do not edit.\n# Regenerate with: "
          + REGENERATE
          + "\n";

  private Crds() {}

  public static Path repoRoot() {
    return Path.of(System.getProperty("keyops.repoRoot", "..")).toAbsolutePath().normalize();
  }

  /** File name of each committed CRD, mapped to its expected content. */
  public static Map<String, String> expected() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(
        "encryptionkeys.keyops.dev.yaml", render("encryptionkeys.keyops.dev", EncryptionKey.class));
    out.put(
        "reencryptionjobs.keyops.dev.yaml",
        render("reencryptionjobs.keyops.dev", ReencryptionJob.class));
    out.put("keyrings.keyops.dev.yaml", render("keyrings.keyops.dev", KeyRing.class));
    return out;
  }

  /** The generated CRD objects, parsed. */
  public static List<CustomResourceDefinition> parsed() {
    List<CustomResourceDefinition> crds = new ArrayList<>();
    for (String content : expected().values()) {
      crds.add(Serialization.unmarshal(content, CustomResourceDefinition.class));
    }
    return crds;
  }

  private static final Map<String, String> CONDITION =
      Map.of(
          "type", "Type of the condition, in CamelCase (e.g. Ready). Unique in the list.",
          "status", "Status of the condition: True, False or Unknown.",
          "reason", "A CamelCase reason for the condition's last transition.",
          "message", "A human-readable message about the transition: what happened, what to do.",
          "lastTransitionTime", "When the condition last changed from one status to another.",
          "observedGeneration",
              "The metadata.generation the condition was set for; older than the object's"
                  + " generation means the condition is out of date.");

  private static final Map<String, String> TOLERATION =
      Map.of(
          "key", "The taint key the toleration applies to; empty matches all keys.",
          "operator", "Exists or Equal (the default): how key and value are matched.",
          "value", "The taint value the toleration matches (with operator Equal).",
          "effect",
              "The taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty"
                  + " matches all.",
          "tolerationSeconds",
              "With effect NoExecute: how long the pod stays bound after the taint appears.");

  private static final Map<String, String> RESOURCES =
      Map.of(
          "limits", "Maximum compute resources allowed (e.g. cpu, memory).",
          "requests", "Minimum compute resources required (e.g. cpu, memory); defaults to limits.",
          "claims", "Names of resources, defined in spec.resourceClaims, used by this container.");

  private static final Map<String, String> CLAIM =
      Map.of(
          "name", "Name of one entry in the pod's spec.resourceClaims.",
          "request", "Name of the request in the claim to make available; empty for all.");

  /** Adds what the generator leaves out: see the class comment. */
  private static void describe(Class<?> kind, JSONSchemaProps root) {
    root.setDescription(classDescription(kind));
    if (kind.getGenericSuperclass() instanceof ParameterizedType t) {
      Type[] args = t.getActualTypeArguments();
      root.getProperties().get("spec").setDescription(classDescription((Class<?>) args[0]));
      root.getProperties().get("status").setDescription(classDescription((Class<?>) args[1]));
    }
    walk(root);
  }

  private static void walk(JSONSchemaProps node) {
    if (node.getProperties() == null) {
      return;
    }
    for (var e : node.getProperties().entrySet()) {
      JSONSchemaProps p = e.getValue();
      JSONSchemaProps items = p.getItems() == null ? null : p.getItems().getSchema();
      switch (e.getKey()) {
        case "conditions" -> {
          p.setXKubernetesListType("map");
          p.setXKubernetesListMapKeys(List.of("type"));
          items.setRequired(List.of("type"));
          fill(items, CONDITION);
        }
        case "tolerations" -> fill(items, TOLERATION);
        case "resources" -> {
          if (fill(p, RESOURCES) && p.getProperties().get("claims") != null) {
            fill(p.getProperties().get("claims").getItems().getSchema(), CLAIM);
          }
        }
        default -> {}
      }
      walk(p);
      if (items != null) {
        walk(items);
      }
    }
  }

  /** Fills the missing descriptions of a known Kubernetes type; false if it is not that type. */
  private static boolean fill(JSONSchemaProps node, Map<String, String> descriptions) {
    if (node == null
        || node.getProperties() == null
        || !descriptions.keySet().containsAll(node.getProperties().keySet())) {
      return false;
    }
    node.getProperties()
        .forEach(
            (name, p) -> {
              if (p.getDescription() == null) {
                p.setDescription(descriptions.get(name));
              }
            });
    return true;
  }

  private static String classDescription(Class<?> c) {
    JsonClassDescription d = c.getAnnotation(JsonClassDescription.class);
    if (d == null) {
      throw new IllegalStateException(c.getName() + " needs a @JsonClassDescription");
    }
    return d.value();
  }

  private static String render(String name, Class<?> kind) {
    Path generated =
        Path.of(System.getProperty("keyops.generatedCrds", "target/classes/META-INF/fabric8"))
            .resolve(name + "-v1.yml");
    try {
      CustomResourceDefinition crd =
          Serialization.unmarshal(Files.readString(generated), CustomResourceDefinition.class);
      List<String> order =
          Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
              .map(AdditionalPrinterColumn::name)
              .toList();
      crd.getSpec()
          .getVersions()
          .forEach(
              v -> {
                v.getAdditionalPrinterColumns()
                    .sort(
                        Comparator.comparingInt(
                            (CustomResourceColumnDefinition c) -> order.indexOf(c.getName())));
                describe(kind, v.getSchema().getOpenAPIV3Schema());
              });
      return HEADER + Serialization.asYaml(crd).replaceFirst("^---\n", "");
    } catch (IOException e) {
      throw new UncheckedIOException("generated CRD missing; run mvn process-classes first", e);
    }
  }
}
