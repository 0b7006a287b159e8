package dev.keyops.partition;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** One key slot of a partition header: a data key wrapped by a ring key. */
public record KeySlot(KeyId keyId, long generation, byte[] wrappedKey) {

  /** Reads a slot; returns null for an empty (all-zero) slot. */
  static KeySlot read(byte[] slot) {
    boolean empty = true;
    for (byte b : slot) {
      if (b != 0) {
        empty = false;
        break;
      }
    }
    if (empty) {
      return null;
    }
    ByteBuffer buf = ByteBuffer.wrap(slot);
    byte[] id = new byte[PartitionFormat.KEY_ID_SIZE];
    buf.get(id);
    long generation = buf.getLong();
    byte[] wrapped = new byte[PartitionFormat.WRAPPED_KEY_SIZE];
    buf.get(wrapped);
    return new KeySlot(new KeyId(id), generation, wrapped);
  }

  byte[] toBytes() {
    ByteBuffer buf = ByteBuffer.allocate(PartitionFormat.SLOT_SIZE);
    buf.put(keyId.bytes()).putLong(generation).put(wrappedKey);
    return buf.array();
  }

  /** Associated data of the wrapped key: header prefix, key id, generation. */
  static byte[] associatedData(byte[] prefix, KeyId keyId, long generation) {
    return ByteBuffer.allocate(PartitionFormat.PREFIX_SIZE + PartitionFormat.KEY_ID_SIZE + 8)
        .put(prefix, 0, PartitionFormat.PREFIX_SIZE)
        .put(keyId.bytes())
        .putLong(generation)
        .array();
  }

  @Override
  public byte[] wrappedKey() {
    return wrappedKey.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeySlot s
        && keyId.equals(s.keyId)
        && generation == s.generation
        && Arrays.equals(wrappedKey, s.wrappedKey);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode() * 31 + Long.hashCode(generation);
  }

  @Override
  public String toString() {
    return "KeySlot[keyId=" + keyId + ", generation=" + generation + "]";
  }
}
