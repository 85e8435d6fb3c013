package dev.backfill.metrics;

import org.apache.flink.annotation.Internal;

import java.time.Duration;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Rows per second over a sliding window, for the {@code rowsPerSecond} gauges. Rows are added as
 * they are done, into time buckets; the rate is the rows of the buckets inside the window divided
 * by the time they cover (since the window's oldest bucket began, or since the first row when that
 * is later, but at least one bucket). Nothing done for a whole window gives 0. Reading the rate
 * only computes: no I/O.
 *
 * <p>Times are {@link System#nanoTime()} values, passed in so that the arithmetic is testable.
 * Thread-safe: the task or worker thread adds, the metric reporter reads.
 */
@Internal
public final class RateWindow {
    private final long bucketNanos;
    private final long[] rows;
    private final long[] bucketIds;
    private long firstNanos = Long.MIN_VALUE;

    /** A window of {@code window}, in {@code buckets} buckets. */
    public RateWindow(Duration window, int buckets) {
        checkArgument(
                buckets >= 1 && window.toNanos() >= buckets,
                "window %s cannot have %s buckets",
                window,
                buckets);
        this.bucketNanos = window.toNanos() / buckets;
        this.rows = new long[buckets];
        this.bucketIds = new long[buckets];
        java.util.Arrays.fill(bucketIds, Long.MIN_VALUE);
    }

    /** The default window: the last 10 seconds, in 1-second buckets. */
    public static RateWindow tenSeconds() {
        return new RateWindow(Duration.ofSeconds(10), 10);
    }

    /** Starts the clock without any rows: the rate then counts from {@code nowNanos}. */
    public synchronized void start(long nowNanos) {
        if (firstNanos == Long.MIN_VALUE) {
            firstNanos = nowNanos;
        }
    }

    /** Records {@code count} rows done at {@code nowNanos}. */
    public synchronized void add(long nowNanos, long count) {
        start(nowNanos);
        long id = Math.floorDiv(nowNanos, bucketNanos);
        int slot = (int) Math.floorMod(id, (long) rows.length);
        if (bucketIds[slot] != id) {
            bucketIds[slot] = id;
            rows[slot] = 0;
        }
        rows[slot] += count;
    }

    /** Rows per second over the window ending at {@code nowNanos}; 0 before anything started. */
    public synchronized double ratePerSecond(long nowNanos) {
        if (firstNanos == Long.MIN_VALUE) {
            return 0;
        }
        long nowId = Math.floorDiv(nowNanos, bucketNanos);
        long oldestId = nowId - rows.length + 1;
        long sum = 0;
        for (int i = 0; i < rows.length; i++) {
            if (bucketIds[i] >= oldestId && bucketIds[i] <= nowId) {
                sum += rows[i];
            }
        }
        long from = Math.max(firstNanos, oldestId * bucketNanos);
        // At least one bucket: a few rows just after the start are not a burst of millions a
        // second.
        long span = Math.max(bucketNanos, nowNanos - from);
        return sum / (span / 1e9);
    }
}
