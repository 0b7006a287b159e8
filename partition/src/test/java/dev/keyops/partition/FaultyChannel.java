package dev.keyops.partition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A real file channel whose {@code force} can be made to fail, as a kernel reports a writeback
 * error: {@code failMetadataLessForce} fails {@code force(false)} (the background writeback's call)
 * while {@code force(true)} (the final fsync) succeeds, which is what Linux does once the error was
 * reported to one caller.
 */
public final class FaultyChannel extends FileChannel {

  private final FileChannel in;
  private final boolean failMetadataLessForce;
  private final boolean failEveryForce;

  public FaultyChannel(FileChannel in, boolean failMetadataLessForce, boolean failEveryForce) {
    this.in = in;
    this.failMetadataLessForce = failMetadataLessForce;
    this.failEveryForce = failEveryForce;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    if (failEveryForce || (failMetadataLessForce && !metaData)) {
      throw new IOException("Input/output error (injected writeback failure)");
    }
    in.force(metaData);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return in.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return in.read(dsts, offset, length);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return in.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return in.write(srcs, offset, length);
  }

  @Override
  public long position() throws IOException {
    return in.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    in.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return in.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    in.truncate(size);
    return this;
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return in.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    return in.transferFrom(src, position, count);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return in.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return in.write(src, position);
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return in.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return in.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return in.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    in.close();
  }
}
