package dev.keyops.observability;

/** The closed set of reasons used in conditions and events. */
public enum Reason {
  // EncryptionKey material and readiness
  KeyMaterialValid,

  KeyMaterialMissing,
  SecretNotFound,
  SecretKeyNotFound,
  InvalidKeyMaterial,
  // Cloud KMS access
  KmsAccessVerified,
  InvalidKeyName,
  KeyNotFound,
  PermissionDenied,
  KeyDisabled,
  WrongKeyPurpose,
  KmsUnavailable,
  CredentialsInvalid,
  // Transit (OpenBao, Vault) access and key versions
  TransitKeyNotFound,
  TransitWrongKeyType,
  TransitCapabilityMissing,
  TransitLoginFailed,
  TransitRequestRefused,
  TransitUnavailable,
  TransitKeyRewrapped,
  TransitKeyVersionBelowMinimum,
  // Cloud KMS key versions (condition DataAtRisk)
  KeyRewrapped,
  KeyVersionEnabled,
  KeyVersionAtRisk,
  KeyVersionUnknown,

  // Lifecycle
  Staged,
  WaitingForReaders,

  ActivationRefused,
  Promoted,
  Retired,
  KeyringUpdated,
  // Drop guard
  DropRefusedPrimary,
  DropRefusedPartitions,
  DropRefusedNoInventory,
  DropRefusedUnreadable,
  DropAllowed,
  DropWithDataLoss,
  // Disabled keys and scheduled destruction
  Disabled,
  Enabled,
  DisableRefusedPrimaryOrStaged,
  DisableRefusedPartitions,
  DisableRefusedNoInventory,
  DisableRefusedUnreadable,
  DestroyScheduled,
  DestroyCancelled,
  KeyDestroyed,
  // KeyRing policy
  PolicyApplied,
  NoKeyTemplate,
  RotationScheduled,
  RotationDue,
  ManualRotationRequired,
  KeyCreated,
  KeyActivated,
  ReencryptionJobCreated,
  PartitionsOnOldKeys,
  AllRebuilt,
  AutoDisabled,
  // KeyRing rotation requests (condition RotationRequest) and names of generated keys
  RotationInProgress,
  KeyNameTaken,
  RotationRequestRefused,
  // ReencryptionJob
  Queued,
  WaitingForTargetKey,
  TargetKeyNotFound,
  JobCreated,

  JobSucceeded,
  JobFailed,
  SpecChanged,
  InventoryRecorded,
  // ReencryptionJob throttling (condition Suspended)
  SuspendedBySpec,
  OutsideWindow,
  InsideWindow,
  Resumed,
  InvalidWindow,
  // ReencryptionJob: cannot start or cannot progress (see README, "Errors")
  ClaimNotFound,
  ClaimNotBound,
  KeyringUnreadable,
  ImagePullFailed,
  Unschedulable,
  WorkerCannotStart,
  WorkersNotStarted,
  WorkersRunning,
  WorkerOOMKilled,
  VolumeNotWritable,
  ProgressDeadlineExceeded,
  DeadlineExceeded,
  InvalidJob,
  JobNameConflict,
  JobDeleted,
  // kstatus conditions Reconciling and Stalled (see KStatus); other reasons are reused there
  Validating,
  Rotating,
  RotationBlocked,
  Pending,
  Running,
  // Errors a reconcile met (any controller): reason = the kind of error
  Reconciled,
  Forbidden,
  InvalidRequest,
  ApiServerUnavailable,
  Conflict,
  InternalError
}
