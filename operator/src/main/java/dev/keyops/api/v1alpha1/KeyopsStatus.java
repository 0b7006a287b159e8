package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What every keyops status has: its conditions and the metadata.generation they describe. Each
 * kind's status extends it and documents its own condition types on {@link #getConditions}.
 * Conditions are changed through {@code dev.keyops.status.StatusBuilder}, which sets transition
 * times and kstatus in one place.
 */
public abstract class KeyopsStatus {

  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  /** The condition of this type, if the status has one. */
  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether the condition of this type is present and True. */
  @JsonIgnore
  public boolean isTrue(String type) {
    return condition(type).map(c -> Objects.equals("True", c.getStatus())).orElse(false);
  }
}
