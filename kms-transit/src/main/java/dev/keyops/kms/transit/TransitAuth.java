package dev.keyops.kms.transit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** How a client obtains its Transit token. Never printed with the token. */
public sealed interface TransitAuth {

  /** Where a pod's projected ServiceAccount token is mounted. */
  Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  /** The default mount of the Kubernetes auth method. */
  String DEFAULT_KUBERNETES_MOUNT = "kubernetes";

  /** A token given as is (from a Secret). */
  record Token(String token) implements TransitAuth {
    public Token {
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("the Transit token is empty");
      }
      token = token.strip();
    }

    @Override
    public String toString() {
      return "Token[...]";
    }
  }

  /** A token read from a file each time one is needed (a file an agent or a mount renews). */
  record TokenFile(Path file) implements TransitAuth {
    String read() {
      try {
        String t = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (t.isEmpty()) {
          throw new TransitException(
              TransitException.Kind.UNAUTHENTICATED,
              0,
              "the token file " + file + " is empty",
              null);
        }
        return t;
      } catch (IOException e) {
        throw new TransitException(
            TransitException.Kind.UNAUTHENTICATED,
            0,
            "cannot read the token file " + file + ": " + e.getClass().getSimpleName(),
            null);
      }
    }
  }

  /**
   * Kubernetes auth: log in at {@code auth/<mountPath>/login} with the ServiceAccount token in
   * {@code jwtFile}, as role {@code role}.
   */
  record Kubernetes(String role, String mountPath, Path jwtFile) implements TransitAuth {
    public Kubernetes {
      if (role == null || role.isBlank()) {
        throw new IllegalArgumentException("Kubernetes auth needs a role");
      }
      mountPath = mountPath == null || mountPath.isBlank() ? DEFAULT_KUBERNETES_MOUNT : mountPath;
      while (mountPath.startsWith("/")) {
        mountPath = mountPath.substring(1);
      }
      jwtFile = jwtFile == null ? SERVICE_ACCOUNT_TOKEN : jwtFile;
    }

    String jwt() {
      try {
        return Files.readString(jwtFile, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new TransitException(
            TransitException.Kind.UNAUTHENTICATED,
            0,
            "cannot read the ServiceAccount token "
                + jwtFile
                + " for Kubernetes auth: "
                + e.getClass().getSimpleName(),
            null);
      }
    }
  }
}
