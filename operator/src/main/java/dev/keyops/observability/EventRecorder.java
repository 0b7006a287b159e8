package dev.keyops.observability;

import dev.keyops.names.Names;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on keyops resources, so transitions show in `kubectl describe`. Events are
 * aggregated as client-go's recorder does: the same reason of the same type on the same object
 * updates one Event (count, lastTimestamp, latest message) instead of creating another. Its name is
 * derived from the object's name and a hash of (uid, type, reason), valid for every object name, so
 * an operator restart finds the Event again. Failing to record never fails a reconcile.
 */
public class EventRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  private static final String COMPONENT = "keyops";
  private static final int REMEMBERED = 10_000;

  private final KubernetesClient client;
  private final Clock clock;

  /** Counts of the Events recorded by this process, by Event name (least recently used evicted). */
  private final Map<String, Integer> counts =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > REMEMBERED;
        }
      };

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  public void normal(HasMetadata about, Reason reason, String message) {
    record(about, "Normal", reason, message);
  }

  public void warning(HasMetadata about, Reason reason, String message) {
    record(about, "Warning", reason, message);
  }

  /** The name of the Event that aggregates this reason and type on this object. */
  public static String eventName(HasMetadata about, String type, Reason reason) {
    String key = about.getMetadata().getUid() + "/" + type + "/" + reason.name();
    return Names.subdomain(about.getMetadata().getName(), 9) + "." + Names.hash(key);
  }

  private void record(HasMetadata about, String type, Reason reason, String message) {
    LOG.info(
        "event {} {} on {} {}/{}: {}",
        type,
        reason,
        about.getKind(),
        about.getMetadata().getNamespace(),
        about.getMetadata().getName(),
        message);
    String ns = about.getMetadata().getNamespace();
    String name = eventName(about, type, reason);
    var o = new Occurrence(about, type, reason, message, ns, name, clock.instant().toString());
    try {
      Integer seen;
      synchronized (counts) {
        seen = counts.get(name);
      }
      if (seen != null && bump(o, seen + 1)) {
        return;
      }
      try {
        create(o);
        remember(name, 1);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        // Recorded before this process started: continue its count.
        Event existing = client.v1().events().inNamespace(ns).withName(name).get();
        int count = existing == null || existing.getCount() == null ? 1 : existing.getCount();
        bump(o, count + 1);
      }
    } catch (KubernetesClientException e) {
      LOG.warn(
          "could not record event {} on {}: {}",
          reason,
          about.getMetadata().getName(),
          e.getMessage());
    }
  }

  /**
   * One occurrence of an event: about what, its type, reason and message, the Event's namespace and
   * name, and when (RFC 3339).
   */
  private record Occurrence(
      HasMetadata about,
      String type,
      Reason reason,
      String message,
      String ns,
      String name,
      String now) {}

  /** Raises the count of an existing Event; false when it is gone (expired by the API server). */
  private boolean bump(Occurrence o, int count) {
    String ns = o.ns();
    String name = o.name();
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("count", count);
    patch.put("lastTimestamp", o.now());
    patch.put("message", o.message());
    try {
      client
          .v1()
          .events()
          .inNamespace(ns)
          // Naming the object (not withName) spares the GET fabric8 makes before a PATCH.
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(ns)
                  .endMetadata()
                  .build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(patch));
      remember(name, count);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        forget(name);
        return false;
      }
      throw e;
    }
  }

  private void create(Occurrence o) {
    HasMetadata about = o.about();
    String ns = o.ns();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(o.name())
            .withNamespace(ns)
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(about.getApiVersion())
                    .withKind(about.getKind())
                    .withName(about.getMetadata().getName())
                    .withNamespace(ns)
                    .withUid(about.getMetadata().getUid())
                    .build())
            .withType(o.type())
            .withReason(o.reason().name())
            .withMessage(o.message())
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withFirstTimestamp(o.now())
            .withLastTimestamp(o.now())
            .withCount(1)
            .build();
    client.v1().events().inNamespace(ns).resource(event).create();
  }

  private void remember(String name, int count) {
    synchronized (counts) {
      counts.put(name, count);
    }
  }

  private void forget(String name) {
    synchronized (counts) {
      counts.remove(name);
    }
  }
}
