package dev.backfill.source.reader;

import dev.backfill.model.RowBatch;
import dev.backfill.source.split.BackfillSplitState;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.connector.base.source.reader.RecordEmitter;

/**
 * Emits a page downstream and moves the split's checkpointed watermark to the page's last key. The
 * emit and the state change happen together on the task thread, so a checkpoint never has a
 * watermark ahead of the batches it emitted.
 */
@Internal
public final class BackfillRecordEmitter
        implements RecordEmitter<RowBatch, RowBatch, BackfillSplitState> {
    @Override
    public void emitRecord(
            RowBatch batch, SourceOutput<RowBatch> output, BackfillSplitState state) {
        output.collect(batch);
        if (batch.to() != null) {
            state.setWatermark(batch.to());
        }
    }
}
