package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Where a key ring's partitions live: one claim ({@code persistentVolumeClaim}, the original form),
 * a list of claims, or a label selector over the namespace's claims.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "(has(self.persistentVolumeClaim) ? 1 : 0) + (has(self.claims) ? 1 : 0)"
            + " + (has(self.selector) ? 1 : 0) == 1",
    message = "storage: set exactly one of persistentVolumeClaim, claims or selector")
public class Storage {

  @JsonPropertyDescription(
      "The one PersistentVolumeClaim that holds the partitions (its location is <claimName> or"
          + " <claimName>/<subPath>).")
  private PvcStorage persistentVolumeClaim;

  @Size(min = 1, max = 64)
  @JsonPropertyDescription(
      "Several PersistentVolumeClaims, each a location of its own; the workers mount every one"
          + " (at /data/<index>) and the shards split the union of their files.")
  private List<StorageClaim> claims;

  @JsonPropertyDescription(
      "Every PersistentVolumeClaim of the namespace with these labels when the job starts, each a"
          + " location of its own.")
  private ClaimSelector selector;

  public PvcStorage getPersistentVolumeClaim() {
    return persistentVolumeClaim;
  }

  public void setPersistentVolumeClaim(PvcStorage persistentVolumeClaim) {
    this.persistentVolumeClaim = persistentVolumeClaim;
  }

  public List<StorageClaim> getClaims() {
    return claims;
  }

  public void setClaims(List<StorageClaim> claims) {
    this.claims = claims;
  }

  public ClaimSelector getSelector() {
    return selector;
  }

  public void setSelector(ClaimSelector selector) {
    this.selector = selector;
  }
}
