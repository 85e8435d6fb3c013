package dev.backfill.throttle;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The baseline statistic: a median, robust to a few slow probes. */
class BaselineTest {
    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Baseline.median(3, 1, 2)).isEqualTo(2.0);
        assertThat(Baseline.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(Baseline.median(7)).isEqualTo(7.0);
    }

    @Test
    void aFewSlowProbesDoNotMoveTheBaseline() {
        Baseline b = Baseline.of(0.3, 0.3, 250, 0.4, 0.3, 0.3, 90, 0.3, 0.35);
        assertThat(b.millis()).isEqualTo(0.3);
    }

    @Test
    void noSamplesIsAnError() {
        assertThatThrownBy(() -> Baseline.median()).isInstanceOf(IllegalArgumentException.class);
    }
}
