package dev.backfill.source.reader;

import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.metrics.ReorgProgress;
import dev.backfill.model.RowBatch;
import dev.backfill.op.ReorgPlan;
import dev.backfill.source.ProgressEvent;
import dev.backfill.source.ReaderFinishedEvent;
import dev.backfill.source.split.BackfillSplit;
import dev.backfill.source.split.BackfillSplitState;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.SingleThreadMultiplexSourceReaderBase;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.Map;

/**
 * The source reader of one subtask: one fetcher thread running a {@link BackfillSplitReader}. It
 * asks the enumerator for a split at start and again each time one finishes, so splits flow to
 * whichever subtask is free.
 *
 * <p>Metrics (task, source operator): {@code rowsScanned}, and the job-wide {@code
 * progressPercent}, {@code etaSeconds} and {@code splitsRemaining} as the enumerator last sent them
 * (every 2 s, see {@link ProgressEvent}): the web UI's task metrics show them without any database
 * read here. When it has read its last split, the reader tells the enumerator ({@link
 * ReaderFinishedEvent}), which then refreshes the job-wide numbers at once. The adaptive throttle
 * ({@link ReaderThrottle}) adds {@code throttleRate} (this subtask's cap, rows/s, 0 when uncapped)
 * and {@code throttleReason} ({@link dev.backfill.throttle.Reason#text()}).
 */
@Internal
public final class BackfillSourceReader
        extends SingleThreadMultiplexSourceReaderBase<
                RowBatch, RowBatch, BackfillSplit, BackfillSplitState> {

    private volatile ReorgProgress progress = ReorgProgress.UNKNOWN;
    private final ReaderThrottle throttle;
    private boolean sentFinished;

    public BackfillSourceReader(ReorgPlan plan, Configuration config, SourceReaderContext context) {
        this(
                plan,
                config,
                context,
                context.metricGroup().counter(BackfillMetrics.ROWS_SCANNED),
                new RowRateLimiter(
                        plan.spec().tuning().maxRowsPerSecond(), context.currentParallelism()));
    }

    private BackfillSourceReader(
            ReorgPlan plan,
            Configuration config,
            SourceReaderContext context,
            Counter rowsScanned,
            RowRateLimiter rateLimiter) {
        this(
                plan,
                config,
                context,
                rowsScanned,
                rateLimiter,
                new ReaderThrottle(plan, context.currentParallelism(), rateLimiter));
    }

    private BackfillSourceReader(
            ReorgPlan plan,
            Configuration config,
            SourceReaderContext context,
            Counter rowsScanned,
            RowRateLimiter rateLimiter,
            ReaderThrottle throttle) {
        // One counter, one limiter and one throttle per subtask, shared by the split readers
        // Flink creates.
        super(
                () ->
                        new BackfillSplitReader(
                                plan,
                                context.currentParallelism(),
                                rowsScanned,
                                rateLimiter,
                                throttle),
                new BackfillRecordEmitter(),
                config,
                context);
        this.throttle = throttle;
        registerProgressGauges(context.metricGroup());
        context.metricGroup().gauge(BackfillMetrics.THROTTLE_RATE, (Gauge<Long>) throttle::rate);
        context.metricGroup()
                .gauge(
                        BackfillMetrics.THROTTLE_REASON,
                        (Gauge<String>) () -> throttle.reason().text());
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            throttle.shutdown();
        }
    }

    private void registerProgressGauges(MetricGroup group) {
        group.gauge(
                BackfillMetrics.PROGRESS_PERCENT, (Gauge<Double>) () -> progress.progressPercent());
        group.gauge(BackfillMetrics.ETA_SECONDS, (Gauge<Long>) () -> progress.etaSeconds());
        group.gauge(
                BackfillMetrics.SPLITS_REMAINING, (Gauge<Long>) () -> progress.splitsRemaining());
    }

    @Override
    public void start() {
        // Restored splits (if any) are added before start(); ask for more only when idle.
        if (getNumberOfCurrentlyAssignedSplits() == 0) {
            context.sendSplitRequest();
        }
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        if (event instanceof ProgressEvent) {
            progress = ((ProgressEvent) event).progress();
        } else {
            super.handleSourceEvents(event);
        }
    }

    @Override
    public InputStatus pollNext(ReaderOutput<RowBatch> output) throws Exception {
        InputStatus status = super.pollNext(output);
        if (status == InputStatus.END_OF_INPUT && !sentFinished) {
            // Every batch this reader emitted has gone through its chained writer by now.
            sentFinished = true;
            context.sendSourceEventToCoordinator(new ReaderFinishedEvent());
        }
        return status;
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
