package dev.backfill.job;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.Operation;

import org.apache.flink.api.common.functions.MapFunction;

/** The operation transform of the pipeline: Flink wiring around a pure {@link Operation}. */
public final class OperationFunction implements MapFunction<RowBatch, WriteBatch> {
    private static final long serialVersionUID = 1L;

    private final Operation operation;

    public OperationFunction(Operation operation) {
        this.operation = operation;
    }

    @Override
    public WriteBatch map(RowBatch batch) {
        return operation.apply(batch);
    }
}
