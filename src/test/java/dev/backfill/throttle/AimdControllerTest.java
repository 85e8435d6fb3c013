package dev.backfill.throttle;

import dev.backfill.model.ThrottleSettings;
import dev.backfill.throttle.AimdController.Decision;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The AIMD decisions of {@link AimdController}, fed signal by signal: no clock, no database. */
class AimdControllerTest {
    private static final ThrottleSettings ON = ThrottleSettings.defaults();
    private static final Baseline BASELINE = Baseline.of(1.0); // slow above 3 ms (1 + 2 slack)
    private static final double FLOOR = 100;

    private static Signals fine(double rate) {
        return new Signals(1.0, 0, 0, -1, rate);
    }

    private static Signals slow(double rate) {
        return new Signals(50.0, 0, 0, -1, rate);
    }

    @Test
    void staysUncappedWhileEverySignalIsFine() {
        AimdController c = new AimdController();
        for (int i = 0; i < 10; i++) {
            assertThat(c.tick(fine(10_000), BASELINE, ON, FLOOR))
                    .isEqualTo(new Decision(0, Reason.NONE));
        }
    }

    @Test
    void firstSlowProbeHalvesTheObservedRateThenHalvesAgainAfterTheCooldown() {
        AimdController c = new AimdController();
        assertThat(c.tick(slow(10_000), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(5_000, Reason.LATENCY));
        // Within the cooldown the cap holds, whatever the observed rate.
        assertThat(c.tick(slow(5_000), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(5_000, Reason.LATENCY));
        assertThat(c.tick(slow(5_000), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(2_500, Reason.LATENCY));
        assertThat(c.tick(slow(2_500), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(2_500, Reason.LATENCY));
        assertThat(c.tick(slow(2_500), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(1_250, Reason.LATENCY));
    }

    @Test
    void neverGoesBelowTheFloor() {
        AimdController c = new AimdController();
        long last = -1;
        for (int i = 0; i < 40; i++) {
            last = c.tick(slow(150), BASELINE, ON, FLOOR).rowsPerSecond();
        }
        assertThat(last).isEqualTo(100);
    }

    @Test
    void aFloorRaisedLiveAppliesAtOnce() {
        AimdController c = new AimdController();
        c.tick(slow(10_000), BASELINE, ON, FLOOR); // 5,000
        c.tick(slow(5_000), BASELINE, ON, FLOOR); // holds
        c.tick(slow(5_000), BASELINE, ON, FLOOR); // 2,500
        assertThat(c.tick(slow(2_500), BASELINE, ON, 4_000))
                .isEqualTo(new Decision(4_000, Reason.LATENCY));
    }

    @Test
    void recoversAdditivelyToTheCeilingThenUncaps() {
        AimdController c = new AimdController();
        c.tick(slow(10_000), BASELINE, ON, FLOOR); // 5,000; ceiling 10,000
        // +10% of the ceiling a tick: 6,000 ... 9,000, then 10,000 reaches the ceiling.
        for (long expected = 6_000; expected <= 9_000; expected += 1_000) {
            assertThat(c.tick(fine(5_000), BASELINE, ON, FLOOR))
                    .isEqualTo(new Decision(expected, Reason.RECOVERING));
        }
        assertThat(c.tick(fine(9_000), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(0, Reason.NONE));
    }

    @Test
    void aSlowSignalDuringRecoveryDecreasesFromTheCurrentCap() {
        AimdController c = new AimdController();
        c.tick(slow(10_000), BASELINE, ON, FLOOR); // 5,000
        c.tick(fine(5_000), BASELINE, ON, FLOOR); // 6,000
        c.tick(fine(6_000), BASELINE, ON, FLOOR); // 7,000
        assertThat(c.tick(slow(7_000), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(3_500, Reason.LATENCY));
    }

    @Test
    void aSlowSignalBeforeAnyRowWasReadIsReportedButCapsNothing() {
        AimdController c = new AimdController();
        assertThat(c.tick(slow(0), BASELINE, ON, FLOOR)).isEqualTo(new Decision(0, Reason.LATENCY));
        assertThat(c.tick(slow(8_000), BASELINE, ON, FLOOR))
                .isEqualTo(new Decision(4_000, Reason.LATENCY));
    }

    @Test
    void offNeverCaps() {
        AimdController c = new AimdController();
        c.tick(slow(10_000), BASELINE, ON, FLOOR);
        assertThat(c.tick(slow(10_000), BASELINE, ThrottleSettings.off(), FLOOR))
                .isEqualTo(new Decision(0, Reason.OFF));
    }

    @Test
    void latencyThresholdIsTheRatioOrTheMinimumSlackWhicheverIsHigher() {
        // 10 ms idle, ratio 2: slow above 20 ms.
        Baseline b = Baseline.of(10.0);
        assertThat(b.thresholdMillis(2)).isEqualTo(20.0);
        assertThat(AimdController.slowSignal(new Signals(20.0, 0, 0, -1, 1), b, ON))
                .isEqualTo(Reason.NONE);
        assertThat(AimdController.slowSignal(new Signals(20.5, 0, 0, -1, 1), b, ON))
                .isEqualTo(Reason.LATENCY);
        // 0.2 ms idle: 2x would be 0.4 ms, but less than 1 ms of slack is not slow.
        Baseline fast = Baseline.of(0.2);
        assertThat(fast.thresholdMillis(2)).isEqualTo(1.2);
        assertThat(AimdController.slowSignal(new Signals(1.1, 0, 0, -1, 1), fast, ON))
                .isEqualTo(Reason.NONE);
        assertThat(AimdController.slowSignal(new Signals(1.3, 0, 0, -1, 1), fast, ON))
                .isEqualTo(Reason.LATENCY);
    }

    @Test
    void aSlowProbeWithNoApplicationSeenIsNotAReason() {
        Baseline b = Baseline.of(1.0);
        assertThat(AimdController.slowSignal(new Signals(50, 0, 0, -1, 1, false), b, ON))
                .isEqualTo(Reason.NONE);
        assertThat(AimdController.slowSignal(new Signals(50, 0, 0, -1, 1, true), b, ON))
                .isEqualTo(Reason.LATENCY);
        // lock waits are others waiting on us: a reason whether or not the prober saw them
        assertThat(AimdController.slowSignal(new Signals(50, 0, 1, -1, 1, false), b, ON))
                .isEqualTo(Reason.LOCK_WAITS);
    }

    @Test
    void signalsAreCheckedInOrderLockWaitsReplicaLagActiveSessionsLatency() {
        ThrottleSettings s = new ThrottleSettings(true, 2, Duration.ofSeconds(5), 4, 100);
        assertThat(AimdController.slowSignal(new Signals(50, 9, 1, 9_000, 1), BASELINE, s))
                .isEqualTo(Reason.LOCK_WAITS);
        assertThat(AimdController.slowSignal(new Signals(50, 9, 0, 9_000, 1), BASELINE, s))
                .isEqualTo(Reason.REPLICA_LAG);
        assertThat(AimdController.slowSignal(new Signals(50, 9, 0, 5_000, 1), BASELINE, s))
                .isEqualTo(Reason.ACTIVE_SESSIONS);
        assertThat(AimdController.slowSignal(new Signals(50, 4, 0, 5_000, 1), BASELINE, s))
                .isEqualTo(Reason.LATENCY);
        assertThat(AimdController.slowSignal(new Signals(1, 4, 0, 5_000, 1), BASELINE, s))
                .isEqualTo(Reason.NONE);
    }

    @Test
    void noReplicaAndUnwatchedActiveSessionsNeverThrottle() {
        // -1: no replica; max-active-sessions 0 (the default): not watched.
        assertThat(AimdController.slowSignal(new Signals(1, 500, 0, -1, 1), BASELINE, ON))
                .isEqualTo(Reason.NONE);
    }
}
