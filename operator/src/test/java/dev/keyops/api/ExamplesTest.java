package dev.keyops.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.keyops.testing.Crds;
import dev.keyops.testing.SchemaValidator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every manifest under examples/ must be valid against the generated CRD schemas. */
class ExamplesTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void everyExampleMatchesTheCrdSchemas() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(Crds.repoRoot().resolve("examples"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no examples found");
    int checked = 0;
    List<String> errors = new ArrayList<>();
    for (Path file : files) {
      for (JsonNode doc : documents(file)) {
        String apiVersion = doc.path("apiVersion").asText();
        if (!apiVersion.startsWith("keyops.dev/")) {
          continue;
        }
        JSONSchemaProps schema = schemaFor(doc.path("kind").asText());
        JsonNode withoutMeta = doc.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) withoutMeta)
            .remove(List.of("apiVersion", "kind", "metadata"));
        for (String e : SchemaValidator.validate(schema, withoutMeta)) {
          errors.add(Crds.repoRoot().relativize(file) + ": " + e);
        }
        checked++;
      }
    }
    assertTrue(checked >= 5, "expected at least 5 keyops manifests, found " + checked);
    assertEquals(List.of(), errors);
  }

  @Test
  void theValidatorRejectsWhatTheSchemaForbids() throws IOException {
    JSONSchemaProps schema = schemaFor("EncryptionKey");
    JsonNode bad =
        YAML.readTree(
            """
            apiVersion: keyops.dev/v1alpha1
            kind: EncryptionKey
            spec:
              keyRing: Not_A_Label
              activte: true
              provider:
                gcpKms:
                  keyName: projects/p/keyRings/r
            """);
    List<String> errors = SchemaValidator.validate(schema, bad);
    assertTrue(errors.stream().anyMatch(e -> e.startsWith("spec.keyRing:")), errors.toString());
    assertTrue(
        errors.stream().anyMatch(e -> e.startsWith("spec.activte: unknown")), errors.toString());
    assertTrue(
        errors.stream().anyMatch(e -> e.startsWith("spec.provider.gcpKms.keyName:")),
        errors.toString());
  }

  static JSONSchemaProps schemaFor(String kind) {
    for (CustomResourceDefinition crd : Crds.parsed()) {
      if (crd.getSpec().getNames().getKind().equals(kind)) {
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
      }
    }
    throw new AssertionError("no CRD for kind " + kind);
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          docs.add(n);
        }
      }
    }
    return docs;
  }
}
