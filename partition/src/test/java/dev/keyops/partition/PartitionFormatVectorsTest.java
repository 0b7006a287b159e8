package dev.keyops.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published test vectors (docs/test-vectors/partition-v1) decrypt with this library to what
 * vectors.json says, and the failures fail the way it says. The Python reader in interop/python
 * checks the same vectors.
 */
class PartitionFormatVectorsTest {

  static final Path DIR =
      Path.of(System.getProperty("keyops.repoRoot", ".."), "docs/test-vectors/partition-v1");

  static Stream<JsonNode> vectors() throws IOException {
    List<JsonNode> all = new ArrayList<>();
    new ObjectMapper()
        .readTree(DIR.resolve("vectors.json").toFile())
        .get("vectors")
        .forEach(all::add);
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void readsTheVector(JsonNode v) throws Exception {
    KeyBundle ring =
        new KeyBundleFile(DIR.resolve("keyring.json"), DataKeyUnwrapper.NONE).current();
    Path file = DIR.resolve(v.get("file").asText());
    PartitionCodec codec = new PartitionCodec();
    switch (v.get("expect").asText()) {
      case "plaintext" -> {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long length = 0;
        try (InputStream in = codec.decrypt(file, ring)) {
          byte[] buf = new byte[65536];
          int n;
          while ((n = in.read(buf)) > 0) {
            sha.update(buf, 0, n);
            length += n;
          }
        }
        assertEquals(v.get("plaintextLength").asLong(), length);
        assertEquals(v.get("plaintextSha256").asText(), HexFormat.of().formatHex(sha.digest()));
        PartitionCodec.Info info = PartitionCodec.inspect(file);
        assertEquals(v.get("keyId").asText(), info.keyId().hex());
        assertEquals(v.get("partitionId").asText(), info.partitionId());
        KeySlot[] slots = {info.slot0(), info.slot1()};
        for (int i = 0; i < 2; i++) {
          JsonNode expected = v.get("slots").get(i);
          if (expected.isNull()) {
            assertEquals(null, slots[i], "slot " + i);
          } else {
            assertEquals(expected.get("keyId").asText(), slots[i].keyId().hex());
            assertEquals(expected.get("generation").asLong(), slots[i].generation());
          }
        }
      }
      case "corrupt" ->
          assertThrows(
              IOException.class,
              () -> {
                try (InputStream in = codec.decrypt(file, ring)) {
                  in.readAllBytes();
                }
              });
      case "not-encrypted" -> {
        PartitionException e =
            assertThrows(PartitionException.class, () -> codec.decrypt(file, ring));
        assertEquals(PartitionException.Kind.NOT_ENCRYPTED, e.kind());
        assertTrue(e.getMessage().contains("not encrypted"));
      }
      default -> throw new AssertionError("unknown expectation in vectors.json: " + v);
    }
  }
}
