package dev.keyops.testing;

import dev.keyops.reencryption.RekeyJobFactory;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays the kubelet for a real control plane without one: registers a Node, binds each pod of a
 * keyops Job to it, runs its container locally ({@link PodProcess}) and writes its status; the real
 * Job controller does the rest.
 */
public final class LocalPodRunner implements AutoCloseable {

  public static final String NODE = "keyops-local-node";

  private final KubernetesClient client;
  private final Path work;
  private final Map<String, Path> claims = new ConcurrentHashMap<>();
  private final Set<String> done = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile Throwable failure;

  public LocalPodRunner(KubernetesClient admin, Path work) {
    this.client = admin;
    this.work = work;
    var node =
        client
            .nodes()
            .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
            .createOr(n -> n.update());
    node.setStatus(
        new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
            .withConditions(
                new NodeConditionBuilder()
                    .withType("Ready")
                    .withStatus("True")
                    .withReason("KubeletReady")
                    .withLastHeartbeatTime(Instant.now().toString())
                    .withLastTransitionTime(Instant.now().toString())
                    .build())
            .build());
    client.nodes().resource(node).updateStatus();
    thread = new Thread(this::loop, "local-pod-runner");
    thread.setDaemon(true);
    thread.start();
  }

  private final Set<String> namespaces = ConcurrentHashMap.newKeySet();

  /** Runs the keyops pods of this namespace, its claim mapped to a local directory. */
  public void claim(String namespace, String name, Path dir) {
    claims.put(name, dir);
    namespaces.add(namespace);
    Claims.bound(client, namespace, name);
  }

  public Throwable failure() {
    return failure;
  }

  private void loop() {
    while (!stopped) {
      try {
        for (String ns : namespaces) {
          for (Pod p :
              client
                  .pods()
                  .inNamespace(ns)
                  .withLabel(RekeyJobFactory.LABEL_JOB)
                  .list()
                  .getItems()) {
            handle(p);
          }
        }
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) {
        if (!stopped) {
          failure = t; // an interrupted call while closing is not a failure
        }
      }
    }
  }

  private void handle(Pod p) throws Exception {
    String ns = p.getMetadata().getNamespace();
    if (p.getMetadata().getDeletionTimestamp() != null) {
      // A kubelet confirms a deletion once the containers are gone.
      client.pods().inNamespace(ns).withName(p.getMetadata().getName()).withGracePeriod(0).delete();
      return;
    }
    if (!claimed(p)) {
      return; // a claim that no local directory backs: the pod waits, as on a node it would
    }
    if (!done.add(p.getMetadata().getUid())) {
      return;
    }
    if (p.getSpec().getNodeName() == null) {
      client
          .resource(
              new BindingBuilder()
                  .withNewMetadata()
                  .withName(p.getMetadata().getName())
                  .withNamespace(ns)
                  .endMetadata()
                  .withNewTarget()
                  .withKind("Node")
                  .withName(NODE)
                  .endTarget()
                  .build())
          .create();
    }
    PodProcess.run(client, p, claims, work);
  }

  private boolean claimed(Pod p) {
    return p.getSpec().getVolumes().stream()
        .filter(v -> v.getPersistentVolumeClaim() != null)
        .allMatch(v -> claims.containsKey(v.getPersistentVolumeClaim().getClaimName()));
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join(10_000);
  }
}
