package dev.keyops.rekey;

import dev.keyops.parquet.PlaintextEncryption;
import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleFile;
import dev.keyops.partition.KeyId;
import dev.keyops.partition.KeySlot;
import dev.keyops.partition.PartitionCodec;
import dev.keyops.partition.PartitionException;
import dev.keyops.partition.PartitionRebuilder;
import dev.keyops.partition.RebuildCheckpoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The partition tools: {@code rekey}, {@code encrypt}, {@code decrypt}, {@code inspect}.
 *
 * <p>Exit codes: 0 success; 1 partial failure (some partitions failed or are unrecoverable, or some
 * files could not be read); 2 could not run (bad arguments, unreadable keyring, no Primary key); 3
 * retry (Cloud KMS could not unwrap a ring key for now: nothing was reported lost).
 */
@Command(
    name = "keyops",
    mixinStandardHelpOptions = true,
    version = "keyops 0.1.0",
    description = "keyops partition tools. Run without arguments to start the operator.",
    footer = {
      "",
      "After rotating a Cloud KMS key, make keyops revalidate (and re-wrap) a gcpKms key now:",
      "  kubectl annotate ek NAME keyops.dev/revalidate-requested=\"$(date +%s)\" --overwrite"
    },
    subcommands = {
      Cli.Rekey.class,
      Cli.Encrypt.class,
      Cli.Decrypt.class,
      Cli.Inspect.class,
      ProbeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Cli {

  public static final int OK = 0;
  public static final int PARTIAL_FAILURE = 1;
  public static final int CANNOT_RUN = 2;

  /**
   * A transient failure (Cloud KMS UNAVAILABLE): the result's counts are incomplete; run the shard
   * again. A rebuild Job's pod failure policy does not match it, so the Job retries the index.
   */
  public static final int RETRY = 3;

  /** How a transient unwrap failure is retried; replaced in tests by a sleeper that never waits. */
  static dev.keyops.partition.UnwrapRetry unwrapRetry = dev.keyops.partition.UnwrapRetry.DEFAULT;

  /** How the tools unwrap gcpKms data keys; replaced in tests to point at a fake Cloud KMS. */
  static Function<String, DataKeyUnwrapper> unwrapperFactory =
      endpoint ->
          new dev.keyops.kms.gcp.KmsDataKeyUnwrapper(
              endpoint != null ? endpoint : System.getenv("KEYOPS_KMS_ENDPOINT"));

  /**
   * How the tools unwrap transit data keys (Transit decrypt, configured by the KEYOPS_TRANSIT_*
   * environment, see docs/embedding.md); created on the first transit key. Replaced in tests.
   */
  static java.util.function.Supplier<DataKeyUnwrapper> transitUnwrapperFactory =
      () -> dev.keyops.kms.transit.TransitDataKeyUnwrapper.fromEnvironment(System.getenv());

  /**
   * How the tools unwrap awsKms data keys (AWS KMS Decrypt as the default credentials chain's
   * identity: IRSA, EKS Pod Identity, AWS_* environment; see docs/embedding.md); created on the
   * first awsKms key. Replaced in tests.
   */
  static java.util.function.Supplier<DataKeyUnwrapper> awsKmsUnwrapperFactory =
      dev.keyops.kms.aws.AwsKmsDataKeyUnwrapper::withDefaultCredentials;

  /** The clock {@code --bytes-per-second} paces by; replaced in tests by one that never waits. */
  static ByteRateLimiter.Clock clock = ByteRateLimiter.Clock.SYSTEM;

  private final RebuildCheckpoints checkpoints;
  private final dev.keyops.partition.FileOpener files;

  private Cli(RebuildCheckpoints checkpoints, dev.keyops.partition.FileOpener files) {
    this.checkpoints = checkpoints;
    this.files = files;
  }

  /** Runs the worker alone: {@code java -cp ... dev.keyops.rekey.Cli rekey ...}. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String[] args) {
    return run(args, RebuildCheckpoints.NONE);
  }

  /** Runs a command whose rebuilds report their checkpoints (tests halt the process at one). */
  static int run(String[] args, RebuildCheckpoints checkpoints) {
    return run(args, checkpoints, dev.keyops.partition.FileOpener.DEFAULT);
  }

  /** Runs a command whose rebuilds open files through {@code files} (tests inject I/O errors). */
  static int run(
      String[] args, RebuildCheckpoints checkpoints, dev.keyops.partition.FileOpener files) {
    CommandLine cl = new CommandLine(new Cli(checkpoints, files));
    cl.setExecutionExceptionHandler(
        (ex, line, parsed) -> {
          line.getErr().println("keyops " + line.getCommandName() + ": " + messageOf(ex));
          return CANNOT_RUN;
        });
    return cl.execute(args);
  }

  private static String messageOf(Throwable ex) {
    return ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
  }

  /** Writes through a temporary file beside {@code out} that replaces it only when complete. */
  static void writeAtomically(Path out, TempWriter write) throws IOException {
    Path temp = out.resolveSibling(PartitionRebuilder.TEMP_PREFIX + out.getFileName());
    try {
      write.to(temp);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Writes a temporary file. */
  @FunctionalInterface
  interface TempWriter {
    void to(Path temp) throws IOException;
  }

  abstract static class KeyringOption {
    @Option(
        names = "--keyring",
        required = true,
        description = "keyring.json of the key ring (the keyring Secret, mounted as a file)")
    Path keyring;

    @Option(
        names = "--kms-endpoint",
        description = "Cloud KMS endpoint override (host:port), for tests and private endpoints")
    String kmsEndpoint;

    KeyBundle loadKeyring() {
      try {
        return new KeyBundleFile(
                keyring,
                new ProviderUnwrapper(
                    unwrapperFactory.apply(kmsEndpoint),
                    transitUnwrapperFactory,
                    awsKmsUnwrapperFactory),
                unwrapRetry)
            .current();
      } catch (UncheckedIOException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
  }

  @Command(
      name = "rekey",
      mixinStandardHelpOptions = true,
      description = {
        "Rebuild every partition of DIR that is not on the Primary key (or not encrypted).",
        "Exit 0: done; 1: some partitions failed or are unrecoverable (see the result);",
        "2: could not run; 3: Cloud KMS unavailable for now, run again."
      })
  static final class Rekey extends KeyringOption implements Callable<Integer> {
    @CommandLine.ParentCommand Cli cli;

    @Option(
        names = "--data",
        required = true,
        paramLabel = "[NAME=]DIR",
        description =
            "a data root to scan, repeatable: NAME=DIR names it (a location of the key ring); a"
                + " plain DIR is named by --location. Shards split the union of all roots' files")
    List<String> data;

    @Option(
        names = "--location",
        paramLabel = "NAME",
        description =
            "the location name of a plain --data DIR (default: " + Location.DEFAULT_NAME + ")")
    String location;

    @Option(
        names = "--include",
        paramLabel = "GLOB",
        description =
            "only files whose path relative to their data root matches GLOB (java.nio glob:"
                + " *.bin is top-level only, **/*.bin below it), repeatable; default every file,"
                + " or the comma-separated KEYOPS_INCLUDE")
    List<String> include;

    @Option(
        names = "--exclude",
        paramLabel = "GLOB",
        description =
            "leave out files whose relative path matches GLOB, repeatable (or the"
                + " comma-separated KEYOPS_EXCLUDE). Parquet files are never wrapped, whatever"
                + " the globs say")
    List<String> exclude;

    @Option(
        names = "--mode",
        defaultValue = "reencrypt",
        description =
            "reencrypt (new data key and ciphertext) or rewrap (re-wrap the data key only)")
    String mode;

    @Option(names = "--shard", description = "process shard I of N (I/N); default 0/1")
    String shard;

    @Option(
        names = "--shards",
        description =
            "number of shards N, with I taken from JOB_COMPLETION_INDEX (an Indexed Job's pod)")
    Integer shards;

    @Option(names = "--dry-run", description = "report the inventory; change nothing")
    boolean dryRun;

    @Option(
        names = "--expect-primary",
        paramLabel = "KEYID",
        description =
            "refuse to run unless the keyring's Primary is this key id (a rebuild Job passes its"
                + " target, so a keyring that lags or moved on is never rebuilt onto)")
    String expectPrimary;

    @Option(
        names = "--result",
        description = "write the JSON result here (in a pod: /dev/termination-log)")
    Path result;

    @Option(
        names = "--parquet-encrypt-plaintext",
        description =
            "encrypt plaintext Parquet files onto the Primary with Parquet Modular Encryption"
                + " (default: report them and leave them as they are)")
    boolean parquetEncryptPlaintext;

    @Option(
        names = "--parquet-columns",
        split = ",",
        paramLabel = "COLUMN",
        description =
            "with --parquet-encrypt-plaintext: the columns (dotted paths) that get column keys of"
                + " their own; the others stay plaintext. Default: every column and the footer"
                + " under one key")
    List<String> parquetColumns;

    @Option(
        names = "--parquet-plaintext-footer",
        description = "with --parquet-encrypt-plaintext: leave the footer readable (signed)")
    boolean parquetPlaintextFooter;

    @Option(
        names = "--parquet-single-wrapping",
        description =
            "with --parquet-encrypt-plaintext: wrap data keys with the ring key directly (default:"
                + " double wrapping, the key tools' default)")
    boolean parquetSingleWrapping;

    @Option(
        names = "--parquet-key-material",
        paramLabel = "internal|external",
        description =
            "with --parquet-encrypt-plaintext: key material inside the file (default) or in a"
                + " _KEY_MATERIAL_FOR_<file>.json sidecar")
    String parquetKeyMaterial;

    @Option(
        names = "--bytes-per-second",
        paramLabel = "RATE",
        converter = RateConverter.class,
        description =
            "at most RATE partition bytes per second streamed through re-encryption, for all of"
                + " this process (each byte is read once and written once; a rewrap only rewrites"
                + " key slots and is barely slowed). Bytes, or with a suffix K, M, G (x1000) or"
                + " Ki, Mi, Gi (x1024): 50Mi. Default: no limit")
    Long bytesPerSecond;

    @Override
    public Integer call() throws IOException {
      PartitionRebuilder.Mode m =
          switch (mode.toLowerCase(java.util.Locale.ROOT)) {
            case "reencrypt" -> PartitionRebuilder.Mode.REENCRYPT;
            case "rewrap" -> PartitionRebuilder.Mode.REWRAP;
            default ->
                throw new IllegalArgumentException(
                    "--mode must be reencrypt or rewrap, got '" + mode + "'");
          };
      Shard s;
      if (shards != null) {
        String index = System.getenv("JOB_COMPLETION_INDEX");
        if (index == null) {
          return fail("--shards needs JOB_COMPLETION_INDEX in the environment (use --shard I/N)");
        }
        s = Shard.parse(index + "/" + shards);
        shard = s.toString();
      } else {
        s = Shard.parse(shard == null ? "0/1" : shard);
      }
      List<Location> locations;
      Selection selection;
      PlaintextEncryption parquetLayout;
      try {
        locations = locations();
        selection =
            new Selection(globs(include, "KEYOPS_INCLUDE"), globs(exclude, "KEYOPS_EXCLUDE"));
        parquetLayout = plaintextParquetLayout();
      } catch (IllegalArgumentException e) {
        return fail(e.getMessage());
      }
      for (Location l : locations) {
        if (!Files.isDirectory(l.root())) {
          return fail("--data " + l.root() + " (location " + l.name() + ") is not a directory");
        }
        if (!dryRun) {
          String unwritable = RekeyRun.unwritable(l.root());
          if (unwritable != null) {
            return fail(WorkerResult.VOLUME_NOT_WRITABLE, unwritable);
          }
        }
      }
      KeyBundle ring;
      try {
        ring = loadKeyring();
      } catch (IllegalArgumentException e) {
        return fail(e.getMessage());
      }
      if (ring.primary().isEmpty()) {
        return fail("the keyring has no Primary key: activate an EncryptionKey of this key ring");
      }
      if (expectPrimary != null && !expectPrimary.equals(ring.primary().get().hex())) {
        return fail(
            "the keyring's Primary is "
                + ring.primary().get().hex()
                + ", not the target "
                + expectPrimary
                + ": the key ring changed since the rebuild started; create a new ReencryptionJob");
      }
      ByteRateLimiter limiter =
          bytesPerSecond == null ? null : new ByteRateLimiter(bytesPerSecond, clock);
      WorkerResult r =
          new RekeyRun(
                  ring,
                  locations,
                  selection,
                  m,
                  s,
                  dryRun,
                  cli.checkpoints,
                  limiter,
                  cli.files,
                  java.time.Clock.systemUTC())
              .encryptPlaintextParquet(parquetLayout)
              .run();
      String json = r.toJson();
      writeResult(json);
      System.out.println(json);
      if (WorkerResult.KEY_TEMPORARILY_UNAVAILABLE.equals(r.errorReason)) {
        return RETRY;
      }
      return r.failed + r.unrecoverable + r.unreadable > 0 ? PARTIAL_FAILURE : OK;
    }

    /** The layout of --parquet-encrypt-plaintext, or null when plaintext Parquet stays as is. */
    PlaintextEncryption plaintextParquetLayout() {
      boolean layoutGiven =
          parquetColumns != null
              || parquetPlaintextFooter
              || parquetSingleWrapping
              || parquetKeyMaterial != null;
      if (!parquetEncryptPlaintext) {
        if (layoutGiven) {
          throw new IllegalArgumentException(
              "--parquet-columns, --parquet-plaintext-footer, --parquet-single-wrapping and"
                  + " --parquet-key-material describe how plaintext Parquet files are encrypted:"
                  + " add --parquet-encrypt-plaintext");
        }
        return null;
      }
      String material =
          parquetKeyMaterial == null
              ? "internal"
              : parquetKeyMaterial.toLowerCase(java.util.Locale.ROOT);
      if (!material.equals("internal") && !material.equals("external")) {
        throw new IllegalArgumentException(
            "--parquet-key-material must be internal or external, got '"
                + parquetKeyMaterial
                + "'");
      }
      return new PlaintextEncryption(
          parquetColumns == null ? List.of() : parquetColumns,
          parquetPlaintextFooter,
          !parquetSingleWrapping,
          material.equals("external"));
    }

    /** The --data roots with their names; names are unique. */
    private List<Location> locations() {
      List<Location> out = new java.util.ArrayList<>();
      java.util.Set<String> names = new java.util.HashSet<>();
      int plain = 0;
      for (String d : data) {
        Location l = Location.parse(d, location == null ? Location.DEFAULT_NAME : location);
        plain += d.equals(l.root().toString()) ? 1 : 0;
        if (!names.add(l.name())) {
          throw new IllegalArgumentException(
              "two --data roots are named "
                  + l.name()
                  + ": use --data NAME=DIR with distinct names");
        }
        out.add(l);
      }
      if (plain > 1) {
        throw new IllegalArgumentException("several --data roots need names: --data NAME=DIR");
      }
      return out;
    }

    /** The globs given as options, else those of the comma-separated environment variable. */
    private static List<String> globs(List<String> option, String env) {
      if (option != null && !option.isEmpty()) {
        return option;
      }
      String value = System.getenv(env);
      if (value == null || value.isBlank()) {
        return List.of();
      }
      return java.util.Arrays.stream(value.split(","))
          .map(String::trim)
          .filter(g -> !g.isEmpty())
          .toList();
    }

    private int fail(String message) throws IOException {
      return fail(null, message);
    }

    /**
     * @param reason a machine-readable name for the operator (e.g. {@link
     *     WorkerResult#VOLUME_NOT_WRITABLE}), or null
     */
    private int fail(String reason, String message) throws IOException {
      WorkerResult r = new WorkerResult();
      r.shard = shard;
      r.mode = mode;
      r.dryRun = dryRun;
      r.error = message;
      r.errorReason = reason;
      writeResult(r.toJson());
      System.err.println("keyops rekey: " + message);
      return CANNOT_RUN;
    }

    private void writeResult(String json) throws IOException {
      if (result != null) {
        Files.writeString(result, json);
      }
    }
  }

  /** Parses {@code --bytes-per-second}; picocli reports a bad value and exits 2. */
  /**
   * The {@code rekey} options that ask for {@code layout} (what {@link
   * Rekey#plaintextParquetLayout} reads back); none for null, which leaves plaintext Parquet as it
   * is.
   */
  public static List<String> parquetArgs(PlaintextEncryption layout) {
    if (layout == null) {
      return List.of();
    }
    List<String> args = new ArrayList<>(List.of("--parquet-encrypt-plaintext"));
    if (!layout.uniform()) {
      args.add("--parquet-columns");
      args.add(String.join(",", layout.columns()));
    }
    if (layout.plaintextFooter()) {
      args.add("--parquet-plaintext-footer");
    }
    if (!layout.doubleWrapping()) {
      args.add("--parquet-single-wrapping");
    }
    if (layout.externalKeyMaterial()) {
      args.add("--parquet-key-material");
      args.add("external");
    }
    return args;
  }

  static final class RateConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return ByteRate.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Command(
      name = "encrypt",
      mixinStandardHelpOptions = true,
      description = "Encrypt a plain file into a partition with the Primary key.")
  static final class Encrypt extends KeyringOption implements Callable<Integer> {
    @Option(names = "--in", required = true, description = "plain input file")
    Path in;

    @Option(names = "--out", required = true, description = "partition to write")
    Path out;

    @Override
    public Integer call() throws IOException {
      KeyBundle ring = loadKeyring();
      writeAtomically(
          out,
          temp -> {
            try (InputStream plain = Files.newInputStream(in);
                FileChannel ch =
                    FileChannel.open(
                        temp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
              new PartitionCodec().encrypt(plain, ch, ring);
            }
          });
      return OK;
    }
  }

  @Command(
      name = "decrypt",
      mixinStandardHelpOptions = true,
      description = {
        "Decrypt a partition with any key of the ring.",
        "The output appears only when the whole partition authenticated."
      })
  static final class Decrypt extends KeyringOption implements Callable<Integer> {
    @Option(names = "--in", required = true, description = "partition")
    Path in;

    @Option(names = "--out", required = true, description = "plain file to write")
    Path out;

    @Override
    public Integer call() throws IOException {
      KeyBundle ring = loadKeyring();
      writeAtomically(
          out,
          temp -> {
            try (InputStream plain = new PartitionCodec().decrypt(in, ring);
                OutputStream o = Files.newOutputStream(temp)) {
              plain.transferTo(o);
            } catch (PartitionException e) {
              throw new IllegalArgumentException(e.getMessage(), e);
            } catch (IOException e) {
              throw new IOException(
                  in
                      + " fails authentication (tampered or truncated); nothing was written to "
                      + out,
                  e);
            }
          });
      return OK;
    }
  }

  @Command(
      name = "inspect",
      mixinStandardHelpOptions = true,
      description =
          "Show whether partitions are encrypted, their format and key, without decrypting.")
  static final class Inspect implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "partitions to inspect")
    List<Path> files;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      for (Path f : files) {
        PartitionCodec.Info info = PartitionCodec.inspect(f);
        if (!info.encrypted()) {
          out.printf("%s\tunencrypted\t%d bytes%n", f, Files.size(f));
          continue;
        }
        KeyId key = info.keyId();
        out.printf(
            "%s\tformat %d\tpartition %s\tkey %s\tslots [%s, %s]%n",
            f,
            info.formatVersion(),
            info.partitionId(),
            key,
            describe(info.slot0()),
            describe(info.slot1()));
      }
      out.flush();
      return OK;
    }

    private static String describe(KeySlot s) {
      return s == null ? "empty" : s.keyId() + " gen " + Long.toUnsignedString(s.generation());
    }
  }
}
