package dev.keyops.reencryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.keyops.api.v1alpha1.PartitionTotals;
import dev.keyops.rekey.WorkerResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shards' counts add up; Parquet counts appear only when some shard found Parquet files. */
class ResultAggregationTest {

  static WorkerResult shard(long total, long parquet, long plaintextParquet) {
    WorkerResult r = new WorkerResult();
    r.total = total;
    r.rebuilt = total;
    r.parquet = parquet;
    r.plaintextParquet = plaintextParquet;
    r.foreign = plaintextParquet;
    return r;
  }

  @Test
  void parquetCountsAddUpAcrossShardsAndStayAbsentWithoutParquet() {
    PartitionTotals t =
        ResultAggregation.aggregate(List.of(shard(5, 3, 1), shard(4, 2, 0)), 2).partitions();
    assertEquals(9L, t.getTotal());
    assertEquals(5L, t.getParquet());
    assertEquals(1L, t.getPlaintextParquet());

    PartitionTotals none =
        ResultAggregation.aggregate(List.of(shard(5, 0, 0), shard(4, 0, 0)), 2).partitions();
    assertEquals(9L, none.getTotal());
    assertNull(none.getParquet(), "a rebuild of partitions alone reads as it always did");
    assertNull(none.getPlaintextParquet());
  }
}
