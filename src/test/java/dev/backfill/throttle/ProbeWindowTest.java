package dev.backfill.throttle;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The probe window's eviction and its tail statistic, on a synthetic clock. */
class ProbeWindowTest {
    private static final long MS = 1_000_000L;

    @Test
    void tailIsTheNearestRankNinetiethPercentile() {
        assertThat(ProbeWindow.tail(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)).isEqualTo(9.0);
        assertThat(ProbeWindow.tail(5, 1, 3)).isEqualTo(5.0);
        assertThat(ProbeWindow.tail(0.7)).isEqualTo(0.7);
        assertThat(ProbeWindow.tail()).isNaN();
    }

    @Test
    void oneSlowProbeInTenIsIgnoredAndTwoAreSeen() {
        assertThat(ProbeWindow.tail(1, 1, 1, 1, 40, 1, 1, 1, 1, 1)).isEqualTo(1.0);
        assertThat(ProbeWindow.tail(1, 1, 30, 1, 40, 1, 1, 1, 1, 1)).isEqualTo(30.0);
    }

    @Test
    void samplesOlderThanTheSpanLeave() {
        ProbeWindow w = new ProbeWindow(2000 * MS);
        w.add(0, 9.0);
        w.add(1000 * MS, 1.0);
        w.add(1500 * MS, 2.0);
        assertThat(w.samples(1900 * MS)).containsExactly(9.0, 1.0, 2.0);
        assertThat(w.samples(2500 * MS)).containsExactly(1.0, 2.0);
        assertThat(w.samples(3600 * MS)).isEmpty();
    }

    @Test
    void latenciesKeepMicrosecondResolution() {
        ProbeWindow w = new ProbeWindow(1000 * MS);
        w.add(0, 0.1234);
        assertThat(w.samples(0)).containsExactly(0.123);
    }
}
