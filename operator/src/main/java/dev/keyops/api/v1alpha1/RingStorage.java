package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * The locations a key ring's data is declared to live on: claims, a label selector over claims, or
 * both. The drop guard needs a fresh scan of each before a Retired key goes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.claims) || has(self.selector)",
    message = "storage: set claims, selector or both (the locations of the key ring's data)")
public class RingStorage {

  @Size(min = 1, max = 64)
  @JsonPropertyDescription(
      "PersistentVolumeClaims holding the ring's partitions, each a location (<claimName> or"
          + " <claimName>/<subPath>).")
  private List<StorageClaim> claims;

  @JsonPropertyDescription(
      "Every PersistentVolumeClaim of the namespace with these labels is a location, including"
          + " claims created later (a StatefulSet's per-replica claims).")
  private ClaimSelector selector;

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
