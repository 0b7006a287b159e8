package dev.keyops.reencryption;

import dev.keyops.api.v1alpha1.JobPhase;
import dev.keyops.api.v1alpha1.ReencryptionJob;
import dev.keyops.api.v1alpha1.ReencryptionJobStatus;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** Reconciles ReencryptionJobs. */
@ControllerConfiguration(name = "reencryptionjob")
public class ReencryptionJobReconciler implements Reconciler<ReencryptionJob> {

  @Override
  public UpdateControl<ReencryptionJob> reconcile(
      ReencryptionJob job, Context<ReencryptionJob> context) {
    ReencryptionJobStatus status =
        job.getStatus() == null ? new ReencryptionJobStatus() : job.getStatus();
    if (status.getPhase() == null) {
      status.setPhase(JobPhase.Pending);
    }
    status.setObservedGeneration(job.getMetadata().getGeneration());
    ReencryptionJob patch = new ReencryptionJob();
    patch.setMetadata(job.getMetadata());
    patch.setStatus(status);
    return UpdateControl.patchStatus(patch);
  }
}
