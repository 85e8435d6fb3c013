package dev.backfill.throttle;

/**
 * One reading of the database, taken by a {@link Throttle} tick.
 *
 * @param latencyMillis the probe's round trip this tick (the median of a few probes)
 * @param activeOthers active client sessions that are not this reorg's
 * @param waitingOnUs sessions waiting on a lock held by one of this reorg's sessions
 * @param replicaLagMillis the largest {@code replay_lag} of the replicas, or -1 without replicas
 * @param observedRowsPerSecond the rows this reader read per second since the last tick
 */
public record Signals(
        double latencyMillis,
        int activeOthers,
        int waitingOnUs,
        long replicaLagMillis,
        double observedRowsPerSecond) {}
