package dev.backfill.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Tests for {@link ProgressReporter}'s line format. */
class ProgressReporterTest {

    @Test
    void formatsANormalLine() {
        assertThat(ProgressReporter.format("backfilling", 2_500_000, 10_000_000, 12_345.6, 3, 12))
                .isEqualTo(
                        "progress: backfilling 2,500,000/10,000,000 rows (25.0%), 12,346 rows/s,"
                                + " ETA 0:10:07, splits 3/12 done");
    }

    @Test
    void padsTheStateToAFixedWidth() {
        assertThat(ProgressReporter.format("verifying", 10, 100, 1, 0, 1))
                .startsWith("progress: verifying   10/100 rows (10.0%), 1 rows/s, ETA 0:01:30,");
    }

    @Test
    void zeroRateHasNoEta() {
        assertThat(ProgressReporter.format("backfilling", 500, 1000, 0, 0, 2))
                .isEqualTo(
                        "progress: backfilling 500/1,000 rows (50.0%), 0 rows/s, ETA -, splits 0/2 done");
    }

    @Test
    void zeroEstimateShowsZeroPercentAndNoEta() {
        assertThat(ProgressReporter.format("write-only", 0, 0, 0, 0, 0))
                .isEqualTo(
                        "progress: write-only  0/0 rows (0.0%), 0 rows/s, ETA -, splits 0/0 done");
        assertThat(ProgressReporter.format("backfilling", 1234, 0, 100, 1, 1))
                .isEqualTo(
                        "progress: backfilling 1,234/0 rows (0.0%), 100 rows/s, ETA -, splits 1/1 done");
    }

    @Test
    void moreRowsThanEstimatedCapsAtOneHundredPercentWithNoEta() {
        assertThat(ProgressReporter.format("backfilling", 1500, 1000, 50, 4, 4))
                .isEqualTo(
                        "progress: backfilling 1,500/1,000 rows (100.0%), 50 rows/s, ETA -, splits 4/4 done");
    }

    @Test
    void durationIsHoursMinutesSeconds() {
        assertThat(ProgressReporter.duration(0)).isEqualTo("0:00:00");
        assertThat(ProgressReporter.duration(59)).isEqualTo("0:00:59");
        assertThat(ProgressReporter.duration(61)).isEqualTo("0:01:01");
        assertThat(ProgressReporter.duration(3600)).isEqualTo("1:00:00");
        assertThat(ProgressReporter.duration(3661)).isEqualTo("1:01:01");
        assertThat(ProgressReporter.duration(90_061)).isEqualTo("25:01:01");
    }
}
