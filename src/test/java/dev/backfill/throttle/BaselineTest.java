package dev.backfill.throttle;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The baseline statistic: the tail of twenty idle probes, robust to a couple of slow ones. */
class BaselineTest {
    @Test
    void twoSlowProbesOutOfTwentyDoNotMoveTheBaseline() {
        double[] s = new double[20];
        for (int i = 0; i < s.length; i++) {
            s[i] = 0.30 + i * 0.01; // 0.30 .. 0.49
        }
        s[3] = 250;
        s[11] = 90;
        // the 18th of 20 in order: 0.49 and 0.48 are pushed up by the two slow ones
        assertThat(Baseline.of(s).millis()).isEqualTo(0.49);
    }

    @Test
    void thresholdIsTheRatioButAtLeastTheSlack() {
        assertThat(Baseline.of(5.0).thresholdMillis(2)).isEqualTo(10.0);
        assertThat(Baseline.of(0.4).thresholdMillis(2)).isEqualTo(0.4 + Baseline.MIN_SLACK_MILLIS);
    }

    @Test
    void noSamplesIsAnError() {
        assertThatThrownBy(() -> Baseline.of()).isInstanceOf(IllegalArgumentException.class);
    }
}
