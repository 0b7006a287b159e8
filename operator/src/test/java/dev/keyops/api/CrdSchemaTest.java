package dev.keyops.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyops.testing.Crds;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What `kubectl explain`, `kubectl get keyops` and server-side apply rely on in the CRDs. */
class CrdSchemaTest {

  @Test
  void everyFieldAndEveryKindHasADescription() {
    List<String> missing = new ArrayList<>();
    for (CustomResourceDefinition crd : Crds.parsed()) {
      JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
      String kind = crd.getSpec().getNames().getKind();
      if (blank(root.getDescription())) {
        missing.add(kind);
      }
      walk(root, kind, missing);
    }
    assertEquals(List.of(), missing, "schema fields without a description");
  }

  @Test
  void bothKindsAreInTheKeyopsCategory() {
    for (CustomResourceDefinition crd : Crds.parsed()) {
      assertEquals(List.of("keyops"), crd.getSpec().getNames().getCategories());
    }
  }

  @Test
  void conditionsAreAListMapKeyedByType() {
    for (CustomResourceDefinition crd : Crds.parsed()) {
      JSONSchemaProps conditions =
          crd.getSpec()
              .getVersions()
              .get(0)
              .getSchema()
              .getOpenAPIV3Schema()
              .getProperties()
              .get("status")
              .getProperties()
              .get("conditions");
      assertEquals("map", conditions.getXKubernetesListType());
      assertEquals(List.of("type"), conditions.getXKubernetesListMapKeys());
      assertTrue(conditions.getItems().getSchema().getRequired().contains("type"));
    }
  }

  @Test
  void bothKindsHaveAReadyColumnFromTheReadyCondition() {
    for (CustomResourceDefinition crd : Crds.parsed()) {
      var ready =
          crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
              .filter(c -> c.getName().equals("Ready"))
              .findFirst()
              .orElseThrow(() -> new AssertionError(crd.getMetadata().getName() + ": no Ready"));
      assertEquals(".status.conditions[?(@.type==\"Ready\")].status", ready.getJsonPath());
      assertEquals(0, ready.getPriority());
    }
  }

  private static void walk(JSONSchemaProps node, String path, List<String> missing) {
    if (node.getProperties() != null) {
      node.getProperties()
          .forEach(
              (name, p) -> {
                String at = path + "." + name;
                if (blank(p.getDescription())) {
                  missing.add(at);
                }
                walk(p, at, missing);
              });
    }
    if (node.getItems() != null && node.getItems().getSchema() != null) {
      walk(node.getItems().getSchema(), path + "[]", missing);
    }
    if (node.getAdditionalProperties() != null
        && node.getAdditionalProperties().getSchema() != null) {
      walk(node.getAdditionalProperties().getSchema(), path + "{}", missing);
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
