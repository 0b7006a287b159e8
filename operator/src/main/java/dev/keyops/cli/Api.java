package dev.keyops.cli;

import dev.keyops.cli.ClusterOptions.Session;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Calls the API server and turns its refusals into messages a user can act on: not connected,
 * unauthorized, forbidden (naming the verb and resource), keyops not installed.
 */
final class Api {

  private Api() {}

  /**
   * @param verb the Kubernetes verb, as RBAC names it (get, list, create, patch, watch)
   * @param resource the resource, as RBAC names it (encryptionkeys, secrets, ...)
   */
  static <T> T call(Session s, String verb, String resource, Supplier<T> call) {
    try {
      return call.get();
    } catch (KubernetesClientException e) {
      throw explain(e, s, verb, resource);
    }
  }

  /** True when the API server refused with this HTTP status. */
  static boolean is(KubernetesClientException e, int code) {
    return e.getCode() == code;
  }

  static CliException explain(
      KubernetesClientException e, Session s, String verb, String resource) {
    String server = serverMessage(e);
    if (e.getCode() <= 0) {
      // No HTTP answer at all: the server was not reached (refused, unknown host, TLS, timeout).
      return new CliException(
          "cannot reach the Kubernetes API server ("
              + s.where()
              + "): "
              + why(e)
              + ". Check the context (kubectl config current-context) and that the cluster is"
              + " running");
    }
    return switch (e.getCode()) {
      case 401 ->
          new CliException(
              "unauthorized: the API server ("
                  + s.where()
                  + ") refused the kubeconfig's credentials; renew them (kubectl auth whoami"
                  + " shows who you are)");
      case 403 ->
          new CliException(
              "forbidden: you may not "
                  + verb
                  + " "
                  + resource
                  + " in namespace "
                  + s.namespace()
                  + " ("
                  + s.where()
                  + "): "
                  + server
                  + hint(verb, resource));
      case 404 ->
          isKeyops(resource)
              ? new CliException(
                  "the API server has no "
                      + resource
                      + " (keyops.dev/v1alpha1): keyops is not installed in this cluster ("
                      + s.where()
                      + "). Install it (helm install keyops helm/keyops -n keyops"
                      + " --create-namespace) or pick another --context")
              : new CliException(verb + " " + resource + ": not found (" + s.where() + ")");
      default ->
          new CliException(
              verb
                  + " "
                  + resource
                  + " failed ("
                  + s.where()
                  + "): HTTP "
                  + e.getCode()
                  + ": "
                  + server);
    };
  }

  private static boolean isKeyops(String resource) {
    return resource.startsWith("encryptionkeys")
        || resource.startsWith("keyrings")
        || resource.startsWith("reencryptionjobs");
  }

  private static String hint(String verb, String resource) {
    if (!isKeyops(resource)) {
      return "";
    }
    boolean read = verb.equals("get") || verb.equals("list") || verb.equals("watch");
    return read
        ? ". Reading keyops objects needs the keyops-view ClusterRole (aggregated into the"
            + " built-in view role) in this namespace"
        : ". Changing keyops objects needs the keyops-edit ClusterRole (aggregated into the"
            + " built-in edit role) in this namespace";
  }

  private static String serverMessage(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) {
      return e.getStatus().getMessage();
    }
    return KubectlKeyops.messageOf(e);
  }

  /** Why a connection failed, from the causes that say (the JDK's often carry no message). */
  private static String why(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable c = e.getCause(); c != null && !chain.contains(c); c = c.getCause()) {
      chain.add(c);
    }
    if (has(chain, java.net.UnknownHostException.class)
        || has(chain, java.nio.channels.UnresolvedAddressException.class)) {
      return "the host name of the server does not resolve";
    }
    if (has(chain, javax.net.ssl.SSLException.class)) {
      return "TLS failed ("
          + KubectlKeyops.messageOf(find(chain, javax.net.ssl.SSLException.class))
          + ")";
    }
    if (has(chain, java.net.http.HttpTimeoutException.class)
        || has(chain, java.net.SocketTimeoutException.class)) {
      return "no answer in time";
    }
    if (has(chain, java.net.ConnectException.class)) {
      return "connection refused (nothing listens there, or no route)";
    }
    return chain.stream()
        .map(Throwable::getMessage)
        .filter(m -> m != null)
        .reduce((a, b) -> b)
        .orElse(KubectlKeyops.messageOf(e));
  }

  private static boolean has(List<Throwable> chain, Class<? extends Throwable> type) {
    return find(chain, type) != null;
  }

  private static Throwable find(List<Throwable> chain, Class<? extends Throwable> type) {
    return chain.stream().filter(type::isInstance).findFirst().orElse(null);
  }
}
