package dev.backfill.throttle;

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
    void aRateChangeWhilePacingGrantsNoFreshCredit() {
        RowRateLimiter l = new RowRateLimiter(0, 1);
        l.setThrottleRate(1000);
        assertThat(l.delayNanos(1000, 0)).isZero(); // the start's one second of credit, spent
        l.setThrottleRate(1100);
        // Still no credit: 550 rows at 1,100 rows/s are half a second behind.
        assertThat(l.delayNanos(550, 0)).isEqualTo(500_000_000L);
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
