package dev.keyops.partition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.HexFormat;

/** The parsed header of an encrypted partition. Slots may be null (empty). */
public record PartitionHeader(byte[] prefix, KeySlot slot0, KeySlot slot1) {

  /** Reads the header at the start of a file. Returns null when the file is not a partition. */
  static PartitionHeader read(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(PartitionFormat.HEADER_SIZE);
    long pos = 0;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        break;
      }
      pos += n;
    }
    return parse(Arrays.copyOf(buf.array(), buf.position()));
  }

  /** True if the bytes start with the partition magic. */
  static boolean hasMagic(byte[] bytes) {
    return bytes.length >= PartitionFormat.MAGIC.length
        && Arrays.equals(
            bytes,
            0,
            PartitionFormat.MAGIC.length,
            PartitionFormat.MAGIC,
            0,
            PartitionFormat.MAGIC.length);
  }

  static PartitionHeader parse(byte[] bytes) {
    if (!hasMagic(bytes)) {
      return null;
    }
    if (bytes.length < PartitionFormat.HEADER_SIZE) {
      throw new PartitionException(
          PartitionException.Kind.CORRUPT, "the header is truncated (" + bytes.length + " bytes)");
    }
    int version = bytes[4] & 0xff;
    if (version != PartitionFormat.VERSION) {
      throw new PartitionException(
          PartitionException.Kind.CORRUPT,
          "unsupported partition format version " + version + " (this keyops reads version 1)");
    }
    byte[] prefix = Arrays.copyOf(bytes, PartitionFormat.PREFIX_SIZE);
    KeySlot s0 =
        KeySlot.read(
            Arrays.copyOfRange(
                bytes,
                PartitionFormat.slotOffset(0),
                PartitionFormat.slotOffset(0) + PartitionFormat.SLOT_SIZE));
    KeySlot s1 =
        KeySlot.read(
            Arrays.copyOfRange(
                bytes,
                PartitionFormat.slotOffset(1),
                PartitionFormat.slotOffset(1) + PartitionFormat.SLOT_SIZE));
    return new PartitionHeader(prefix, s0, s1);
  }

  static byte[] newPrefix(byte[] partitionId) {
    ByteBuffer buf = ByteBuffer.allocate(PartitionFormat.PREFIX_SIZE);
    buf.put(PartitionFormat.MAGIC)
        .put((byte) PartitionFormat.VERSION)
        .put(new byte[3])
        .put(partitionId);
    return buf.array();
  }

  public String partitionIdHex() {
    return HexFormat.of()
        .formatHex(
            prefix,
            PartitionFormat.PARTITION_ID_OFFSET,
            PartitionFormat.PARTITION_ID_OFFSET + PartitionFormat.PARTITION_ID_SIZE);
  }

  public KeySlot slot(int i) {
    return i == 0 ? slot0 : slot1;
  }

  /** The non-empty slot with the highest generation, or null. Not yet verified. */
  public KeySlot newestSlot() {
    if (slot0 == null) {
      return slot1;
    }
    if (slot1 == null) {
      return slot0;
    }
    return Long.compareUnsigned(slot1.generation(), slot0.generation()) > 0 ? slot1 : slot0;
  }

  /** Index of the given slot in this header. */
  int indexOf(KeySlot slot) {
    return slot == slot0 ? 0 : 1;
  }

  @Override
  public byte[] prefix() {
    return prefix.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PartitionHeader h
        && Arrays.equals(prefix, h.prefix)
        && java.util.Objects.equals(slot0, h.slot0)
        && java.util.Objects.equals(slot1, h.slot1);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(prefix);
  }
}
