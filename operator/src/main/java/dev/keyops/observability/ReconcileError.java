package dev.keyops.observability;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;

/**
 * What an exception that escaped a reconcile means to a user: a reason (the kind of error), a
 * message that says what to do, and whether retrying can help.
 *
 * @param conflict a 409: ordinary optimistic concurrency, retried without a word
 * @param permanent the API server refused the request for good (4xx): retrying cannot help
 */
public record ReconcileError(Reason reason, String message, boolean permanent, boolean conflict) {

  private static final int MAX_MESSAGE = 512;

  public static ReconcileError of(Exception e) {
    KubernetesClientException k = find(e, KubernetesClientException.class);
    if (k != null && k.getCode() == 409) {
      return new ReconcileError(Reason.ApiUnavailable, "conflict", false, true);
    }
    if (k != null && k.getCode() == 403) {
      return new ReconcileError(
          Reason.ApiForbidden,
          "the operator was refused a request ("
              + detail(k)
              + "); grant its ServiceAccount the permission (see the chart's RBAC)",
          true,
          false);
    }
    if (k != null && k.getCode() >= 400 && k.getCode() < 500 && k.getCode() != 429) {
      return new ReconcileError(
          Reason.ApiRequestRejected,
          "the API server rejected a request keyops made for this object ("
              + detail(k)
              + "); fix the object as the message says, then edit it to retry",
          true,
          false);
    }
    if (k != null || find(e, IOException.class) != null) {
      return new ReconcileError(
          Reason.ApiUnavailable,
          "the API server could not be reached or failed ("
              + (k == null ? e.getClass().getSimpleName() : detail(k))
              + "); retrying with backoff",
          false,
          false);
    }
    return new ReconcileError(
        Reason.InternalError,
        "unexpected "
            + e.getClass().getSimpleName()
            + " in keyops; retrying with backoff. If it persists, report it with the operator log",
        false,
        false);
  }

  private static String detail(KubernetesClientException k) {
    String m =
        k.getStatus() != null && k.getStatus().getMessage() != null
            ? k.getStatus().getMessage()
            : "HTTP " + k.getCode();
    return m.length() <= MAX_MESSAGE ? m : m.substring(0, MAX_MESSAGE) + "...";
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
