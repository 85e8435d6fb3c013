package dev.backfill.source.enumerator;

import dev.backfill.db.Catalog;
import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.metrics.RateWindow;
import dev.backfill.metrics.ReorgProgress;

import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The enumerator's job-wide progress gauges ({@code progressPercent}, {@code etaSeconds}, {@code
 * splitsRemaining}, {@code rowsPerSecond}) on the source coordinator's metric group (the job
 * manager's job metrics). {@link #refresh} reads the catalog on the enumerator's worker thread,
 * from the periodic refresh of {@code rows_done}; the gauges only return the cached reading.
 */
final class EnumeratorProgress {
    private static final Logger LOG = LoggerFactory.getLogger(EnumeratorProgress.class);

    private final long splitRows;
    private final RateWindow rate = RateWindow.tenSeconds();
    private volatile ReorgProgress current = ReorgProgress.UNKNOWN;
    private volatile boolean fullySplit;
    private long rowsEstimated = -1; // worker thread only
    private long lastRowsDone = -1; // worker thread only

    EnumeratorProgress(long splitRows) {
        this.splitRows = splitRows;
    }

    /** Registers the gauges; a context without a metric group (some tests) gets none. */
    void register(SplitEnumeratorContext<?> context) {
        MetricGroup group;
        try {
            group = context.metricGroup();
        } catch (RuntimeException e) {
            group = null;
        }
        if (group == null) {
            LOG.debug("no metric group for the enumerator; its gauges are not registered");
            return;
        }
        group.gauge(
                BackfillMetrics.PROGRESS_PERCENT, (Gauge<Double>) () -> current.progressPercent());
        group.gauge(BackfillMetrics.ETA_SECONDS, (Gauge<Long>) () -> current.etaSeconds());
        group.gauge(
                BackfillMetrics.SPLITS_REMAINING, (Gauge<Long>) () -> current.splitsRemaining());
        group.gauge(
                BackfillMetrics.ROWS_PER_SECOND,
                (Gauge<Long>) () -> Math.round(current.rowsPerSecond()));
    }

    /** Coordinator thread: whether the splitter has cut the last split of every table. */
    void setFullySplit(boolean fullySplit) {
        this.fullySplit = fullySplit;
    }

    /**
     * Worker thread, in the caller's transaction: reads the split counts (and, once, the estimate)
     * and caches a new reading.
     */
    ReorgProgress refresh(Connection c, String reorgId) throws SQLException {
        if (rowsEstimated < 0) {
            rowsEstimated = Catalog.find(c, reorgId).map(r -> r.rowsEstimated).orElse(0L);
        }
        Catalog.SplitCounts counts = Catalog.splitCounts(c, reorgId);
        long now = System.nanoTime();
        if (lastRowsDone < 0) {
            rate.start(now); // rows done before this job (a resume) are not this job's rate
        } else {
            rate.add(now, Math.max(0, counts.rowsScanned - lastRowsDone));
        }
        lastRowsDone = counts.rowsScanned;
        ReorgProgress p =
                ReorgProgress.of(
                        counts.rowsScanned,
                        rowsEstimated,
                        counts.splits,
                        counts.splitsDone,
                        fullySplit,
                        splitRows,
                        rate.ratePerSecond(now));
        current = p;
        return p;
    }

    ReorgProgress current() {
        return current;
    }
}
