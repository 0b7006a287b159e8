package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.ParquetEncryption;
import dev.keyops.api.v1alpha1.ParquetOptions;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import dev.keyops.api.v1alpha1.RekeyMode;
import dev.keyops.api.v1alpha1.WorkerOverrides;
import dev.keyops.key.KeyBundleWriter;
import dev.keyops.names.Names;
import dev.keyops.parquet.PlaintextEncryption;
import dev.keyops.rekey.Cli;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the Indexed batch/v1 Job of a ReencryptionJob: one pod per shard, running the keyops
 * worker (or the user's pod template), the storage PVC at /data, the keyring Secret read-only at
 * /etc/keyops/keyring, Pod Security 'restricted', the JSON result in the termination message.
 * Deterministic: the same ReencryptionJob always yields the same Job.
 */
public final class RekeyJobFactory {

  /**
   * Label on the Job and its pods: the ReencryptionJob's name, hashed when it is no valid label
   * value (longer than 63 characters). The full name is in the annotation of the same key.
   */
  public static final String LABEL_JOB = "keyops.dev/reencryption-job";

  /** Annotation on the pods holding the ReencryptionJob's full name. */
  public static final String ANNOTATION_JOB = LABEL_JOB;

  /**
   * Characters kept free in the Job name: an Indexed Job's pods get the hostname {@code
   * <job>-<index>}, a DNS label, and an index has at most 5 digits (shards are at most 100000).
   */
  static final int INDEX_SUFFIX = 6;

  public static final String LABEL_KEY_RING = "keyops.dev/key-ring";
  public static final String CONTAINER = "rekey";
  public static final String DATA_PATH = "/data";
  public static final String KEYRING_DIR = "/etc/keyops/keyring";
  public static final String KEYRING_FILE = KEYRING_DIR + "/" + KeyBundleWriter.FILE;
  public static final String GCP_CREDENTIALS_DIR = "/etc/keyops/gcp";
  public static final String TRANSIT_TOKEN_DIR = "/etc/keyops/transit-token";
  public static final String TRANSIT_CA_DIR = "/etc/keyops/transit-ca";

  /** Exit code of a worker that could not run at all: retrying will not help. */
  public static final int EXIT_CANNOT_RUN = 2;

  /** Exit code of a worker whose shard finished with failed or unrecoverable partitions. */
  public static final int EXIT_PARTIAL = 1;

  private RekeyJobFactory() {}

  /**
   * The Job's name: {@code <name>-rekey}, cut with a hash suffix so that the pods' hostnames {@code
   * <job>-<index>} stay DNS labels for every ReencryptionJob name (up to 253 characters, dots
   * included).
   */
  public static String jobName(ReencryptionJob rej) {
    return Names.dnsLabel(rej.getMetadata().getName() + "-rekey", INDEX_SUFFIX);
  }

  /** The ReencryptionJob a worker pod belongs to (annotation first: the label may be hashed). */
  public static String owner(ObjectMeta pod) {
    if (pod.getAnnotations() != null && pod.getAnnotations().get(ANNOTATION_JOB) != null) {
      return pod.getAnnotations().get(ANNOTATION_JOB);
    }
    return pod.getLabels() == null ? null : pod.getLabels().get(LABEL_JOB);
  }

  /**
   * @param workerImage the operator's own image (used unless overridden)
   * @param targetKeyId key id the partitions are rebuilt onto
   * @param credentials the key managers' credentials the workers need ({@link
   *     WorkerCredentials#NONE} or null for none)
   */
  public static Job build(
      ReencryptionJob rej, String workerImage, String targetKeyId, WorkerCredentials credentials) {
    return build(rej, workerImage, List.of(), targetKeyId, credentials);
  }

  /**
   * As {@link #build(ReencryptionJob, String, String, WorkerCredentials)}, with Secrets for pulling
   * the worker image (added to the pod unless a custom template names its own).
   */
  public static Job build(
      ReencryptionJob rej,
      String workerImage,
      List<String> imagePullSecrets,
      String targetKeyId,
      WorkerCredentials credentials) {
    return build(
        rej,
        workerImage,
        imagePullSecrets,
        targetKeyId,
        credentials,
        Locations.entries(rej.getSpec().getStorage(), selector -> List.of()));
  }

  /**
   * As {@link #build(ReencryptionJob, String, List, String, WorkerCredentials)}, with the locations
   * to scan (a selector's resolved to the claims that match now).
   */
  public static Job build(
      ReencryptionJob rej,
      String workerImage,
      List<String> imagePullSecrets,
      String targetKeyId,
      WorkerCredentials credentials,
      List<Locations.Entry> locations) {
    ReencryptionJobSpec spec = rej.getSpec();
    DataMounts data = DataMounts.of(spec, locations);
    int shards = spec.getShards() == null ? 1 : spec.getShards();
    Map<String, String> labels = labels(rej);
    PodTemplateSpec template = podTemplate(rej, labels);
    PodSpec pod = template.getSpec();
    pod.setRestartPolicy("Never");
    addImagePullSecrets(pod, imagePullSecrets);
    credentials = credentials == null ? WorkerCredentials.NONE : credentials;
    addVolumes(pod, spec, data, credentials);
    List<Container> containers = containers(spec, pod, workerImage, shards, targetKeyId, data);
    addWorkerContract(
        containers,
        mounts(data, credentials),
        workerEnv(spec, shards, targetKeyId, data, credentials));
    pod.setContainers(containers);
    applyWorkerOverrides(pod, spec.getWorker());
    restrictPodSecurity(pod);
    return job(rej, labels, shards, template);
  }

  /** The labels of the Job and its pods. */
  private static Map<String, String> labels(ReencryptionJob rej) {
    Map<String, String> labels = new HashMap<>();
    labels.put(LABEL_JOB, Names.labelValue(rej.getMetadata().getName()));
    labels.put(LABEL_KEY_RING, Names.labelValue(rej.getSpec().getKeyRing()));
    labels.put("app.kubernetes.io/part-of", "keyops");
    labels.put("app.kubernetes.io/component", "rekey-worker");
    return labels;
  }

  /**
   * A copy of the user's pod template (or an empty one) with our labels and the owner annotation
   * added to its own, and a pod spec.
   */
  private static PodTemplateSpec podTemplate(ReencryptionJob rej, Map<String, String> labels) {
    PodTemplateSpec template =
        rej.getSpec().getTemplate() != null
            ? Serialization.clone(rej.getSpec().getTemplate())
            : new PodTemplateSpec(null, new PodSpec());
    if (template.getMetadata() == null) {
      template.setMetadata(new ObjectMeta());
    }
    Map<String, String> podLabels = new HashMap<>();
    if (template.getMetadata().getLabels() != null) {
      podLabels.putAll(template.getMetadata().getLabels());
    }
    podLabels.putAll(labels);
    template.getMetadata().setLabels(podLabels);
    Map<String, String> podAnnotations = new HashMap<>();
    if (template.getMetadata().getAnnotations() != null) {
      podAnnotations.putAll(template.getMetadata().getAnnotations());
    }
    podAnnotations.put(ANNOTATION_JOB, rej.getMetadata().getName());
    template.getMetadata().setAnnotations(podAnnotations);
    template.setSpec(template.getSpec() == null ? new PodSpec() : template.getSpec());
    return template;
  }

  /** The operator's pull Secrets, unless the template names its own. */
  private static void addImagePullSecrets(PodSpec pod, List<String> imagePullSecrets) {
    if ((pod.getImagePullSecrets() == null || pod.getImagePullSecrets().isEmpty())
        && !imagePullSecrets.isEmpty()) {
      pod.setImagePullSecrets(imagePullSecrets.stream().map(LocalObjectReference::new).toList());
    }
  }

  /**
   * After the template's own volumes: the data claims, the keyring Secret, a writable /tmp, and the
   * key managers' credential Secrets the ring's keys name.
   */
  private static void addVolumes(
      PodSpec pod, ReencryptionJobSpec spec, DataMounts data, WorkerCredentials credentials) {
    List<Volume> volumes = new ArrayList<>(pod.getVolumes() == null ? List.of() : pod.getVolumes());
    volumes.addAll(data.volumes());
    volumes.add(secretVolume("keyring", KeyBundleWriter.secretName(spec.getKeyRing())));
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    for (var file : credentialFiles(credentials)) {
      volumes.add(secretVolume(file.volume(), file.secret().secret()));
    }
    pod.setVolumes(volumes);
  }

  private static Volume secretVolume(String name, String secretName) {
    return new VolumeBuilder()
        .withName(name)
        .withNewSecret()
        .withSecretName(secretName)
        .withDefaultMode(0440)
        .endSecret()
        .build();
  }

  /** The mounts every container gets: what {@link #addVolumes} added, at their paths. */
  private static List<VolumeMount> mounts(DataMounts data, WorkerCredentials credentials) {
    List<VolumeMount> mounts = new ArrayList<>(data.mounts());
    mounts.add(
        new VolumeMountBuilder()
            .withName("keyring")
            .withMountPath(KEYRING_DIR)
            .withReadOnly(true)
            .build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    for (var file : credentialFiles(credentials)) {
      mounts.add(
          new VolumeMountBuilder()
              .withName(file.volume())
              .withMountPath(file.dir())
              .withReadOnly(true)
              .build());
    }
    return mounts;
  }

  /**
   * The environment every container gets: the worker's arguments as variables (what a custom
   * template's program reads), and where the key managers' credentials are.
   */
  private static List<EnvVar> workerEnv(
      ReencryptionJobSpec spec,
      int shards,
      String targetKeyId,
      DataMounts data,
      WorkerCredentials credentials) {
    List<EnvVar> env =
        new ArrayList<>(
            List.of(
                env("KEYOPS_KEYRING", KEYRING_FILE),
                env("KEYOPS_DATA", DATA_PATH),
                env("KEYOPS_LOCATIONS", String.join(",", data.dataArgs())),
                env("KEYOPS_MODE", mode(spec.getMode())),
                env("KEYOPS_DRY_RUN", Boolean.toString(Boolean.TRUE.equals(spec.getDryRun()))),
                env("KEYOPS_SHARDS", Integer.toString(shards)),
                env("KEYOPS_TARGET_KEY_ID", targetKeyId),
                env("KEYOPS_RESULT", "/dev/termination-log")));
    if (spec.getBytesPerSecond() != null) {
      env.add(env("KEYOPS_BYTES_PER_SECOND", Long.toString(spec.getBytesPerSecond())));
    }
    PlaintextEncryption parquet = plaintextParquet(spec.getParquet());
    if (parquet != null) {
      env.add(env("KEYOPS_PARQUET_ENCRYPT_PLAINTEXT", "true"));
      env.add(env("KEYOPS_PARQUET_COLUMNS", String.join(",", parquet.columns())));
      env.add(env("KEYOPS_PARQUET_PLAINTEXT_FOOTER", Boolean.toString(parquet.plaintextFooter())));
      env.add(env("KEYOPS_PARQUET_DOUBLE_WRAPPING", Boolean.toString(parquet.doubleWrapping())));
      env.add(
          env(
              "KEYOPS_PARQUET_KEY_MATERIAL",
              parquet.externalKeyMaterial() ? "external" : "internal"));
    }
    for (var file : credentialFiles(credentials)) {
      env.add(env(file.variable(), file.dir() + "/" + file.secret().key()));
    }
    if (credentials.transitRole() != null && credentials.transitToken() == null) {
      env.add(env("KEYOPS_TRANSIT_ROLE", credentials.transitRole()));
      if (credentials.transitAuthMount() != null) {
        env.add(env("KEYOPS_TRANSIT_AUTH_MOUNT", credentials.transitAuthMount()));
      }
    }
    return env;
  }

  /**
   * A credentials file the workers read: its volume, where it is mounted, the variable naming it.
   */
  private record CredentialFile(
      String volume, String dir, String variable, WorkerCredentials.SecretFile secret) {}

  private static List<CredentialFile> credentialFiles(WorkerCredentials c) {
    List<CredentialFile> files = new ArrayList<>();
    if (c.gcp() != null) {
      files.add(
          new CredentialFile(
              "gcp-credentials", GCP_CREDENTIALS_DIR, "GOOGLE_APPLICATION_CREDENTIALS", c.gcp()));
    }
    if (c.transitToken() != null) {
      files.add(
          new CredentialFile(
              "transit-token", TRANSIT_TOKEN_DIR, "KEYOPS_TRANSIT_TOKEN_FILE", c.transitToken()));
    }
    if (c.transitCa() != null) {
      files.add(
          new CredentialFile(
              "transit-ca", TRANSIT_CA_DIR, "KEYOPS_TRANSIT_CA_FILE", c.transitCa()));
    }
    return files;
  }

  /** The keyops worker, or the custom template's containers. */
  private static List<Container> containers(
      ReencryptionJobSpec spec,
      PodSpec pod,
      String workerImage,
      int shards,
      String targetKeyId,
      DataMounts data) {
    List<Container> containers = new ArrayList<>();
    if (spec.getTemplate() == null) {
      containers.add(workerContainer(spec, workerImage, shards, targetKeyId, data));
    } else {
      containers.addAll(pod.getContainers());
    }
    return containers;
  }

  /**
   * What every container gets after its own: the mounts, the environment, and the result in the
   * termination message unless it chose otherwise.
   */
  private static void addWorkerContract(
      List<Container> containers, List<VolumeMount> mounts, List<EnvVar> env) {
    for (Container c : containers) {
      List<VolumeMount> m =
          new ArrayList<>(c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts());
      m.addAll(mounts);
      c.setVolumeMounts(m);
      List<EnvVar> e = new ArrayList<>(c.getEnv() == null ? List.of() : c.getEnv());
      e.addAll(env);
      c.setEnv(e);
      if (c.getTerminationMessagePolicy() == null) {
        c.setTerminationMessagePolicy("FallbackToLogsOnError");
      }
    }
  }

  /** Node selector, tolerations and service account from spec.worker, where set. */
  private static void applyWorkerOverrides(PodSpec pod, WorkerOverrides w) {
    if (w == null) {
      return;
    }
    if (w.getNodeSelector() != null) {
      pod.setNodeSelector(w.getNodeSelector());
    }
    if (w.getTolerations() != null) {
      pod.setTolerations(w.getTolerations());
    }
    if (w.getServiceAccountName() != null) {
      pod.setServiceAccountName(w.getServiceAccountName());
    }
  }

  /** Pod Security 'restricted' at pod level, unless the template sets its own security context. */
  private static void restrictPodSecurity(PodSpec pod) {
    if (pod.getSecurityContext() == null) {
      pod.setSecurityContext(
          new PodSecurityContextBuilder()
              .withRunAsNonRoot(true)
              .withRunAsUser(65532L)
              .withRunAsGroup(65532L)
              .withFsGroup(65532L)
              .withNewSeccompProfile()
              .withType("RuntimeDefault")
              .endSeccompProfile()
              .build());
    }
  }

  /** The Indexed Job around the pod template, controlled by the ReencryptionJob. */
  private static Job job(
      ReencryptionJob rej, Map<String, String> labels, int shards, PodTemplateSpec template) {
    ReencryptionJobSpec spec = rej.getSpec();
    return new JobBuilder()
        .withNewMetadata()
        .withName(jobName(rej))
        .withNamespace(rej.getMetadata().getNamespace())
        .withLabels(labels)
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion(rej.getApiVersion())
                .withKind(rej.getKind())
                .withName(rej.getMetadata().getName())
                .withUid(rej.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build())
        .endMetadata()
        .withNewSpec()
        .withCompletionMode("Indexed")
        .withCompletions(shards)
        .withParallelism(spec.getParallelism() == null ? 1 : spec.getParallelism())
        .withBackoffLimitPerIndex(2)
        .withMaxFailedIndexes(shards)
        .withActiveDeadlineSeconds(spec.getActiveDeadlineSeconds())
        .withPodFailurePolicy(podFailurePolicy(spec))
        .withTemplate(template)
        .endSpec()
        .build();
  }

  /**
   * A worker that cannot run fails the Job (retrying will not help); one with failed partitions
   * fails its index only.
   */
  private static PodFailurePolicy podFailurePolicy(ReencryptionJobSpec spec) {
    // A custom template's containers have their own names: the rules then apply to any container.
    String containerName = spec.getTemplate() == null ? CONTAINER : null;
    return new PodFailurePolicyBuilder()
        .addToRules(exitCodeRule("FailJob", containerName, EXIT_CANNOT_RUN))
        .addToRules(exitCodeRule("FailIndex", containerName, EXIT_PARTIAL))
        .build();
  }

  /**
   * The layout of {@code spec.parquet.encryptPlaintext}, as the worker checks it; null when absent.
   *
   * @throws IllegalArgumentException saying what is wrong with the layout and what to do
   */
  static PlaintextEncryption plaintextParquet(ParquetOptions parquet) {
    ParquetEncryption e = parquet == null ? null : parquet.getEncryptPlaintext();
    if (e == null) {
      return null;
    }
    try {
      return new PlaintextEncryption(
          e.getColumns() == null ? List.of() : e.getColumns(),
          Boolean.TRUE.equals(e.getPlaintextFooter()),
          !Boolean.FALSE.equals(e.getDoubleWrapping()),
          e.getKeyMaterial() == ParquetEncryption.KeyMaterial.External);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(
          "spec.parquet.encryptPlaintext.columns: "
              + ex.getMessage()
              + "; fix the columns (in the KeyRing's spec.reencryption.parquet when the key ring"
              + " created this job) and create a new ReencryptionJob",
          ex);
    }
  }

  /** The worker's options for {@code spec.parquet.encryptPlaintext}; none when it is absent. */
  static List<String> parquetArgs(ParquetOptions parquet) {
    return Cli.parquetArgs(plaintextParquet(parquet));
  }

  private static PodFailurePolicyRule exitCodeRule(String action, String container, int code) {
    return new PodFailurePolicyRuleBuilder()
        .withAction(action)
        .withNewOnExitCodes()
        .withContainerName(container)
        .withOperator("In")
        .withValues(code)
        .endOnExitCodes()
        .build();
  }

  private static Container workerContainer(
      ReencryptionJobSpec spec,
      String workerImage,
      int shards,
      String targetKeyId,
      DataMounts data) {
    WorkerOverrides w = spec.getWorker();
    List<String> args = new ArrayList<>(List.of("rekey", "--keyring", KEYRING_FILE));
    args.addAll(data.args());
    args.addAll(
        List.of(
            "--mode",
            mode(spec.getMode()),
            "--shards",
            Integer.toString(shards),
            "--result",
            "/dev/termination-log"));
    if (targetKeyId != null) {
      args.add("--expect-primary");
      args.add(targetKeyId);
    }
    // The inventory is recorded per location: the worker names its results after it.
    args.addAll(data.selection());
    if (Boolean.TRUE.equals(spec.getDryRun())) {
      args.add("--dry-run");
    }
    args.addAll(parquetArgs(spec.getParquet()));
    if (spec.getBytesPerSecond() != null) {
      args.add("--bytes-per-second");
      args.add(Long.toString(spec.getBytesPerSecond()));
    }
    return new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(w != null && w.getImage() != null ? w.getImage() : workerImage)
        .withArgs(args)
        .withResources(w == null ? null : w.getResources())
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .build();
  }

  private static EnvVar env(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  static String mode(RekeyMode m) {
    return m == null ? "reencrypt" : m.name().toLowerCase(Locale.ROOT);
  }
}
