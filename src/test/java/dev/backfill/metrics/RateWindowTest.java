package dev.backfill.metrics;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

class RateWindowTest {
    private static final long S = 1_000_000_000L;

    @Test
    void nothingStartedIsZero() {
        assertThat(RateWindow.tenSeconds().ratePerSecond(5 * S)).isZero();
    }

    @Test
    void steadyRowsGiveTheirRate() {
        RateWindow w = RateWindow.tenSeconds();
        w.start(0);
        for (int i = 1; i <= 300; i++) {
            w.add(i * S / 10, 100); // 100 rows every 100 ms
        }
        // Buckets of whole seconds: within a bucket's share (2 %) of 1000 rows/s.
        assertThat(w.ratePerSecond(30 * S)).isCloseTo(1000, withinPercentage(2));
    }

    @Test
    void theFirstSecondsCountFromTheStartNotFromTheWindow() {
        RateWindow w = RateWindow.tenSeconds();
        w.start(100 * S);
        w.add(101 * S, 500);
        w.add(102 * S, 500);
        assertThat(w.ratePerSecond(102 * S)).isCloseTo(500, within(1e-9));
    }

    @Test
    void aFewRowsRightAfterTheStartAreNotABurst() {
        RateWindow w = RateWindow.tenSeconds();
        w.add(0, 500);
        // 1 µs later: spread over at least one bucket (1 s), not 500 rows per µs.
        assertThat(w.ratePerSecond(1000)).isCloseTo(500, within(1e-9));
    }

    @Test
    void idleForAWholeWindowDecaysToZero() {
        RateWindow w = RateWindow.tenSeconds();
        w.add(0, 10_000);
        w.add(S, 10_000);
        assertThat(w.ratePerSecond(2 * S)).isPositive();
        assertThat(w.ratePerSecond(12 * S)).isZero();
    }

    @Test
    void oldBucketsAreReusedNotAddedUp() {
        RateWindow w = new RateWindow(Duration.ofSeconds(2), 2);
        w.start(0);
        w.add(0, 100); // bucket 0
        w.add(2 * S, 7); // bucket 2 reuses the slot of bucket 0
        assertThat(w.ratePerSecond(2 * S)).isCloseTo(7, within(1e-9));
    }

    @Test
    void refusesMoreBucketsThanNanoseconds() {
        assertThatThrownBy(() -> new RateWindow(Duration.ofNanos(3), 4))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
