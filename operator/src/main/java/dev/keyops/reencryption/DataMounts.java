package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.ReencryptionJobSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The storage part of a worker pod: one volume per claim, one mount per location, and the worker
 * arguments that name each location. A single {@code persistentVolumeClaim} keeps its original
 * layout (the claim, its subPath mounted at /data, {@code --data /data --location NAME}); a list or
 * a selector mounts location i at /data/i (its subPath mounted there, so the worker sees the
 * directory itself) and passes {@code --data NAME=/data/i}. A claim with several subPaths is one
 * volume with several mounts, never two volumes of the same claim.
 */
record DataMounts(
    List<Volume> volumes,
    List<VolumeMount> mounts,
    List<String> args,
    List<String> selection,
    List<String> dataArgs) {

  static DataMounts of(ReencryptionJobSpec spec, List<Locations.Entry> locations) {
    List<String> args = new ArrayList<>();
    List<String> selection = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    Map<String, String> volumeOfClaim = new LinkedHashMap<>();
    boolean single = spec.getStorage().getPersistentVolumeClaim() != null;
    for (int i = 0; i < locations.size(); i++) {
      Locations.Entry e = locations.get(i);
      String volume =
          volumeOfClaim.computeIfAbsent(
              e.claimName(), c -> single ? "data" : "data-" + volumeOfClaim.size());
      String path = single ? RekeyJobFactory.DATA_PATH : RekeyJobFactory.DATA_PATH + "/" + i;
      mounts.add(
          new VolumeMountBuilder()
              .withName(volume)
              .withMountPath(path)
              .withSubPath(blankToNull(e.subPath()))
              .build());
      if (single) {
        args.addAll(List.of("--data", path));
        selection.addAll(List.of("--location", e.name()));
      } else {
        args.addAll(List.of("--data", e.name() + "=" + path));
      }
    }
    // One worker applies one selection: the entries agree (JobLauncher refuses them otherwise).
    if (!locations.isEmpty()) {
      locations.get(0).include().forEach(g -> selection.addAll(List.of("--include", g)));
      locations.get(0).exclude().forEach(g -> selection.addAll(List.of("--exclude", g)));
    }
    List<Volume> volumes = new ArrayList<>();
    volumeOfClaim.forEach(
        (claim, volume) ->
            volumes.add(
                new VolumeBuilder()
                    .withName(volume)
                    .withNewPersistentVolumeClaim()
                    .withClaimName(claim)
                    .endPersistentVolumeClaim()
                    .build()));
    List<String> dataArgs = new ArrayList<>();
    for (int i = 0; i < locations.size(); i++) {
      dataArgs.add(locations.get(i).name() + "=" + mounts.get(i).getMountPath());
    }
    return new DataMounts(volumes, mounts, args, selection, dataArgs);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
