package dev.keyops.api.v1alpha1;

/** The ways an {@link EncryptionKey} gets its material, spelt as in the spec. */
@SuppressWarnings("java:S115") // constants spelt as the spec fields users write
public enum ProviderKind {
  managed,
  secretRef,
  gcpKms,
  transit,
  awsKms
}
