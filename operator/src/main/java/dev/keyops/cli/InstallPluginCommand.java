package dev.keyops.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code java -jar keyops.jar install-plugin DIR}: puts the launcher {@code kubectl-keyops} and a
 * copy of the running jar into DIR, so whoever has the jar (from a build or from the image) gets
 * the kubectl plugin without the repository.
 */
@Command(
    name = "install-plugin",
    header = "Install kubectl-keyops and this jar into a directory on PATH.",
    mixinStandardHelpOptions = true,
    description = {
      "Install the kubectl plugin: write DIR/kubectl-keyops (the launcher) and DIR/keyops.jar"
          + " (a copy of this jar). With DIR on your PATH, kubectl keyops runs it (needs Java"
          + " 17+).",
      "Example: java -jar keyops.jar install-plugin ~/.local/bin"
    })
final class InstallPluginCommand implements Callable<Integer> {

  /** The launcher inside the jar (a copy of the repository's bin/kubectl-keyops). */
  static final String LAUNCHER = "/dev/keyops/cli/kubectl-keyops";

  @ParentCommand KubectlKeyops root;

  @Parameters(paramLabel = "DIR", description = "a directory on your PATH")
  Path dir;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = root.out();
    Path jar = runningJar();
    Files.createDirectories(dir);
    Path targetJar = dir.resolve("keyops.jar");
    if (!Files.exists(targetJar) || !Files.isSameFile(jar, targetJar)) {
      Path temp = dir.resolve(".keyops.jar.tmp");
      Files.copy(jar, temp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(temp, targetJar, StandardCopyOption.REPLACE_EXISTING);
    }
    Path launcher = dir.resolve("kubectl-keyops");
    try (InputStream in = KubectlKeyops.class.getResourceAsStream(LAUNCHER)) {
      if (in == null) {
        throw new CliException("this jar carries no " + LAUNCHER + ": rebuild it (mvn package)");
      }
      Files.copy(in, launcher, StandardCopyOption.REPLACE_EXISTING);
    }
    try {
      Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: nothing to mark.
    }
    out.println("installed " + launcher + " and " + targetJar);
    String path = System.getenv("PATH") == null ? "" : System.getenv("PATH");
    Path abs = dir.toAbsolutePath().normalize();
    boolean onPath =
        Arrays.stream(path.split(java.io.File.pathSeparator))
            .filter(p -> !p.isEmpty())
            .anyMatch(p -> Path.of(p).toAbsolutePath().normalize().equals(abs));
    if (!onPath) {
      out.println(abs + " is not on your PATH: export PATH=\"" + abs + ":$PATH\"");
    }
    out.println("try: kubectl keyops --help");
    out.flush();
    return KubectlKeyops.OK;
  }

  private static Path runningJar() {
    var source = KubectlKeyops.class.getProtectionDomain().getCodeSource();
    if (source != null && source.getLocation() != null) {
      try {
        Path p = Path.of(source.getLocation().toURI());
        if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
          return p;
        }
      } catch (URISyntaxException e) {
        // Not a file: fall through to the message below.
      }
    }
    throw new CliException(
        "install-plugin copies the jar it runs from: run it as java -jar keyops.jar"
            + " install-plugin DIR (build the jar with mvn package)");
  }
}
