package dev.keyops.partition;

import java.nio.charset.StandardCharsets;

/**
 * Byte layout of an encrypted partition, format version 1. All integers are big-endian.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "KOPS" (4B 4F 50 53)
 *      4     1  format version (1)
 *      5     3  reserved, zero
 *      8    16  partition id (random)
 *     24    96  key slot 0
 *    120    96  key slot 1
 *    216     …  body: Tink streaming AEAD AES-GCM-HKDF-SHA256, 256-bit key, 1 MiB segments,
 *               first-segment offset 216, associated data = bytes 0..23 (magic, version,
 *               reserved, partition id)
 *
 * key slot (96 bytes; all zeros = empty)
 *      0    16  key id of the ring key that wraps the data key
 *     16     8  generation (unsigned; the valid slot with the highest generation is current)
 *     24    60  the partition's 32-byte data key wrapped by the ring key with Tink AEAD
 *               AES-256-GCM (12-byte IV, ciphertext, 16-byte tag); associated data =
 *               bytes 0..23 of the header, key id (16), generation (8)
 *     84    12  reserved, zero
 * </pre>
 */
public final class PartitionFormat {

  public static final byte[] MAGIC = "KOPS".getBytes(StandardCharsets.US_ASCII);
  public static final int VERSION = 1;
  public static final int PREFIX_SIZE = 24;
  public static final int PARTITION_ID_OFFSET = 8;
  public static final int PARTITION_ID_SIZE = 16;
  public static final int KEY_ID_SIZE = 16;
  public static final int DATA_KEY_SIZE = 32;
  public static final int WRAPPED_KEY_SIZE = 12 + DATA_KEY_SIZE + 16;
  public static final int SLOT_SIZE = 96;
  public static final int SLOT_COUNT = 2;
  public static final int HEADER_SIZE = PREFIX_SIZE + SLOT_COUNT * SLOT_SIZE;
  public static final int SEGMENT_SIZE = 1 << 20;

  private PartitionFormat() {}

  /** File offset of a key slot. */
  public static int slotOffset(int slot) {
    return PREFIX_SIZE + slot * SLOT_SIZE;
  }
}
