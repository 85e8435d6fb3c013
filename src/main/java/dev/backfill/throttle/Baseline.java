package dev.backfill.throttle;

import org.apache.flink.annotation.Internal;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * The probe's idle latency, measured before a reader's first page: the {@link ProbeWindow#tail}
 * (90th percentile) of {@link #SAMPLES} probes spread over {@link #SPREAD_MILLIS} ms, the same
 * statistic the ticks compare with it, and the latency above which the probe counts as slow: {@code
 * max-latency-ratio} times the baseline, but never less than the baseline plus {@link
 * #MIN_SLACK_MILLIS} (sub-millisecond jitter is not the application suffering).
 */
@Internal
public final class Baseline {
    /** Probes taken for the baseline. */
    public static final int SAMPLES = 20;

    /** Over how long the baseline's probes are spread, in milliseconds. */
    public static final long SPREAD_MILLIS = 300;

    /** The smallest latency increase, in milliseconds, that counts as slow. */
    public static final double MIN_SLACK_MILLIS = 1.0;

    private final double millis;

    private Baseline(double millis) {
        this.millis = millis;
    }

    /** The baseline of these probe latencies (milliseconds): their tail; at least one. */
    public static Baseline of(double... samples) {
        checkArgument(samples.length != 0, "no samples");
        return new Baseline(ProbeWindow.tail(samples));
    }

    public double millis() {
        return millis;
    }

    /** The latency above which the probe is slow, for {@code maxLatencyRatio}. */
    public double thresholdMillis(double maxLatencyRatio) {
        return Math.max(millis * maxLatencyRatio, millis + MIN_SLACK_MILLIS);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.3f ms", millis);
    }
}
