package dev.keyops.partition;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Writes the published test vectors of the partition format (docs/test-vectors/partition-v1): a
 * keyring of two TEST keys and partitions in every shape a reader must handle, with vectors.json
 * saying what a reader must conclude. They are committed; run this only to replace them (new random
 * keys, ids and ciphertexts):
 *
 * <pre>
 * mvn -q -pl partition test-compile
 * java -cp "partition/target/test-classes:partition/target/classes:$(cat cp.txt)" \
 *   dev.keyops.partition.PartitionTestVectors docs/test-vectors/partition-v1
 * </pre>
 *
 * (cp.txt from {@code mvn -q -pl partition dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class PartitionTestVectors {

  /** A two-segment partition: one byte more than segment 0 holds, plus a few KiB. */
  static final int TWO_SEGMENTS =
      PartitionFormat.SEGMENT_SIZE - 16 - PartitionFormat.HEADER_SIZE - 40 + 4096;

  private PartitionTestVectors() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    SecureRandom random = new SecureRandom();
    KeyBundleDocument.Entry a = entry("test-vector-key-a", "Retired", random);
    KeyBundleDocument.Entry b = entry("test-vector-key-b", "Primary", random);
    KeyBundleDocument onA = doc(a.keyId(), List.of(withState(a, "Primary")));
    KeyBundleDocument both = doc(b.keyId(), List.of(b, a));
    KeyBundle ringA = KeyBundle.parse(KeyBundle.toJson(onA), DataKeyUnwrapper.NONE);
    KeyBundle ring = KeyBundle.parse(KeyBundle.toJson(both), DataKeyUnwrapper.NONE);
    Files.write(dir.resolve("keyring.json"), KeyBundle.toJson(both));

    byte[] small =
        "keyops partition format, version 1: a test vector.\n"
            .repeat(6)
            .getBytes(StandardCharsets.UTF_8);
    byte[] large = new byte[TWO_SEGMENTS];
    new Random(1).nextBytes(large);
    PartitionCodec codec = new PartitionCodec();

    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = json.createObjectNode();
    manifest.put("format", 1);
    manifest.put(
        "note",
        "TEST KEYS: keyring.json holds two published keys for these vectors only. Never use them"
            + " to protect data.");
    manifest.put("keyring", "keyring.json");
    ArrayNode vectors = manifest.putArray("vectors");

    encrypt(codec, dir.resolve("fresh-small.kpart"), small, ringA);
    add(vectors, dir, "fresh-small.kpart", "written with key A: slot 0 = A, generation 1", small);

    encrypt(codec, dir.resolve("empty.kpart"), new byte[0], ringA);
    add(vectors, dir, "empty.kpart", "no data: one body segment of 16 bytes", new byte[0]);

    encrypt(codec, dir.resolve("two-segments.kpart"), large, ring);
    add(vectors, dir, "two-segments.kpart", "written with key B, two body segments", large);

    Path reencrypted = dir.resolve("reencrypted.kpart");
    encrypt(codec, reencrypted, small, ringA);
    rebuild(reencrypted, ring, PartitionRebuilder.Mode.REENCRYPT, RebuildCheckpoints.NONE);
    add(
        vectors,
        dir,
        "reencrypted.kpart",
        "written with key A, then reencrypted onto key B (new data key, new partition id)",
        small);

    Path rewrapped = dir.resolve("rewrapped.kpart");
    encrypt(codec, rewrapped, small, ringA);
    rebuild(rewrapped, ring, PartitionRebuilder.Mode.REWRAP, RebuildCheckpoints.NONE);
    add(
        vectors,
        dir,
        "rewrapped.kpart",
        "written with key A, then rewrapped onto key B: slot 1 = B, generation 2; slot 0 wiped",
        small);

    Path interrupted = dir.resolve("rewrap-interrupted.kpart");
    encrypt(codec, interrupted, small, ringA);
    try {
      rebuild(
          interrupted,
          ring,
          PartitionRebuilder.Mode.REWRAP,
          point -> {
            if (point.equals("rewrap.new-slot-synced")) {
              throw new IllegalStateException("stop before the old slot is wiped");
            }
          });
      throw new IllegalStateException("the rewrap was not interrupted");
    } catch (IllegalStateException expected) {
      // both slots are valid now
    }
    add(
        vectors,
        dir,
        "rewrap-interrupted.kpart",
        "a rewrap stopped before the wipe: slot 0 = A generation 1, slot 1 = B generation 2;"
            + " both open, the higher generation (B) is the partition's key",
        small);

    Path tampered = dir.resolve("tampered.kpart");
    encrypt(codec, tampered, small, ringA);
    byte[] t = Files.readAllBytes(tampered);
    t[PartitionFormat.HEADER_SIZE + 40 + 10] ^= 1; // one bit of the body's first segment
    Files.write(tampered, t);
    ObjectNode tv =
        add(vectors, dir, "tampered.kpart", "fresh-small with one body bit flipped", null);
    tv.put("expect", "corrupt");

    Files.write(dir.resolve("plain.bin"), small);
    ObjectNode pv = vectors.addObject();
    pv.put("file", "plain.bin");
    pv.put("description", "a plain file (no magic): readers must refuse it as not encrypted");
    pv.put("expect", "not-encrypted");

    json.writerWithDefaultPrettyPrinter()
        .writeValue(dir.resolve("vectors.json").toFile(), manifest);
  }

  private static KeyBundleDocument.Entry entry(String name, String state, SecureRandom random) {
    byte[] material = new byte[32];
    random.nextBytes(material);
    return new KeyBundleDocument.Entry(
        KeyId.fromUid(name).hex(),
        name,
        state,
        "managed",
        Base64.getEncoder().encodeToString(material),
        null,
        null,
        null);
  }

  private static KeyBundleDocument.Entry withState(KeyBundleDocument.Entry e, String state) {
    return new KeyBundleDocument.Entry(
        e.keyId(), e.name(), state, e.provider(), e.material(), null, null, null);
  }

  private static KeyBundleDocument doc(String primary, List<KeyBundleDocument.Entry> keys) {
    return new KeyBundleDocument(
        KeyBundleDocument.FORMAT, "test-vectors", "vectors", primary, List.copyOf(keys));
  }

  private static void encrypt(PartitionCodec codec, Path p, byte[] plain, KeyBundle ring)
      throws IOException {
    Files.deleteIfExists(p);
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      codec.encrypt(new ByteArrayInputStream(plain), ch, ring);
    }
  }

  private static void rebuild(
      Path p, KeyBundle ring, PartitionRebuilder.Mode mode, RebuildCheckpoints checkpoints) {
    PartitionRebuilder.Outcome o =
        new PartitionRebuilder(ring, mode, false, new PartitionCodec(), checkpoints).rebuild(p);
    if (o.status() != PartitionRebuilder.Status.REBUILT) {
      throw new IllegalStateException(p + ": " + o.status() + " " + o.reason());
    }
  }

  private static ObjectNode add(
      ArrayNode vectors, Path dir, String file, String description, byte[] plain) throws Exception {
    PartitionCodec.Info info = PartitionCodec.inspect(dir.resolve(file));
    ObjectNode v = vectors.addObject();
    v.put("file", file);
    v.put("description", description);
    v.put("expect", "plaintext");
    if (plain != null) {
      v.put("plaintextLength", plain.length);
      v.put(
          "plaintextSha256",
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(plain)));
      v.put("keyId", info.keyId().hex());
    }
    v.put("partitionId", info.partitionId());
    ArrayNode slots = v.putArray("slots");
    for (KeySlot s : new KeySlot[] {info.slot0(), info.slot1()}) {
      if (s == null) {
        slots.addNull();
      } else {
        slots.addObject().put("keyId", s.keyId().hex()).put("generation", s.generation());
      }
    }
    return v;
  }
}
