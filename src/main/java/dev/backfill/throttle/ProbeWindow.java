package dev.backfill.throttle;

import org.apache.flink.annotation.Internal;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * The probe latencies of the last {@link #span} nanoseconds, and their tail: the statistic the
 * throttle compares with its {@link Baseline}. Pure: the caller passes the clock.
 *
 * <p>The tail is the nearest-rank 90th percentile ({@link #tail}). A median (what the first version
 * used, three probes back to back once a second) stays flat while the application's p99 grows
 * tenfold: the slow moments are short and rare, and three probes in one instant miss them. Probes
 * spread over the span and their 90th percentile see them, while one stray slow probe (a probe that
 * met an autovacuum's fsync, say) is still ignored in a window of ten.
 */
@Internal
public final class ProbeWindow {
    private final long span;
    private final Deque<long[]> samples = new ArrayDeque<>(); // {nanos, micros}

    /**
     * @param spanNanos how far back a sample counts
     */
    public ProbeWindow(long spanNanos) {
        this.span = spanNanos;
    }

    /** Adds a probe's latency, taken at {@code now}. */
    public synchronized void add(long now, double millis) {
        samples.addLast(new long[] {now, Math.round(millis * 1000)});
        evict(now);
    }

    /** The samples still in the window at {@code now}, in milliseconds. */
    public synchronized double[] samples(long now) {
        evict(now);
        return samples.stream().mapToDouble(s -> s[1] / 1000.0).toArray();
    }

    private void evict(long now) {
        while (!samples.isEmpty() && now - samples.peekFirst()[0] > span) {
            samples.removeFirst();
        }
    }

    /**
     * The nearest-rank 90th percentile: of ten samples the second highest, of five or fewer the
     * highest. {@code NaN} without samples.
     */
    public static double tail(double... samples) {
        if (samples.length == 0) {
            return Double.NaN;
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(0.9 * s.length);
        return s[Math.max(0, rank - 1)];
    }
}
