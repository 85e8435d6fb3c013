package dev.backfill.model;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.time.Duration;

/**
 * The adaptive throttle's settings ({@code tuning.throttle} in the spec, live in {@code
 * backfill.reorgs.throttle*}): whether it runs, the probe latency it tolerates as a multiple of the
 * idle baseline, the replicas' replay lag it tolerates, how many other active sessions it tolerates
 * (0: not watched), and the global rate it never goes below.
 */
@Internal
public final class ThrottleSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final double DEFAULT_MAX_LATENCY_RATIO = 2.0;
    public static final Duration DEFAULT_MAX_REPLICA_LAG = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_ACTIVE_SESSIONS = 0;
    public static final long DEFAULT_MIN_ROWS_PER_SECOND = 1000;

    private final boolean enabled;
    private final double maxLatencyRatio;
    private final Duration maxReplicaLag;
    private final int maxActiveSessions; // 0: not watched
    private final long minRowsPerSecond; // global, shared by the readers

    public ThrottleSettings(
            boolean enabled,
            double maxLatencyRatio,
            Duration maxReplicaLag,
            int maxActiveSessions,
            long minRowsPerSecond) {
        this.enabled = enabled;
        this.maxLatencyRatio = maxLatencyRatio;
        this.maxReplicaLag = maxReplicaLag;
        this.maxActiveSessions = maxActiveSessions;
        this.minRowsPerSecond = minRowsPerSecond;
    }

    /** On, with every default: what a spec without {@code tuning.throttle} gets. */
    public static ThrottleSettings defaults() {
        return new ThrottleSettings(
                true,
                DEFAULT_MAX_LATENCY_RATIO,
                DEFAULT_MAX_REPLICA_LAG,
                DEFAULT_MAX_ACTIVE_SESSIONS,
                DEFAULT_MIN_ROWS_PER_SECOND);
    }

    /** {@code throttle: off}. */
    public static ThrottleSettings off() {
        ThrottleSettings d = defaults();
        return new ThrottleSettings(
                false, d.maxLatencyRatio, d.maxReplicaLag, d.maxActiveSessions, d.minRowsPerSecond);
    }

    public boolean enabled() {
        return enabled;
    }

    public double maxLatencyRatio() {
        return maxLatencyRatio;
    }

    public Duration maxReplicaLag() {
        return maxReplicaLag;
    }

    public int maxActiveSessions() {
        return maxActiveSessions;
    }

    public long minRowsPerSecond() {
        return minRowsPerSecond;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThrottleSettings t
                && enabled == t.enabled
                && maxLatencyRatio == t.maxLatencyRatio
                && maxReplicaLag.equals(t.maxReplicaLag)
                && maxActiveSessions == t.maxActiveSessions
                && minRowsPerSecond == t.minRowsPerSecond;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                enabled, maxLatencyRatio, maxReplicaLag, maxActiveSessions, minRowsPerSecond);
    }

    @Override
    public String toString() {
        if (!enabled) {
            return "off";
        }
        return "{max-latency-ratio="
                + maxLatencyRatio
                + ", max-replica-lag="
                + maxReplicaLag
                + ", max-active-sessions="
                + maxActiveSessions
                + ", min-rows-per-second="
                + minRowsPerSecond
                + "}";
    }
}
