/**
 * Runs many keyops CLI commands in one JVM, for scripts that would otherwise start a JVM per
 * partition (dev/e2e): each line of standard input is one command, its arguments separated by
 * tabs. Stops at the first command that does not exit 0, with its exit code.
 *
 * <p>java -cp operator/target/keyops.jar dev/lib/CliBatch.java < commands.tsv
 */
public class CliBatch {
  public static void main(String[] args) throws Exception {
    var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
    int n = 0;
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) {
        continue;
      }
      int rc = dev.keyops.rekey.Cli.run(line.split("\t"));
      if (rc != 0) {
        System.err.println("CliBatch: command " + (n + 1) + " exited " + rc + ": " + line);
        System.exit(rc);
      }
      n++;
    }
    System.err.println("CliBatch: " + n + " command(s) done");
  }
}
