package dev.backfill.cli;

import dev.backfill.db.Catalog.State;
import dev.backfill.model.Key;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The pure formatting of {@code status} and {@code plan}: bar, percent, ETA, table, ranges. */
class StatusFormatTest {
    @Test
    void theBarFillsOneCellPerFivePercentAndClampsOutOfRangeValues() {
        assertThat(Status.bar(0, 20)).isEqualTo("[--------------------]");
        assertThat(Status.bar(4.99, 20)).isEqualTo("[--------------------]");
        assertThat(Status.bar(5, 20)).isEqualTo("[#-------------------]");
        assertThat(Status.bar(50, 20)).isEqualTo("[##########----------]");
        assertThat(Status.bar(99.9, 20)).isEqualTo("[###################-]");
        assertThat(Status.bar(100, 20)).isEqualTo("[####################]");
        assertThat(Status.bar(250, 20)).isEqualTo("[####################]");
        assertThat(Status.bar(-3, 20)).isEqualTo("[--------------------]");
        assertThat(Status.bar(Double.NaN, 4)).isEqualTo("[----]");
    }

    @Test
    void progressShowsTheBarAndOneDecimal() {
        assertThat(Status.progress(17.54)).isEqualTo("[###-----------------]  17.5%");
        assertThat(Status.progress(100)).isEqualTo("[####################] 100.0%");
    }

    @Test
    void percentIsFullOncePublicOrReadyAndCappedBefore() {
        assertThat(Status.percent(State.PUBLIC, 990, 1000)).isEqualTo(100);
        assertThat(Status.percent(State.READY, 0, 1000)).isEqualTo(100);
        assertThat(Status.percent(State.BACKFILLING, 250, 1000)).isEqualTo(25);
        assertThat(Status.percent(State.BACKFILLING, 1200, 1000)).isEqualTo(100);
        assertThat(Status.percent(State.WRITE_ONLY, 0, 0)).isZero();
        assertThat(Status.percent(State.BACKFILLING, 5, 0)).isEqualTo(100);
        assertThat(Status.percent(State.FAILED, 500, 1000)).isEqualTo(50);
    }

    @Test
    void etaIsTheRemainingRowsOverTheRateRoundedUp() {
        assertThat(Status.eta(1000, 100)).isEqualTo("0:00:10");
        assertThat(Status.eta(1001, 100)).isEqualTo("0:00:11");
        assertThat(Status.eta(900_000, 112_000)).isEqualTo("0:00:09");
        assertThat(Status.eta(3_600_000, 1000)).isEqualTo("1:00:00");
        assertThat(Status.eta(100_000_000, 1000)).isEqualTo("27:46:40");
    }

    @Test
    void etaIsADashWithoutARateOrWithoutRowsLeft() {
        assertThat(Status.eta(1000, 0)).isEqualTo("-");
        assertThat(Status.eta(1000, -5)).isEqualTo("-");
        assertThat(Status.eta(1000, Double.NaN)).isEqualTo("-");
        assertThat(Status.eta(1000, Double.POSITIVE_INFINITY)).isEqualTo("-");
        assertThat(Status.eta(0, 100)).isEqualTo("-");
        assertThat(Status.eta(-20, 100)).isEqualTo("-");
    }

    @Test
    void aRepairStandsOutAndSaysItIsABugToReport() {
        assertThat(Status.repaired(0)).isEqualTo("0");
        assertThat(Status.repaired(3)).isEqualTo("3 !");
        assertThat(Status.repaired(12_345)).isEqualTo("12,345 !");
        assertThat(Status.repairWarning("r1", 1_234))
                .startsWith("r1: WARNING: verification found and repaired 1,234 rows")
                .contains("backfill.reorgs.rows_repaired", "bug", "report it");
    }

    @Test
    void splitsMarkThatMoreAreStillToBeCut() {
        assertThat(Status.splits(4, 6, true)).isEqualTo("4/6+");
        assertThat(Status.splits(11, 11, false)).isEqualTo("11/11");
    }

    @Test
    void onlyTerminalOrWaitingStatesEndAWatch() {
        assertThat(Status.isSettled(State.PUBLIC)).isTrue();
        assertThat(Status.isSettled(State.READY)).isTrue();
        assertThat(Status.isSettled(State.FAILED)).isTrue();
        assertThat(Status.isSettled(State.ABORTED)).isTrue();
        assertThat(Status.isSettled(State.WRITE_ONLY)).isFalse();
        assertThat(Status.isSettled(State.BACKFILLING)).isFalse();
        assertThat(Status.isSettled(State.VERIFYING)).isFalse();
    }

    @Test
    void theTableAlignsColumnsWithoutTrailingBlanks() {
        String t =
                Status.table(
                        List.of(
                                new String[] {"ID", "STATE", "ROWS"},
                                new String[] {"a-long-id", "public", "1,000"},
                                new String[] {"b", "backfilling", ""}));
        assertThat(t)
                .isEqualTo(
                        "ID         STATE        ROWS\n"
                                + "a-long-id  public       1,000\n"
                                + "b          backfilling\n");
    }

    @Test
    void theDatabaseNameLeavesTheQueryStringOut() {
        assertThat(Status.databaseName("jdbc:postgresql://db:5432/shop?password=secret&ssl=true"))
                .isEqualTo("db:5432/shop");
        assertThat(Status.databaseName("jdbc:postgresql://localhost:54329/postgres"))
                .isEqualTo("localhost:54329/postgres");
    }

    @Test
    void planRangesAreHalfOpenFromTheTableStart() {
        assertThat(Plan.range(null, Key.of(100000L))).isEqualTo("(-inf, 100000]");
        assertThat(Plan.range(Key.of(5L, "b"), Key.of(9L, "a"))).isEqualTo("((5, b), (9, a)]");
    }

    @Test
    void planTimeAssumesAPerReaderRateCappedByTheThrottle() {
        assertThat(Plan.assumedRate(2, 0)).isEqualTo(50_000);
        assertThat(Plan.assumedRate(4, 30_000)).isEqualTo(30_000);
        assertThat(Plan.assumedRate(1, 1_000_000)).isEqualTo(25_000);
        assertThat(Plan.estimatedSeconds(1_000_000, 50_000)).isEqualTo(20);
        assertThat(Plan.estimatedSeconds(1_000_001, 50_000)).isEqualTo(21);
        assertThat(Plan.estimatedSeconds(0, 50_000)).isZero();
        assertThat(Plan.rateAssumption(2, 0)).isEqualTo("2 readers x 25,000 rows/s");
        assertThat(Plan.rateAssumption(4, 30_000))
                .isEqualTo("max-rows-per-second 30,000; unthrottled 4 readers x 25,000 rows/s");
    }
}
