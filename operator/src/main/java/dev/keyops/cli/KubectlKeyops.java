package dev.keyops.cli;

import dev.keyops.OperatorConfig;
import dev.keyops.rekey.Cli;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code kubectl keyops}: the kubectl plugin (launched by {@code bin/kubectl-keyops}) and the
 * command side of {@code java -jar keyops.jar}. Cluster commands read and act on key rings with the
 * user's kubeconfig; the partition file commands pass through to {@link Cli}.
 *
 * <p>Exit codes: 0 done (can-drop: the key may be dropped); 1 a "no" (can-drop: it may not; a
 * failed inventory; a rotation already under way); 2 an error (bad arguments, not connected,
 * forbidden, not found, timeout).
 */
@Command(
    name = "kubectl keyops",
    mixinStandardHelpOptions = true,
    version = "keyops 0.1.0",
    description = {
      "Look at and act on keyops key rings in a cluster (with your kubeconfig and its current"
          + " context, like kubectl), and work on partition files.",
      ""
    },
    subcommands = {
      StatusCommand.class,
      RotateCommand.class,
      InventoryCommand.class,
      CanDropCommand.class,
      KeyBundleCommand.class,
      InstallPluginCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Cluster commands take --kubeconfig, --context, -n/--namespace, --as; status also -A.",
      "Exit codes: 0 done (can-drop: may be dropped); 1 no (can-drop: may not be dropped; a"
          + " failed inventory; a rotation already under way); 2 an error.",
      "",
      "Examples:",
      "  kubectl keyops status -A",
      "  kubectl keyops status events -n payments",
      "  kubectl keyops inventory events --claim events-data",
      "  kubectl keyops can-drop events-2026-10 && kubectl delete ek events-2026-10",
      "  kubectl keyops rotate orders --wait",
      "",
      "After rotating a Cloud KMS key, make keyops revalidate (and re-wrap) a gcpKms key now:",
      "  kubectl annotate ek NAME --overwrite \\",
      "    keyops.dev/revalidate-requested=\"$(date +%%s)\""
    })
public final class KubectlKeyops implements Callable<Integer> {

  public static final int OK = 0;
  public static final int NO = 1;
  public static final int ERROR = 2;

  /** The partition tools, run by {@link Cli} (the worker's own command line). */
  static final Map<String, String> FILE_COMMANDS = new LinkedHashMap<>();

  static {
    FILE_COMMANDS.put("inspect", "Show partitions' format, key id and slots (no key needed).");
    FILE_COMMANDS.put("encrypt", "Encrypt a file into a partition with a keyring's Primary.");
    FILE_COMMANDS.put("decrypt", "Decrypt a partition with any key of a keyring.");
    FILE_COMMANDS.put("rekey", "Rebuild a directory's partitions (what rebuild Jobs run).");
  }

  final Clock clock;

  @Spec CommandSpec spec;

  KubectlKeyops(Clock clock) {
    this.clock = clock;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(out());
    return OK;
  }

  /** The plugin: {@code kubectl-keyops ARGS} (bin/kubectl-keyops runs this class). */
  public static void main(String[] args) {
    System.exit(main("kubectl keyops", args));
  }

  /**
   * Runs a command as a process does: file commands through {@link Cli}, cluster commands with
   * logging kept off stdout (which is for the command's output).
   */
  public static int main(String name, String[] args) {
    if (passesThrough(args)) {
      return Cli.run(fileArgs(args));
    }
    CliLogging.toStderr();
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    return run(name, args, out, err, Clock.systemUTC());
  }

  /**
   * Runs a cluster command in this process (tests capture {@code out} and {@code err}).
   *
   * @param name how the command is called, for usage and errors ("kubectl keyops", "keyops")
   */
  public static int run(String name, String[] args, PrintWriter out, PrintWriter err, Clock clock) {
    if (passesThrough(args)) {
      return Cli.run(fileArgs(args));
    }
    CommandLine cl = new CommandLine(new KubectlKeyops(clock));
    cl.setCommandName(name);
    FILE_COMMANDS.forEach(
        (cmd, description) -> {
          CommandSpec doc = CommandSpec.create().name(cmd);
          doc.usageMessage().description(description + " (" + cmd + " --help)");
          cl.addSubcommand(cmd, new CommandLine(doc));
        });
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (ex, line, parsed) -> {
          if (ex instanceof CliException c) {
            line.getErr().println("error: " + c.getMessage());
            line.getErr().flush();
            return c.exitCode();
          }
          if (ex instanceof KubernetesClientException k) {
            line.getErr().println("error: the API server refused a request: " + messageOf(k));
          } else {
            line.getErr().println("error: " + messageOf(ex));
          }
          line.getErr().flush();
          return ERROR;
        });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** {@code inspect ...}, {@code help inspect}, and the worker's hidden {@code probe}. */
  private static boolean passesThrough(String[] args) {
    if (args.length == 0) {
      return false;
    }
    if (args[0].equals("help") && args.length > 1) {
      return FILE_COMMANDS.containsKey(args[1]);
    }
    return FILE_COMMANDS.containsKey(args[0]) || args[0].equals("probe");
  }

  private static String[] fileArgs(String[] args) {
    return args[0].equals("help") ? new String[] {args[1], "--help"} : args;
  }

  static String messageOf(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** Durations as Kubernetes writes them: 30s, 10m, 1h30m. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = OperatorConfig.parseDuration("the duration", value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
      if (d.isZero() || d.isNegative()) {
        throw new CommandLine.TypeConversionException(
            "the duration must be positive, got '" + value + "'");
      }
      return d;
    }
  }
}
