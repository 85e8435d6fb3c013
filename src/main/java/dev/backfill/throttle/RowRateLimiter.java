package dev.backfill.throttle;

import org.apache.flink.annotation.Internal;

/**
 * Keeps one reader under its share of {@code max-rows-per-second}: the global rate divided by the
 * number of readers, and under the adaptive throttle's cap for this reader ({@link
 * #setThrottleRate}), whichever is lower. A simple pacing limiter: after each page it waits until
 * the rows read so far fit the rate since the limiter started (with at most one second of credit
 * saved up). Zero means unlimited.
 */
@Internal
public final class RowRateLimiter {
    private double rowsPerSecond;
    private double capRowsPerSecond; // max-rows-per-second's share; 0: none
    private double throttleRowsPerSecond; // the adaptive throttle's cap; 0: none
    private long startNanos = -1;
    private double allowance;
    private long lastNanos;

    public RowRateLimiter(long globalRowsPerSecond, int readers) {
        setRate(globalRowsPerSecond, readers);
    }

    /** Changes {@code max-rows-per-second} (a live knob); see {@link #apply()}. */
    public synchronized void setRate(long globalRowsPerSecond, int readers) {
        capRowsPerSecond =
                globalRowsPerSecond <= 0 ? 0 : (double) globalRowsPerSecond / Math.max(1, readers);
        apply();
    }

    /** Sets the adaptive throttle's cap of this reader, rows/s; 0: none. */
    public synchronized void setThrottleRate(long readerRowsPerSecond) {
        throttleRowsPerSecond = Math.max(0, readerRowsPerSecond);
        apply();
    }

    /** The effective rate of this reader, rows/s; 0: unlimited. */
    public synchronized double rowsPerSecond() {
        return rowsPerSecond;
    }

    /**
     * Sets the effective rate, the lower of the two caps. Starting to pace restarts the clock with
     * one second of credit; a change while pacing keeps what is owed.
     */
    private void apply() {
        double r;
        if (capRowsPerSecond == 0) {
            r = throttleRowsPerSecond;
        } else if (throttleRowsPerSecond == 0) {
            r = capRowsPerSecond;
        } else {
            r = Math.min(capRowsPerSecond, throttleRowsPerSecond);
        }
        if (r == rowsPerSecond) {
            return;
        }
        if (r > 0 && rowsPerSecond > 0 && startNanos >= 0) {
            // A change while pacing (the throttle changes the rate every second while it
            // recovers): keep the debt or credit, capped at one second at the new rate, so that
            // a change never hands out a fresh second of credit.
            allowance = Math.min(allowance, r);
        } else {
            startNanos = -1;
        }
        rowsPerSecond = r;
    }

    public boolean unlimited() {
        return rowsPerSecond == 0;
    }

    /**
     * How long to wait, in nanoseconds, after reading {@code rows} more rows at time {@code now}.
     */
    public synchronized long delayNanos(long rows, long now) {
        if (unlimited()) {
            return 0;
        }
        if (startNanos < 0) {
            startNanos = now;
            lastNanos = now;
            allowance = rowsPerSecond; // one second of credit at start
        }
        allowance = Math.min(rowsPerSecond, allowance + (now - lastNanos) / 1e9 * rowsPerSecond);
        lastNanos = now;
        allowance -= rows;
        if (allowance >= 0) {
            return 0;
        }
        return (long) (-allowance / rowsPerSecond * 1e9);
    }

    /** Waits after a page of {@code rows} rows, as needed. */
    public void acquire(long rows) throws InterruptedException {
        long delay = delayNanos(rows, System.nanoTime());
        if (delay > 0) {
            Thread.sleep(
                    delay / 1_000_000, (int) (delay % 1_000_000)); // pacing, not synchronisation
        }
    }
}
