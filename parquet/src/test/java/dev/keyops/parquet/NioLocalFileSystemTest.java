package dev.keyops.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NioLocalFileSystemTest {

  @TempDir Path dir;

  @Test
  void theKeyToolsFileSystemSetsPermissionsWithoutAShell() throws Exception {
    Configuration conf = ParquetCrypto.configuration(dir.resolve("keyring.json"));
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("m.json").toUri());
    FileSystem fs = file.getFileSystem(conf);
    assertEquals(NioLocalFileSystem.class, fs.getClass());
    try (FSDataOutputStream out =
        fs.create(file, new FsPermission((short) 0640), false, 4096, (short) 1, 1 << 20, null)) {
      out.writeBytes("{}");
    }
    assertEquals(
        "rw-r-----",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("m.json"))));
    fs.setPermission(file, new FsPermission((short) 0604));
    assertEquals(
        "rw----r--",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("m.json"))));
  }
}
