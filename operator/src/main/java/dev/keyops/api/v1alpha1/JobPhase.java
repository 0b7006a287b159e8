package dev.keyops.api.v1alpha1;

/** Phase of a ReencryptionJob. */
public enum JobPhase {
  Pending,
  Running,
  Succeeded,
  Failed
}
