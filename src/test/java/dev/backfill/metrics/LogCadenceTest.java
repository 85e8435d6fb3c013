package dev.backfill.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogCadenceTest {
    /** The totals at which a line is due, adding {@code step} rows at a time up to {@code max}. */
    private static List<Long> dueAt(long every, long step, long max) {
        LogCadence c = new LogCadence(every);
        List<Long> out = new ArrayList<>();
        for (long total = step; total <= max; total += step) {
            if (c.due(total)) {
                out.add(total);
            }
        }
        return out;
    }

    @Test
    void oneLineEvery30000RowsInBatchesOf1000() {
        assertThat(dueAt(LogCadence.WRITER_ROWS, 1000, 100_000))
                .containsExactly(30_000L, 60_000L, 90_000L);
    }

    @Test
    void batchesThatDoNotDivideTheCadenceLogOnceAfterEachMultiple() {
        assertThat(dueAt(30_000, 700, 100_000)).containsExactly(30_100L, 60_200L, 90_300L);
    }

    @Test
    void aBatchJumpingSeveralMultiplesLogsOnce() {
        LogCadence c = new LogCadence(30_000);
        assertThat(c.due(29_999)).isFalse();
        assertThat(c.due(95_000)).isTrue();
        assertThat(c.due(100_000)).isFalse();
        assertThat(c.due(120_000)).isTrue();
    }

    @Test
    void nothingBelowTheFirstMultiple() {
        assertThat(dueAt(30_000, 500, 29_999)).isEmpty();
    }

    @Test
    void refusesAZeroCadence() {
        assertThatThrownBy(() -> new LogCadence(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
