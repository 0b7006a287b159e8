package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Operator-generated key material; has no settings. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ManagedProvider {}
