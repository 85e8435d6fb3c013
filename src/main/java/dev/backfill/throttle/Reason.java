package dev.backfill.throttle;

import org.apache.flink.annotation.Internal;

/**
 * Why the adaptive throttle caps the rate, as shown by the {@code throttleReason} metric and in
 * {@code backfill.reorgs.throttle_reason}. {@link #code()} is stable (a numeric gauge).
 */
@Internal
public enum Reason {
    /** Not capped: every signal is within its limit. */
    NONE(0, "none"),
    /** The probe's latency is over {@code max-latency-ratio} times its idle baseline. */
    LATENCY(1, "latency"),
    /** Another session waits on a lock held by one of this reorg's sessions. */
    LOCK_WAITS(2, "lock-waits"),
    /** More other sessions are active than {@code max-active-sessions}. */
    ACTIVE_SESSIONS(3, "active-sessions"),
    /** A replica's replay lag is over {@code max-replica-lag}. */
    REPLICA_LAG(4, "replica-lag"),
    /** Every signal is fine again; the cap is growing back to the uncapped rate. */
    RECOVERING(5, "recovering"),
    /** {@code throttle: off}. */
    OFF(6, "off");

    private final int code;
    private final String text;

    Reason(int code, String text) {
        this.code = code;
        this.text = text;
    }

    public int code() {
        return code;
    }

    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
