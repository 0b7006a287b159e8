package dev.keyops.status;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;

/**
 * Sorts an exception a reconcile met into the kind a user sees as a condition's reason, with a
 * message that says what to do, and whether retrying can help. Pure; shared by every controller, so
 * one error vocabulary reaches users.
 */
public final class ErrorKinds {

  /** How often a forbidden call is tried again: someone has to change RBAC first. */
  public static final Duration FORBIDDEN_RECHECK = Duration.ofMinutes(5);

  private static final int MAX_MESSAGE = 1024;

  /**
   * @param permanent retrying the same request cannot succeed: no retry loop
   * @param recheck when permanent, try once more after this long (null: only on a change)
   */
  public record Kind(Reason reason, String message, boolean permanent, Duration recheck) {}

  private ErrorKinds() {}

  /** As {@link #classify(Throwable, String)} for a ReencryptionJob (whose spec is immutable). */
  public static Kind classify(Throwable e) {
    return classify(e, "fix the ReencryptionJob and create a new one (its spec is immutable)");
  }

  /**
   * @param fixInvalid what the user does when the API server refused a request as invalid
   */
  public static Kind classify(Throwable e, String fixInvalid) {
    KubernetesClientException k = find(e);
    if (k == null) {
      // Never the message: an unexpected exception's text is not known to be free of secrets.
      return new Kind(
          Reason.InternalError,
          "unexpected "
              + e.getClass().getSimpleName()
              + " in the operator: retrying with backoff; see the operator log, and report it if it"
              + " persists",
          false,
          null);
    }
    String what = cut(apiMessage(k));
    int code = k.getCode();
    if (code == 403) {
      return new Kind(
          Reason.Forbidden,
          "the API server forbids the operator a request ("
              + what
              + "): grant it in the operator's Role/ClusterRole (the Helm chart's rules); retried"
              + " every "
              + FORBIDDEN_RECHECK.toMinutes()
              + " minutes",
          true,
          FORBIDDEN_RECHECK);
    }
    if (code == 409 || code == 404) {
      return new Kind(
          Reason.Conflict,
          "an object changed or went away meanwhile (" + what + "): retrying with backoff",
          false,
          null);
    }
    // Only a 4xx answer is the API server refusing the request. No answer at all (code 0, or -1
    // for a client-side failure such as an interrupted call while shutting down) is not.
    if (code < 400 || code == 408 || code == 429 || code >= 500) {
      return new Kind(
          Reason.ApiServerUnavailable,
          "the API server did not answer (" + what + "): retrying with backoff",
          false,
          null);
    }
    return new Kind(
        Reason.InvalidRequest,
        "the API server refused a request as invalid (" + what + "): " + fixInvalid,
        true,
        null);
  }

  private static KubernetesClientException find(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k) {
        return k;
      }
    }
    return null;
  }

  private static String apiMessage(KubernetesClientException k) {
    if (k.getStatus() != null && k.getStatus().getMessage() != null) {
      return k.getCode() + " " + k.getStatus().getMessage();
    }
    return k.getCode() <= 0 ? "no response" : "HTTP " + k.getCode();
  }

  private static String cut(String s) {
    return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "..." : s;
  }
}
