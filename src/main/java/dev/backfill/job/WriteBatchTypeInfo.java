package dev.backfill.job;

import dev.backfill.model.WriteBatch;
import dev.backfill.source.RecordTypeInfo;

import org.apache.flink.annotation.Internal;

/**
 * The Flink type of {@link WriteBatch}, the operation's output: one field, serialized by {@link
 * WriteBatchSerializer}, so that the job runs with generic types disabled and a batch never goes
 * through Kryo. {@link OperationFunction} declares it as its result type.
 */
@Internal
public final class WriteBatchTypeInfo extends RecordTypeInfo<WriteBatch> {
    private static final long serialVersionUID = 1L;

    /** Stateless, so one instance serves every pipeline. */
    public static final WriteBatchTypeInfo INSTANCE = new WriteBatchTypeInfo();

    private WriteBatchTypeInfo() {
        super(WriteBatch.class, WriteBatchSerializer.INSTANCE);
    }
}
