package dev.keyops.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlTest {

  @Test
  void findsTheMetricsOfAnExpressionAndNothingElse() {
    assertEquals(
        Set.of("keyops_primary_key_age_seconds", "keyops_key_ring_rotation_period_seconds"),
        PromQl.metricNames(
            "max by (namespace, key_ring) (keyops_primary_key_age_seconds{state=\"a b\"}) > on"
                + " (namespace, key_ring) group_left (x) keyops_key_ring_rotation_period_seconds"
                + " unless on (namespace) vector(1) or 7776000"));
    assertEquals(
        Set.of("keyops_reencryption_bytes_total"),
        PromQl.metricNames(
            "sum by (namespace, key_ring) (rate(keyops_reencryption_bytes_total{namespace=~"
                + "\"$namespace\", key_ring=~\"$key_ring\"}[$__rate_interval])) * 1000"));
    assertEquals(
        Set.of("keyops_missing_metric", "up"),
        PromQl.metricNames("absent(keyops_missing_metric) and bool up offset 5m"));
  }
}
