package dev.backfill.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReorgProgressTest {
    @Test
    void halfwayWithARate() {
        // 500k of 1M rows, 10 of 10 splits cut (fully split), 5 done, 50k rows/s.
        ReorgProgress p = ReorgProgress.of(500_000, 1_000_000, 10, 5, true, 100_000, 50_000);
        assertThat(p.progressPercent()).isEqualTo(50.0);
        assertThat(p.etaSeconds()).isEqualTo(10);
        assertThat(p.splitsRemaining()).isEqualTo(5);
        assertThat(p.complete()).isFalse();
    }

    @Test
    void etaIsRoundedUp() {
        ReorgProgress p = ReorgProgress.of(0, 1001, 1, 0, true, 100_000, 1000);
        assertThat(p.etaSeconds()).isEqualTo(2);
    }

    @Test
    void completeIs100PercentZeroSplitsAndZeroEtaWhateverTheEstimate() {
        // The estimate was high (planner), and low: the end is the end.
        for (long estimated : new long[] {150_000, 100_000, 80_000, 0}) {
            ReorgProgress p = ReorgProgress.of(100_000, estimated, 10, 10, true, 10_000, 0);
            assertThat(p.progressPercent()).as("estimate %s", estimated).isEqualTo(100.0);
            assertThat(p.splitsRemaining()).isZero();
            assertThat(p.etaSeconds()).isZero();
            assertThat(p.complete()).isTrue();
        }
    }

    @Test
    void anEstimateTooLowNeverShows100WhileWorkIsLeft() {
        ReorgProgress p = ReorgProgress.of(120_000, 100_000, 12, 11, true, 10_000, 5000);
        assertThat(p.progressPercent()).isEqualTo(99.9);
        assertThat(p.etaSeconds()).as("unknown: more done than estimated").isEqualTo(-1);
        assertThat(p.splitsRemaining()).isEqualTo(1);
    }

    @Test
    void uncutSplitsAreEstimatedFromTheRowsNotYetCovered() {
        // 1M rows estimated, 3 splits of 100k cut (1 done): about 7 more to cut, 2 cut and open.
        ReorgProgress p = ReorgProgress.of(100_000, 1_000_000, 3, 1, false, 100_000, 0);
        assertThat(p.splitsRemaining()).isEqualTo(2 + 7);
        assertThat(p.etaSeconds()).as("no rate yet").isEqualTo(-1);
        assertThat(p.progressPercent()).isEqualTo(10.0);
    }

    @Test
    void notFullySplitAlwaysHasAtLeastOneSplitLeft() {
        ReorgProgress p = ReorgProgress.of(900, 1000, 1, 1, false, 1000, 100);
        assertThat(p.splitsRemaining()).isEqualTo(1);
        assertThat(p.complete()).isFalse();
        assertThat(p.progressPercent()).isEqualTo(90.0);
    }

    @Test
    void withoutAnEstimateProgressIsBySplits() {
        ReorgProgress p = ReorgProgress.of(5000, 0, 4, 1, true, 1000, 1000);
        assertThat(p.progressPercent()).isEqualTo(25.0);
        assertThat(p.etaSeconds()).isEqualTo(-1);
    }

    @Test
    void percentKeepsOneDecimalRoundedDown() {
        ReorgProgress p = ReorgProgress.of(2, 3, 1, 0, true, 10, 0);
        assertThat(p.progressPercent()).isEqualTo(66.6);
    }

    @Test
    void anEmptyTableFullySplitIsComplete() {
        ReorgProgress p = ReorgProgress.of(0, 0, 0, 0, true, 10_000, 0);
        assertThat(p.progressPercent()).isEqualTo(100.0);
        assertThat(p.splitsRemaining()).isZero();
    }

    @Test
    void unknownBeforeTheFirstReading() {
        assertThat(ReorgProgress.UNKNOWN.progressPercent()).isZero();
        assertThat(ReorgProgress.UNKNOWN.etaSeconds()).isEqualTo(-1);
        assertThat(ReorgProgress.UNKNOWN.splitsRemaining()).isEqualTo(-1);
    }
}
