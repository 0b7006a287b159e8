package dev.keyops.ring;

import dev.keyops.OperatorConfig;
import dev.keyops.api.v1alpha1.EncryptionKey;
import dev.keyops.api.v1alpha1.EncryptionKeySpec;
import dev.keyops.api.v1alpha1.KeyRing;
import dev.keyops.api.v1alpha1.KeyTemplate;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.ReencryptionPolicy;
import dev.keyops.api.v1alpha1.Storage;
import dev.keyops.api.v1alpha1.StorageClaim;
import dev.keyops.key.DropGuard;
import dev.keyops.key.Inventories;
import dev.keyops.names.Names;
import dev.keyops.observability.EventRecorder;
import dev.keyops.reencryption.Locations;
import dev.keyops.status.Reason;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The writes a KeyRing makes: each one object, each idempotent. */
final class RingActions {

  private static final Logger LOG = LoggerFactory.getLogger(RingActions.class);
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final KubernetesClient client;
  private final EventRecorder events;

  private final Inventories inventories;

  private final KeyRingCache rings;

  RingActions(
      KubernetesClient client, EventRecorder events, Inventories inventories, KeyRingCache rings) {
    this.rings = rings;
    this.inventories = inventories;
    this.client = client;
    this.events = events;
  }

  /**
   * The KeyRing's declared storage as a ReencryptionJob's: its claims and the claims its selector
   * matches now, as a list (what the job scans is fixed when it is created, like its pods). A
   * selector that matches nothing is passed as it is: the job then fails saying so.
   */
  private Storage declaredStorage(KeyRing ring) {
    List<Locations.Entry> entries =
        rings.declared(ring.getMetadata().getNamespace(), ring.getSpec().getStorage());
    Storage s = new Storage();
    if (entries.isEmpty()) {
      s.setSelector(ring.getSpec().getStorage().getSelector());
      return s;
    }
    List<StorageClaim> claims = new ArrayList<>();
    for (Locations.Entry e : entries) {
      StorageClaim c = new StorageClaim(e.claimName(), e.subPath());
      c.setInclude(e.include().isEmpty() ? null : e.include());
      c.setExclude(e.exclude().isEmpty() ? null : e.exclude());
      claims.add(c);
    }
    s.setClaims(claims);
    return s;
  }

  /** The longest time suffix: {@code yyyymmdd-hhmmss-N}. */
  private static final int STAMP_ROOM = 17;

  /** How many names a rotation tries for its key before it gives up (see {@link #keyName}). */
  static final int NAME_CANDIDATES = 4;

  /**
   * Candidate {@code i} for the name of the key a rotation at {@code now} creates: {@code
   * <ring>-<yyyymmdd-hhmmss>} (UTC), then the same with {@code -2}, {@code -3}, ... for a name that
   * is taken. The time stays whole however long the ring's name (see {@link Names#dnsLabel(String,
   * String)}), so names read and sort by time.
   */
  static String keyName(String ring, Instant now, int i) {
    String stamp = STAMP.format(now);
    return Names.dnsLabel(ring, i == 0 ? stamp : stamp + "-" + (i + 1), STAMP_ROOM);
  }

  /** The ReencryptionJob that follows the promotion of {@code key}. */
  static String jobName(String key) {
    return Names.dnsLabel(key + "-rebuild");
  }

  static OwnerReference owner(KeyRing ring) {
    return new OwnerReferenceBuilder()
        .withApiVersion(ring.getApiVersion())
        .withKind(ring.getKind())
        .withName(ring.getMetadata().getName())
        .withUid(ring.getMetadata().getUid())
        .build();
  }

  /**
   * What a rotation's create gave: its key, or null when every candidate name was taken by a key
   * that is not this rotation's ({@code taken} names them).
   */
  record Created(EncryptionKey key, List<String> taken) {}

  /**
   * Creates the key of rotation number {@code rotation}, Staged, under the first free candidate
   * name. A key of that name is taken as this rotation's only when this ring owns it and it carries
   * this rotation's number (a retry after a lost status write); any other key of that name, this
   * ring's earlier keys included, makes the rotation try the next name.
   *
   * @param request the on-demand request acted on, or null for a scheduled rotation
   * @param known the ring's keys in the cache
   */
  Created createKey(
      KeyRing ring,
      KeyTemplate template,
      Instant now,
      long rotation,
      String request,
      List<EncryptionKey> known) {
    String ns = ring.getMetadata().getNamespace();
    List<String> taken = new ArrayList<>();
    for (int i = 0; i < NAME_CANDIDATES; i++) {
      String name = keyName(ring.getMetadata().getName(), now, i);
      EncryptionKey existing =
          known.stream()
              .filter(k -> k.getMetadata().getName().equals(name))
              .findFirst()
              .orElse(null);
      if (existing == null) {
        try {
          EncryptionKey created =
              client.resource(newKey(ring, template, name, rotation, request, now)).create();
          events.normal(
              ring,
              Reason.KeyCreated,
              "rotation: created key " + name + " (Staged; activated after stagedFor)");
          return new Created(created, taken);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
          existing = client.resources(EncryptionKey.class).inNamespace(ns).withName(name).get();
        }
      }
      if (existing != null && isRotation(existing, ring, rotation)) {
        return new Created(existing, taken);
      }
      taken.add(name);
    }
    return new Created(null, taken);
  }

