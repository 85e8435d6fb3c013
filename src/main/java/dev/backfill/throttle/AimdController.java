package dev.backfill.throttle;

import dev.backfill.model.ThrottleSettings;

import org.apache.flink.annotation.Internal;

/**
 * The adaptive throttle's decision, one reader's rate, from one {@link Signals} reading a tick
 * (AIMD: additive increase, multiplicative decrease). Pure: no clock, no database.
 *
 * <ul>
 *   <li>Uncapped while every signal is within its limit: the throttle never slows an idle database.
 *   <li>The first slow signal caps the rate at half the rate observed since the last tick (that
 *       observed rate becomes the <em>ceiling</em>). While a signal stays over its limit, the cap
 *       halves again every {@link #COOLDOWN_TICKS} ticks (the wait lets a decrease take effect
 *       before the next one), down to the floor ({@code min-rows-per-second}).
 *   <li>Once every signal is fine, the cap grows by {@link #INCREASE_FRACTION} of the ceiling a
 *       tick; when it reaches the ceiling, the rate is uncapped again.
 * </ul>
 *
 * Signals are checked in this order, and the first one over its limit is the reason: lock waits on
 * this reorg's sessions, replica lag, other active sessions, probe latency (only while other client
 * sessions are seen at work: a slow probe on a database nobody else uses is the backfill's own
 * load, and slowing down for it would only make the backfill slower). A first slow signal seen
 * before the reader has read anything (no observed rate) is reported but caps nothing yet.
 */
@Internal
public final class AimdController {
    /** The factor of a decrease. */
    public static final double DECREASE = 0.5;

    /** The additive increase per tick, as a fraction of the ceiling. */
    public static final double INCREASE_FRACTION = 0.1;

    /** Ticks between two decreases. */
    public static final int COOLDOWN_TICKS = 2;

    private double limit; // rows/s of this reader; 0: uncapped
    private double ceiling;
    private int ticksSinceDecrease = Integer.MAX_VALUE / 2;
    private Reason reason = Reason.NONE;

    /** A decision: this reader's rate cap (0: uncapped) and why. */
    public record Decision(long rowsPerSecond, Reason reason) {}

    /**
     * The decision for this tick.
     *
     * @param floor this reader's share of {@code min-rows-per-second}
     */
    public Decision tick(Signals s, Baseline baseline, ThrottleSettings settings, double floor) {
        if (!settings.enabled()) {
            limit = 0;
            reason = Reason.OFF;
            return decision();
        }
        Reason slow = slowSignal(s, baseline, settings);
        ticksSinceDecrease++;
        if (limit > 0 && limit < floor) {
            limit = floor; // a floor raised live applies at once
        }
        if (slow != Reason.NONE) {
            reason = slow;
            if (limit == 0) {
                if (s.observedRowsPerSecond() > 0) {
                    ceiling = Math.max(s.observedRowsPerSecond(), floor);
                    limit = Math.max(floor, s.observedRowsPerSecond() * DECREASE);
                    ticksSinceDecrease = 0;
                }
            } else if (ticksSinceDecrease >= COOLDOWN_TICKS) {
                limit = Math.max(floor, limit * DECREASE);
                ticksSinceDecrease = 0;
            }
            return decision();
        }
        if (limit > 0) {
            limit += Math.max(1, ceiling * INCREASE_FRACTION);
            if (limit >= ceiling) {
                limit = 0;
            }
        }
        reason = limit > 0 ? Reason.RECOVERING : Reason.NONE;
        return decision();
    }

    /** The first signal over its limit, or {@link Reason#NONE}. */
    static Reason slowSignal(Signals s, Baseline baseline, ThrottleSettings settings) {
        if (s.waitingOnUs() > 0) {
            return Reason.LOCK_WAITS;
        }
        if (s.replicaLagMillis() >= 0
                && s.replicaLagMillis() > settings.maxReplicaLag().toMillis()) {
            return Reason.REPLICA_LAG;
        }
        if (settings.maxActiveSessions() > 0 && s.activeOthers() > settings.maxActiveSessions()) {
            return Reason.ACTIVE_SESSIONS;
        }
        if (baseline != null
                && s.applicationSeen()
                && s.latencyMillis() > baseline.thresholdMillis(settings.maxLatencyRatio())) {
            return Reason.LATENCY;
        }
        return Reason.NONE;
    }

    private Decision decision() {
        return new Decision(limit == 0 ? 0 : Math.max(1, Math.round(limit)), reason);
    }

    /** This reader's cap now, rows/s; 0: uncapped. */
    public long limit() {
        return limit == 0 ? 0 : Math.max(1, Math.round(limit));
    }

    public Reason reason() {
        return reason;
    }
}
