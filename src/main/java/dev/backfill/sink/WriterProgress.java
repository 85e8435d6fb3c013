package dev.backfill.sink;

import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.metrics.LogCadence;
import dev.backfill.metrics.RateWindow;
import dev.backfill.model.WriteBatch;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a sink writer reports about its committed batches, in metrics and logs, like the seed's
 * backfill workers:
 *
 * <ul>
 *   <li>histogram {@code batchCommitMillis}: per committed batch, from the start of its first
 *       attempt to its commit (retries and their backoff included);
 *   <li>gauge {@code rowsPerSecond}: rows of this subtask's committed batches per second over the
 *       last 10 s (cached arithmetic, no I/O);
 *   <li>INFO, one line each time this subtask's committed rows pass a multiple of 30,000: rows so
 *       far, rate, the current key and split;
 *   <li>INFO, one line per split finished here: rows and time in this run;
 *   <li>WARN for a batch slower than 3 s (split, range, rows, duration), and for a batch that
 *       committed only after retries (the retries themselves are logged by {@code Retry}).
 * </ul>
 *
 * Nothing is logged per row. Called on the task thread only; times are passed in.
 */
final class WriterProgress {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillSinkWriter.class);
    static final Duration SLOW_BATCH = Duration.ofSeconds(3);

    private final String reorgId;
    private final int subtask;
    private final Histogram commitMillis;
    private final RateWindow rate = RateWindow.tenSeconds();
    private final LogCadence cadence = new LogCadence(LogCadence.WRITER_ROWS);
    private final Map<String, long[]> splits = new HashMap<>(); // split -> {rows, start nanos}
    private long rows;

    WriterProgress(String reorgId, int subtask, MetricGroup metrics) {
        this.reorgId = reorgId;
        this.subtask = subtask;
        this.commitMillis =
                metrics.histogram(
                        BackfillMetrics.BATCH_COMMIT_MILLIS,
                        new DescriptiveStatisticsHistogram(BackfillMetrics.HISTOGRAM_WINDOW));
        metrics.gauge(
                BackfillMetrics.ROWS_PER_SECOND,
                (Gauge<Long>) () -> Math.round(rate.ratePerSecond(System.nanoTime())));
        rate.start(System.nanoTime());
    }

    /** Rows of the batches this writer committed in this run. */
    long rows() {
        return rows;
    }

    double ratePerSecond(long nowNanos) {
        return rate.ratePerSecond(nowNanos);
    }

    /**
     * A batch was committed: it started (its first attempt) at {@code startNanos}, committed at
     * {@code endNanos}, after {@code retries} retries.
     */
    void committed(WriteBatch batch, int retries, long startNanos, long endNanos) {
        long millis = (endNanos - startNanos) / 1_000_000;
        commitMillis.update(millis);
        rows += batch.size();
        rate.add(endNanos, batch.size());
        long[] split = splits.computeIfAbsent(batch.splitId(), s -> new long[] {0, startNanos});
        split[0] += batch.size();

        if (millis >= SLOW_BATCH.toMillis()) {
            LOG.warn(
                    "reorg {}: slow batch on subtask {}: split {} {} of {} rows took {} ms"
                            + " (over {} ms){}",
                    reorgId,
                    subtask,
                    batch.splitId(),
                    range(batch),
                    batch.size(),
                    millis,
                    SLOW_BATCH.toMillis(),
                    retries > 0 ? ", " + retries + " retries" : "");
        } else if (retries > 0) {
            LOG.warn(
                    "reorg {}: batch on subtask {}: split {} {} of {} rows committed after {}"
                            + " retries, in {} ms",
                    reorgId,
                    subtask,
                    batch.splitId(),
                    range(batch),
                    batch.size(),
                    retries,
                    millis);
        }
        if (cadence.due(rows)) {
            LOG.info(
                    "reorg {}: subtask {} has committed {} rows, {} rows/s; at key {} of split {}",
                    reorgId,
                    subtask,
                    String.format(Locale.ROOT, "%,d", rows),
                    String.format(Locale.ROOT, "%,.0f", rate.ratePerSecond(endNanos)),
                    batch.source().to(),
                    batch.splitId());
        }
        if (batch.source().last()) {
            splits.remove(batch.splitId());
            long splitMillis = (endNanos - split[1]) / 1_000_000;
            LOG.info(
                    "reorg {}: split {} done on subtask {}: {} rows in {} ms ({} rows/s)",
                    reorgId,
                    batch.splitId(),
                    subtask,
                    String.format(Locale.ROOT, "%,d", split[0]),
                    splitMillis,
                    String.format(
                            Locale.ROOT, "%,.0f", split[0] * 1000.0 / Math.max(1, splitMillis)));
        }
    }

    private static String range(WriteBatch b) {
        return "(" + b.source().from() + ", " + b.source().to() + "]";
    }
}
