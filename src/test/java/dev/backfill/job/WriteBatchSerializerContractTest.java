package dev.backfill.job;

import dev.backfill.model.WriteBatch;

import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.testutils.DeeplyEqualsChecker;

/**
 * Flink's own contract tests for a {@link TypeSerializer} (copy, reuse, sequences, snapshot and
 * restore, duplication, Java serialization), run on {@link WriteBatchSerializer}.
 */
class WriteBatchSerializerContractTest extends SerializerTestBase<WriteBatch> {

    /** WriteBatch has no equals: its instances are compared field by field. */
    WriteBatchSerializerContractTest() {
        super(
                new DeeplyEqualsChecker()
                        .withCustomCheck(
                                (a, b) -> a instanceof WriteBatch && b instanceof WriteBatch,
                                (a, b, checker) ->
                                        WriteBatches.equal((WriteBatch) a, (WriteBatch) b)));
    }

    @Override
    protected TypeSerializer<WriteBatch> createSerializer() {
        return WriteBatchSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<WriteBatch> getTypeClass() {
        return WriteBatch.class;
    }

    @Override
    protected WriteBatch[] getTestData() {
        return WriteBatches.samples();
    }

    /** A batch has no empty form: {@code createInstance()} is null. */
    @Override
    protected boolean allowNullInstances(TypeSerializer<WriteBatch> serializer) {
        return true;
    }
}
