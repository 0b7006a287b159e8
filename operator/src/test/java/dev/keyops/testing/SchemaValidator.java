package dev.keyops.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a manifest against a CRD's structural schema: types, required fields, unknown fields,
 * patterns, enums, lengths and minimums. CEL rules need a real API server (see the issue on a real
 * control plane); this catches everything else offline.
 */
public final class SchemaValidator {

  private SchemaValidator() {}

  /** Returns the violations, each naming its field path. */
  public static List<String> validate(JSONSchemaProps schema, JsonNode value) {
    List<String> errors = new ArrayList<>();
    check(schema, value, "", errors);
    return errors;
  }

  private static void check(JSONSchemaProps s, JsonNode v, String path, List<String> errors) {
    String where = path.isEmpty() ? "<root>" : path;
    if (Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields()) && s.getProperties() == null) {
      return;
    }
    String type = s.getType();
    if (type != null) {
      boolean ok =
          switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            default -> true;
          };
      if (!ok) {
        errors.add(where + ": expected " + type + ", got " + v.getNodeType());
        return;
      }
    }
    if (s.getEnum() != null && !s.getEnum().isEmpty()) {
      boolean found = s.getEnum().stream().anyMatch(e -> e.equals(v));
      if (!found) {
        errors.add(where + ": " + v + " is not one of " + s.getEnum());
      }
    }
    if (v.isTextual()) {
      String text = v.asText();
      if (s.getPattern() != null && !Pattern.compile(s.getPattern()).matcher(text).find()) {
        errors.add(where + ": '" + text + "' does not match " + s.getPattern());
      }
      if (s.getMaxLength() != null && text.length() > s.getMaxLength()) {
        errors.add(where + ": longer than " + s.getMaxLength());
      }
      if (s.getMinLength() != null && text.length() < s.getMinLength()) {
        errors.add(where + ": shorter than " + s.getMinLength());
      }
    }
    if (v.isNumber() && s.getMinimum() != null && v.asDouble() < s.getMinimum()) {
      errors.add(where + ": less than the minimum " + s.getMinimum());
    }
    if (v.isObject()) {
      Map<String, JSONSchemaProps> props = s.getProperties();
      if (s.getRequired() != null) {
        for (String r : s.getRequired()) {
          if (!v.has(r)) {
            errors.add(where + ": required field '" + r + "' is missing");
          }
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        var f = it.next();
        String child = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
        if (props != null && props.containsKey(f.getKey())) {
          check(props.get(f.getKey()), f.getValue(), child, errors);
        } else if (s.getAdditionalProperties() != null
            && s.getAdditionalProperties().getSchema() != null) {
          check(s.getAdditionalProperties().getSchema(), f.getValue(), child, errors);
        } else if (props != null && !Boolean.TRUE.equals(s.getXKubernetesPreserveUnknownFields())) {
          errors.add(child + ": unknown field (the API server would drop it)");
        }
      }
    }
    if (v.isArray() && s.getItems() != null && s.getItems().getSchema() != null) {
      for (int i = 0; i < v.size(); i++) {
        check(s.getItems().getSchema(), v.get(i), path + "[" + i + "]", errors);
      }
    }
  }
}