  private static EncryptionKey newKey(
      KeyRing ring, KeyTemplate template, String name, long rotation, String request, Instant now) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(KeyRing.ROTATION_ANNOTATION, Long.toString(rotation));
    annotations.put(KeyRing.ROTATED_AT_ANNOTATION, now.toString());
    if (request != null) {
      annotations.put(KeyRing.ROTATION_REQUEST_ANNOTATION, request);
    }
    EncryptionKey k = new EncryptionKey();
    k.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(ring.getMetadata().getNamespace())
            .withLabels(
                Map.of(KeyRing.LABEL_KEY_RING, Names.labelValue(ring.getMetadata().getName())))
            .withAnnotations(annotations)
            .withOwnerReferences(owner(ring))
            .build());
    EncryptionKeySpec spec = new EncryptionKeySpec();
    spec.setKeyRing(ring.getMetadata().getName());
    spec.setProvider(template.toProvider());
    k.setSpec(spec);
    return k;
  }

  /** Whether {@code k} is the key of rotation number {@code rotation} of this ring. */
  static boolean isRotation(EncryptionKey k, KeyRing ring, long rotation) {
    Map<String, String> a = k.getMetadata().getAnnotations();
    return KeyRingReconciler.isOwnedBy(k, ring)
        && a != null
        && Long.toString(rotation).equals(a.get(KeyRing.ROTATION_ANNOTATION));
  }

  /** Sets spec.activate on the key this ring created; the EncryptionKey controller promotes it. */
  void activate(KeyRing ring, EncryptionKey key) {
    patchSpec(key, "{\"spec\":{\"activate\":true}}");
    events.normal(
        ring,
        Reason.KeyActivated,
        "key " + key.getMetadata().getName() + " was Staged for stagedFor and is Ready: activated");
  }

  /** Creates the ReencryptionJob that follows the promotion of {@code key}; returns its name. */
  String startReencryption(KeyRing ring, EncryptionKey key) {
    ReencryptionPolicy p = ring.getSpec().getReencryption();
    String name = jobName(key.getMetadata().getName());
    ReencryptionJob job = new ReencryptionJob();
    job.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(ring.getMetadata().getNamespace())
            .withLabels(
                Map.of(KeyRing.LABEL_KEY_RING, Names.labelValue(ring.getMetadata().getName())))
            .withOwnerReferences(owner(ring))
            .build());
    ReencryptionJobSpec spec = new ReencryptionJobSpec();
    spec.setKeyRing(ring.getMetadata().getName());
    spec.setTargetKey(key.getMetadata().getName());
    spec.setStorage(p.getStorage() != null ? p.getStorage() : declaredStorage(ring));
    spec.setMode(p.getMode());
    spec.setShards(p.getShards());
    spec.setParallelism(p.getParallelism());
    spec.setWorker(p.getWorker());
    spec.setBytesPerSecond(p.getBytesPerSecond());
    spec.setParquet(p.getParquet());
    spec.setWindows(p.getWindows() == null ? null : List.copyOf(p.getWindows()));
    job.setSpec(spec);
    try {
      client.resource(job).create();
      events.normal(
          ring,
          Reason.ReencryptionJobCreated,
          "key "
              + key.getMetadata().getName()
              + " is Primary: ReencryptionJob "
              + name
              + " ("
              + p.getMode()
              + ") rebuilds the partitions still on older keys");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
    return name;
  }

  /**
   * Disables the Retired keys whose partitions an inventory after their retirement found gone, once
   * retention.disableAfter has passed. Returns when to look again, or null.
   */
  Duration disableExpired(KeyRing ring, List<EncryptionKey> keys, Instant now) {
    String after = ring.getSpec().getRetention().getDisableAfter();
    if (after == null) {
      return null;
    }
    Duration disableAfter =
        OperatorConfig.parseDurationOrZero("spec.retention.disableAfter", after);
    Duration next = null;
    for (EncryptionKey k : keys) {
      if (k.getStatus() == null || k.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      DropGuard.Decision inventory = inventories.retired(k, keys);
      Duration in =
          RetentionRules.disableIn(
              new RetentionRules.Input(
                  now,
                  k.getStatus().getState(),
                  k.getSpec().disableRequested(),
                  inventory,
                  disableAfter));
      if (in == null) {
        continue;
      }
      if (in.isZero()) {
        patchSpec(k, "{\"spec\":{\"disabled\":true}}");
        events.normal(
            ring,
            Reason.AutoDisabled,
            "key "
                + k.getMetadata().getName()
                + " holds no partition since "
                + inventory.clearedAt()
                + " and retention.disableAfter ("
                + after
                + ") passed: disabled");
      } else if (next == null || in.compareTo(next) < 0) {
        next = in;
      }
    }
    return next;
  }

  /** Whether fresh scans of every known location of the ring found nothing on the key. */
  static boolean freeOfData(
      Inventories inventories, EncryptionKey k, List<EncryptionKey> ringKeys) {
    return inventories.retired(k, ringKeys).allowed();
  }

  /** Removes this ring's owner reference from its keys, so deleting the ring deletes no key. */
  void orphanKeys(KeyRing ring, List<EncryptionKey> keys) {
    for (EncryptionKey k : keys) {
      if (!KeyRingReconciler.isOwnedBy(k, ring)) {
        continue;
      }
      List<OwnerReference> rest =
          k.getMetadata().getOwnerReferences().stream()
              .filter(r -> !r.getUid().equals(ring.getMetadata().getUid()))
              .toList();
      patchSpec(k, Serialization.asJson(Map.of("metadata", Map.of("ownerReferences", rest))));
      LOG.info(
          "KeyRing {}/{} deleted: key {} kept, no longer owned by it",
          ring.getMetadata().getNamespace(),
          ring.getMetadata().getName(),
          k.getMetadata().getName());
    }
  }

  private void patchSpec(EncryptionKey k, String mergePatch) {
    client
        .resources(EncryptionKey.class)
        .inNamespace(k.getMetadata().getNamespace())
        .withName(k.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
  }
}
