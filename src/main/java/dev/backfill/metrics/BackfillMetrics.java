package dev.backfill.metrics;

import org.apache.flink.annotation.Internal;

/**
 * The names of Backfill's Flink metrics, in one place for the operators and the tests. Where each
 * one lives is described in the README (section "Metrics").
 */
@Internal
public final class BackfillMetrics {
    private BackfillMetrics() {}

    // source reader (task)
    public static final String ROWS_SCANNED = "rowsScanned";

    // source reader (task): the adaptive throttle's cap of this subtask (rows/s, 0 = uncapped)
    // and its reason (none, latency, lock-waits, active-sessions, replica-lag, recovering, off)
    public static final String THROTTLE_RATE = "throttleRate";
    public static final String THROTTLE_REASON = "throttleReason";

    // sink writer (task)
    public static final String ROWS_WRITTEN = "rowsWritten";
    public static final String ROWS_SKIPPED = "rowsSkipped";
    public static final String BATCHES_COMMITTED = "batchesCommitted";
    public static final String BATCHES_RETRIED = "batchesRetried";
    public static final String ROWS_REDONE = "rowsRedone";
    public static final String BATCHES_BY_RANGE = "batchesByRange";
    public static final String BATCH_COMMIT_MILLIS = "batchCommitMillis";

    // finalizer (task, parallelism 1): rows repaired at verification; 0 in every fault-free run
    public static final String ROWS_REPAIRED = "rowsRepaired";

    // gauges: job-wide on the enumerator (and mirrored on the source readers), rowsPerSecond also
    // per subtask on the sink writer
    public static final String PROGRESS_PERCENT = "progressPercent";
    public static final String ETA_SECONDS = "etaSeconds";
    public static final String SPLITS_REMAINING = "splitsRemaining";
    public static final String ROWS_PER_SECOND = "rowsPerSecond";

    /** Batches kept by the {@code batchCommitMillis} histogram for its statistics. */
    public static final int HISTOGRAM_WINDOW = 1000;
}
