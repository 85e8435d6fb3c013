package dev.backfill.throttle;

import org.apache.flink.annotation.Internal;

/**
 * One reading of the database, taken by a {@link Throttle} tick.
 *
 * @param latencyMillis the probe's round trip this tick: the tail of the probes of the last two
 *     seconds ({@link ProbeWindow#tail})
 * @param activeOthers active client sessions that are not this reorg's
 * @param waitingOnUs sessions waiting on a lock held by one of this reorg's sessions
 * @param replicaLagMillis the largest {@code replay_lag} of the replicas, or -1 without replicas
 * @param observedRowsPerSecond the rows this reader read per second since the last tick
 * @param applicationSeen whether other client sessions were seen at work lately (see {@code
 *     ReaderThrottle}): without them a slow probe is only the backfill's own load, which slows
 *     nobody, and latency is not a reason to throttle
 */
@Internal
public record Signals(
        double latencyMillis,
        int activeOthers,
        int waitingOnUs,
        long replicaLagMillis,
        double observedRowsPerSecond,
        boolean applicationSeen) {
    /** Signals with the application seen at work. */
    public Signals(
            double latencyMillis,
            int activeOthers,
            int waitingOnUs,
            long replicaLagMillis,
            double observedRowsPerSecond) {
        this(
                latencyMillis,
                activeOthers,
                waitingOnUs,
                replicaLagMillis,
                observedRowsPerSecond,
                true);
    }
}
