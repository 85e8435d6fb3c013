package dev.backfill.throttle;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The pacing arithmetic of {@link RowRateLimiter}, on a synthetic clock. */
class RowRateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void zeroMeansUnlimited() {
        RowRateLimiter l = new RowRateLimiter(0, 4);
        assertThat(l.unlimited()).isTrue();
        assertThat(l.delayNanos(1_000_000, 0)).isZero();
    }

    @Test
    void theGlobalRateIsSharedAcrossReaders() {
        // 1000 rows/s over 2 readers: 500 rows/s each; one second of credit at start.
        RowRateLimiter l = new RowRateLimiter(1000, 2);
        assertThat(l.delayNanos(500, 0)).isZero();
        // Another 500 rows at once: one second behind.
        assertThat(l.delayNanos(500, 0)).isEqualTo(SECOND);
    }

    @Test
    void creditAccruesWithTimeButIsCappedAtOneSecond() {
        RowRateLimiter l = new RowRateLimiter(100, 1);
        assertThat(l.delayNanos(100, 0)).isZero();
        // Ten idle seconds bank only one second (100 rows) of credit.
        assertThat(l.delayNanos(100, 10 * SECOND)).isZero();
        assertThat(l.delayNanos(50, 10 * SECOND)).isEqualTo(SECOND / 2);
    }
}
