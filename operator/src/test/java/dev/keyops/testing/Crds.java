package dev.keyops.testing;

import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CRDs as committed: the fabric8 generator's output for the Java model, with the printer
 * columns in the order the model declares them (the generator sorts them by JSON path, which would
 * put Age first in `kubectl get`).
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
              v ->
                  v.getAdditionalPrinterColumns()
                      .sort(
                          Comparator.comparingInt(
                              (CustomResourceColumnDefinition c) -> order.indexOf(c.getName()))));
      return HEADER + Serialization.asYaml(crd).replaceFirst("^---\n", "");
    } catch (IOException e) {
      throw new UncheckedIOException("generated CRD missing; run mvn process-classes first", e);
    }
  }
}
