package dev.backfill.job;

import dev.backfill.op.Operation;
import dev.backfill.op.WriteBatch;
import dev.backfill.source.reader.RowBatch;

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
