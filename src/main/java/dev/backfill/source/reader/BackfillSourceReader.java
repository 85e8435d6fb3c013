package dev.backfill.source.reader;

import dev.backfill.job.ReorgPlan;
import dev.backfill.source.split.BackfillSplit;
import dev.backfill.source.split.BackfillSplitState;

import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.SingleThreadMultiplexSourceReaderBase;
import org.apache.flink.metrics.Counter;

import java.util.Map;

/**
 * The source reader of one subtask: one fetcher thread running a {@link BackfillSplitReader}. It
 * asks the enumerator for a split at start and again each time one finishes, so splits flow to
 * whichever subtask is free.
 */
public final class BackfillSourceReader
        extends SingleThreadMultiplexSourceReaderBase<
                RowBatch, RowBatch, BackfillSplit, BackfillSplitState> {

    public BackfillSourceReader(ReorgPlan plan, Configuration config, SourceReaderContext context) {
        this(
                plan,
                config,
                context,
                context.metricGroup().counter("rowsScanned"),
                new RowRateLimiter(
                        plan.spec().tuning().maxRowsPerSecond(), context.currentParallelism()));
    }

    private BackfillSourceReader(
            ReorgPlan plan,
            Configuration config,
            SourceReaderContext context,
            Counter rowsScanned,
            RowRateLimiter rateLimiter) {
        // One counter and one limiter per subtask, shared by the split readers Flink creates.
        super(
                () ->
                        new BackfillSplitReader(
                                plan, context.currentParallelism(), rowsScanned, rateLimiter),
                new BackfillRecordEmitter(),
                config,
                context);
    }

    @Override
    public void start() {
        // Restored splits (if any) are added before start(); ask for more only when idle.
        if (getNumberOfCurrentlyAssignedSplits() == 0) {
            context.sendSplitRequest();
        }
    }

    @Override
    protected void onSplitFinished(Map<String, BackfillSplitState> finishedSplitIds) {
        context.sendSplitRequest();
    }

    @Override
    protected BackfillSplitState initializedState(BackfillSplit split) {
        return new BackfillSplitState(split);
    }

    @Override
    protected BackfillSplit toSplitType(String splitId, BackfillSplitState state) {
        return state.toSplit();
    }
}
