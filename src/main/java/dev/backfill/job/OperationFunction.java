package dev.backfill.job;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.Operation;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;

/**
 * The operation transform of the pipeline: Flink wiring around a pure {@link Operation}. It
 * declares its output type ({@link WriteBatchTypeInfo}), so that Flink neither analyses {@link
 * WriteBatch} by reflection nor falls back to Kryo for it.
 */
@Internal
public final class OperationFunction
        implements MapFunction<RowBatch, WriteBatch>, ResultTypeQueryable<WriteBatch> {
    private static final long serialVersionUID = 1L;

    private final Operation operation;

    public OperationFunction(Operation operation) {
        this.operation = operation;
    }

    @Override
    public WriteBatch map(RowBatch batch) {
        return operation.apply(batch);
    }

    @Override
    public TypeInformation<WriteBatch> getProducedType() {
        return WriteBatchTypeInfo.INSTANCE;
    }
}
