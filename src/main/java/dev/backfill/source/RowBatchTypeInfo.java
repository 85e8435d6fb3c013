package dev.backfill.source;

import dev.backfill.model.RowBatch;

import org.apache.flink.annotation.Internal;

/**
 * The Flink type of {@link RowBatch}, the source's record type: one field, serialized by {@link
 * RowBatchSerializer}, so that the job runs with generic types disabled and a batch never goes
 * through Kryo. {@code job.BackfillPipeline} declares the source with it.
 */
@Internal
public final class RowBatchTypeInfo extends RecordTypeInfo<RowBatch> {
    private static final long serialVersionUID = 1L;

    /** Stateless, so one instance serves every pipeline. */
    public static final RowBatchTypeInfo INSTANCE = new RowBatchTypeInfo();

    private RowBatchTypeInfo() {
        super(RowBatch.class, RowBatchSerializer.INSTANCE);
    }
}
