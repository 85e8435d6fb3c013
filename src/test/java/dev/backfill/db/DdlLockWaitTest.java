package dev.backfill.db;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** The timeout decision of {@link DdlLockWait}, pure logic. */
class DdlLockWaitTest {
    @Test
    void anOrdinaryBlockerKeepsTheShortTimeout() {
        assertThat(DdlLockWait.nextTimeout(500, 1000, false, false)).isEqualTo(500);
        assertThat(DdlLockWait.nextTimeout(50, 60_000, false, false)).isEqualTo(50);
    }

    @Test
    void anAutovacuumBlockerWaitsPastDeadlockTimeout() {
        assertThat(DdlLockWait.nextTimeout(500, 1000, true, false)).isEqualTo(1500);
        assertThat(DdlLockWait.nextTimeout(200, 3000, true, false)).isEqualTo(3500);
    }

    @Test
    void aClientThatHeldOnBesideAnAutovacuumKeepsTheShortTimeout() {
        assertThat(DdlLockWait.nextTimeout(500, 1000, true, true)).isEqualTo(500);
        assertThat(DdlLockWait.nextTimeout(200, 3000, true, true)).isEqualTo(200);
        assertThat(DdlLockWait.nextTimeout(500, 1000, false, true)).isEqualTo(500);
    }

    @Test
    void aLongerConfiguredTimeoutIsNeverShortened() {
        assertThat(DdlLockWait.nextTimeout(5000, 1000, true, false)).isEqualTo(5000);
        assertThat(DdlLockWait.nextTimeout(1500, 1000, true, false)).isEqualTo(1500);
    }

    @Test
    void onlyLockNotAvailableCountsAsALockTimeout() {
        assertThat(SqlErrors.isLockTimeout(new SQLException("x", "55P03"))).isTrue();
        assertThat(
                        SqlErrors.isLockTimeout(
                                new SQLException(
                                        "gave up", "55P03", new SQLException("x", "55P03"))))
                .isTrue();
        assertThat(SqlErrors.isLockTimeout(new SQLException("x", "57014"))).isFalse();
        assertThat(SqlErrors.isLockTimeout(new SQLException("x", "40P01"))).isFalse();
    }
}
