package dev.backfill.source.reader;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The adaptive throttle's cap and {@code max-rows-per-second} together: the lower one paces. */
class RowRateLimiterThrottleTest {
    @Test
    void theLowerOfCapAndThrottleWins() {
        RowRateLimiter l = new RowRateLimiter(4000, 2); // 2,000 per reader
        assertThat(l.rowsPerSecond()).isEqualTo(2000.0);
        l.setThrottleRate(500);
        assertThat(l.rowsPerSecond()).isEqualTo(500.0);
        l.setThrottleRate(5000);
        assertThat(l.rowsPerSecond()).as("max-rows-per-second stays a hard cap").isEqualTo(2000.0);
        l.setThrottleRate(0);
        assertThat(l.rowsPerSecond()).isEqualTo(2000.0);
    }

    @Test
    void throttleAloneCapsAnUnlimitedReader() {
        RowRateLimiter l = new RowRateLimiter(0, 2);
        assertThat(l.unlimited()).isTrue();
        l.setThrottleRate(100);
        assertThat(l.unlimited()).isFalse();
        // 100 rows/s: 100 rows of credit at start, then 50 more rows need 0.5 s.
        assertThat(l.delayNanos(150, 0)).isEqualTo(500_000_000L);
        l.setThrottleRate(0);
        assertThat(l.unlimited()).isTrue();
        assertThat(l.delayNanos(1_000_000, 0)).isZero();
    }
}
