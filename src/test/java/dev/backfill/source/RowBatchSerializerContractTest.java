package dev.backfill.source;

import dev.backfill.model.RowBatch;

import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.testutils.DeeplyEqualsChecker;

/**
 * Flink's own contract tests for a {@link TypeSerializer} (copy, reuse, sequences, snapshot and
 * restore, duplication, Java serialization), run on {@link RowBatchSerializer}.
 */
class RowBatchSerializerContractTest extends SerializerTestBase<RowBatch> {

    /** RowBatch has no equals: its instances are compared field by field. */
    RowBatchSerializerContractTest() {
        super(
                new DeeplyEqualsChecker()
                        .withCustomCheck(
                                (a, b) -> a instanceof RowBatch && b instanceof RowBatch,
                                (a, b, checker) -> RowBatches.equal((RowBatch) a, (RowBatch) b)));
    }

    @Override
    protected TypeSerializer<RowBatch> createSerializer() {
        return RowBatchSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<RowBatch> getTypeClass() {
        return RowBatch.class;
    }

    @Override
    protected RowBatch[] getTestData() {
        return RowBatches.samples();
    }

    /** A batch has no empty form: {@code createInstance()} is null. */
    @Override
    protected boolean allowNullInstances(TypeSerializer<RowBatch> serializer) {
        return true;
    }
}
