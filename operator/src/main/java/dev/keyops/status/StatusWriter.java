package dev.keyops.status;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Objects;

/**
 * Writes the status of a reconciled resource, in one shape on every API server (the mock one of the
 * tests included): a PUT of the status subresource that carries the {@code resourceVersion} the
 * reconcile read. A write decided on a stale copy is refused with 409 Conflict, the reconcile
 * fails, and the framework retries it from the cache's newer copy: a stale decision is never
 * applied over newer state. (The framework's own non-SSA status patch is an RFC 6902 JSON Patch
 * computed against the cached copy with no resourceVersion: index-based list operations then land
 * on whatever the list holds now, or make the mock server fail without an answer.)
 *
 * <p>The answer is put into the controller's cache at once, so the next reconcile, whatever wakes
 * it, starts from what was written rather than from a copy one write behind (which would only be
 * refused).
 */
public final class StatusWriter {

  private StatusWriter() {}

  /**
   * Replaces the status of {@code observed} (the resource as this reconcile read it) with {@code
   * status}; returns the API server's answer. Throws the client's exception (409 when {@code
   * observed} is stale).
   */
  public static <S, P extends CustomResource<?, S>> P write(
      Context<P> context, P observed, S status) {
    P written = replace(context.getClient(), observed, status);
    context
        .eventSourceRetriever()
        .getControllerEventSource()
        .handleRecentResourceUpdate(ResourceID.fromResource(observed), written, observed);
    return written;
  }

  /**
   * The write itself: a PUT of the status subresource with {@code observed}'s resourceVersion as
   * its precondition. Refused with 409, it is tried once more on the API server's copy only if
   * everything the decision was made on is unchanged there (generation, hence spec; labels,
   * annotations, deletion; status): a conflict caused by a finalizer added meanwhile is not a stale
   * decision. Otherwise the 409 is thrown, and the reconcile retried from fresh state.
   */
  public static <S, P extends CustomResource<?, S>> P replace(
      KubernetesClient client, P observed, S status) {
    P copy = client.getKubernetesSerialization().clone(observed);
    copy.getMetadata().setManagedFields(null);
    copy.setStatus(status);
    try {
      return client.resource(copy).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      P current = client.resource(observed).get();
      if (current == null || !sameInputs(client, observed, current)) {
        throw e;
      }
      copy.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
      return client.resource(copy).updateStatus();
    }
  }

  private static boolean sameInputs(
      KubernetesClient client, CustomResource<?, ?> a, CustomResource<?, ?> b) {
    ObjectMeta x = a.getMetadata();
    ObjectMeta y = b.getMetadata();
    KubernetesSerialization json = client.getKubernetesSerialization();
    return Objects.equals(x.getGeneration(), y.getGeneration())
        && Objects.equals(x.getLabels(), y.getLabels())
        && Objects.equals(x.getAnnotations(), y.getAnnotations())
        && Objects.equals(x.getDeletionTimestamp(), y.getDeletionTimestamp())
        && json.asJson(a.getStatus()).equals(json.asJson(b.getStatus()));
  }
}
