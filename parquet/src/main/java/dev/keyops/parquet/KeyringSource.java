package dev.keyops.parquet;

import dev.keyops.partition.DataKeyUnwrapper;
import dev.keyops.partition.KeyBundle;
import dev.keyops.partition.KeyBundleDocument;
import dev.keyops.partition.KeyBundleFile;
import dev.keyops.partition.PartitionException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The mounted keyring files the {@link KeyopsKmsClient}s of this process read, one {@link
 * KeyBundleFile} per path (so a KMS unwrap of a ring key happens once per process, however many
 * clients Parquet creates). A process that already holds a {@code KeyBundleFile} (the rekey worker)
 * registers it; otherwise one is opened with an unwrapper that routes each entry to the keyops
 * key-manager module on the classpath (keyops-kms-gcp, keyops-kms-transit, keyops-kms-aws).
 */
public final class KeyringSource {

  private static final Map<Path, Supplier<KeyBundle>> FILES = new ConcurrentHashMap<>();

  private KeyringSource() {}

  /** Makes {@code file} the keyring that clients configured with {@code path} read. */
  public static void register(Path path, KeyBundleFile file) {
    FILES.put(path.toAbsolutePath().normalize(), file::current);
  }

  /**
   * Makes {@code keyring} what clients configured with {@code path} read (the rekey worker, which
   * holds one parsed keyring for its whole run; {@code path} need not exist).
   */
  public static void register(Path path, KeyBundle keyring) {
    FILES.put(path.toAbsolutePath().normalize(), () -> keyring);
  }

  /** The keyring at {@code path} as it is now; the file is opened on first use. */
  public static Supplier<KeyBundle> open(Path path) {
    return FILES.computeIfAbsent(
        path.toAbsolutePath().normalize(),
        p -> new KeyBundleFile(p, new ClasspathUnwrapper())::current);
  }

  /**
   * Routes a wrapped ring key to the key-manager module on the classpath, created on first use;
   * names the missing artifact when it is not there.
   */
  static final class ClasspathUnwrapper implements DataKeyUnwrapper {
    private final Map<String, DataKeyUnwrapper> byProvider = new ConcurrentHashMap<>();

    @Override
    public byte[] unwrap(String kmsKeyName, byte[] wrappedKey, byte[] associatedData) {
      return forProvider("gcpKms").unwrap(kmsKeyName, wrappedKey, associatedData);
    }

    @Override
    public byte[] unwrap(KeyBundleDocument.Entry entry, byte[] wrappedKey, byte[] associatedData) {
      String provider = entry.provider() == null ? "gcpKms" : entry.provider();
      return forProvider(provider).unwrap(entry, wrappedKey, associatedData);
    }

    private DataKeyUnwrapper forProvider(String provider) {
      return byProvider.computeIfAbsent(provider, ClasspathUnwrapper::create);
    }

    private static DataKeyUnwrapper create(String provider) {
      try {
        switch (provider) {
          case "transit":
            return (DataKeyUnwrapper)
                Class.forName("dev.keyops.kms.transit.TransitDataKeyUnwrapper")
                    .getMethod("fromEnvironment", Map.class)
                    .invoke(null, System.getenv());
          case "awsKms":
            return (DataKeyUnwrapper)
                Class.forName("dev.keyops.kms.aws.AwsKmsDataKeyUnwrapper")
                    .getMethod("withDefaultCredentials")
                    .invoke(null);
          default:
            return (DataKeyUnwrapper)
                Class.forName("dev.keyops.kms.gcp.KmsDataKeyUnwrapper")
                    .getConstructor(String.class)
                    .newInstance((Object) null);
        }
      } catch (ClassNotFoundException e) {
        String artifact =
            switch (provider) {
              case "transit" -> "keyops-kms-transit";
              case "awsKms" -> "keyops-kms-aws";
              default -> "keyops-kms-gcp";
            };
        throw new PartitionException(
            PartitionException.Kind.KEY_UNAVAILABLE,
            "the keyring has a "
                + provider
                + " key but "
                + artifact
                + " is not on the classpath: add dev.keyops:"
                + artifact
                + " next to keyops-parquet");
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException("cannot create the " + provider + " unwrapper", e);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot create the " + provider + " unwrapper", e);
      }
    }
  }
}
