package dev.backfill.throttle;

import java.util.Arrays;

/**
 * The probe's idle latency, measured before a reader's first page: the median of several probes
 * (robust to a few slow ones), and the latency above which the probe counts as slow: {@code
 * max-latency-ratio} times the baseline, but never less than the baseline plus {@link
 * #MIN_SLACK_MILLIS} (a probe of 0.2 ms idle is not slow at 0.5 ms: sub-millisecond jitter is not
 * the application suffering).
 */
public final class Baseline {
    /** Probes taken for the baseline. */
    public static final int SAMPLES = 9;

    /** The smallest latency increase, in milliseconds, that counts as slow. */
    public static final double MIN_SLACK_MILLIS = 2.0;

    private final double millis;

    private Baseline(double millis) {
        this.millis = millis;
    }

    /** The baseline of these probe latencies (milliseconds); at least one. */
    public static Baseline of(double... samples) {
        return new Baseline(median(samples));
    }

    public double millis() {
        return millis;
    }

    /** The latency above which the probe is slow, for {@code maxLatencyRatio}. */
    public double thresholdMillis(double maxLatencyRatio) {
        return Math.max(millis * maxLatencyRatio, millis + MIN_SLACK_MILLIS);
    }

    /** The median: the middle value, or the mean of the two middle values. */
    public static double median(double... samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.3f ms", millis);
    }
}
