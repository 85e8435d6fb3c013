package dev.backfill.sink;

import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;

import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The writer's progress metrics and log lines, from synthetic batches and times (nothing waits):
 * one INFO line per 30,000 rows, one per finished split, a WARN for a slow or retried batch, and
 * nothing per batch otherwise.
 */
class WriterProgressTest {
    private static final long MS = 1_000_000L;

    private final Map<String, Object> metrics = new HashMap<>();
    private LogCapture log;
    private WriterProgress progress;

    @BeforeEach
    void setUp() {
        log = LogCapture.attach(BackfillSinkWriter.class);
        progress = new WriterProgress("r1", 3, new RecordingMetricGroup(metrics));
    }

    @AfterEach
    void tearDown() {
        log.close();
    }

    /** A batch of {@code rows} keys from {@code from} (exclusive) of split {@code split}. */
    private static WriteBatch batch(String split, long from, int rows, boolean last) {
        List<Key> keys = new ArrayList<>();
        List<String[]> values = new ArrayList<>();
        for (long k = from + 1; k <= from + rows; k++) {
            keys.add(Key.of(k));
            values.add(new String[] {"v" + k});
        }
        RowBatch source =
                new RowBatch(
                        split,
                        "public.t",
                        from == 0 ? null : Key.of(from),
                        Key.of(from + rows),
                        keys,
                        values,
                        last);
        return new WriteBatch(source, values);
    }

    @Test
    void oneInfoLinePer30000RowsAndOnePerFinishedSplit() {
        long t = 0;
        // Split a: 40 batches of 1000 rows (40,000), split b: 25 batches (25,000): 65,000 rows.
        for (int i = 0; i < 40; i++) {
            progress.committed(batch("t:0", i * 1000L, 1000, i == 39), 0, t, t + 5 * MS);
            t += 10 * MS;
        }
        for (int i = 0; i < 25; i++) {
            progress.committed(batch("t:1", 40_000 + i * 1000L, 1000, i == 24), 0, t, t + 5 * MS);
            t += 10 * MS;
        }

        List<String> info = log.messages(Level.INFO);
        assertThat(info).hasSize(4);
        assertThat(info.get(0))
                .startsWith("reorg r1: subtask 3 has committed 30,000 rows, ")
                .endsWith(" rows/s; at key 30000 of split t:0");
        assertThat(info.get(1))
                .matches(
                        "reorg r1: split t:0 done on subtask 3: 40,000 rows in 395 ms \\([0-9,]+ rows/s\\)");
        assertThat(info.get(2))
                .startsWith("reorg r1: subtask 3 has committed 60,000 rows, ")
                .endsWith(" at key 60000 of split t:1");
        assertThat(info.get(3))
                .startsWith("reorg r1: split t:1 done on subtask 3: 25,000 rows in ");
        assertThat(log.messages(Level.WARN)).isEmpty();
        assertThat(progress.rows()).isEqualTo(65_000);

        Histogram h = (Histogram) metrics.get(BackfillMetrics.BATCH_COMMIT_MILLIS);
        assertThat(h.getCount()).isEqualTo(65);
        assertThat(h.getStatistics().getMax()).isEqualTo(5);
        assertThat(metrics.get(BackfillMetrics.ROWS_PER_SECOND)).isInstanceOf(Gauge.class);
    }

    @Test
    void aSlowBatchIsAWarnWithItsSplitRangeAndDuration() {
        progress.committed(batch("t:7", 500, 500, false), 0, 0, 2999 * MS);
        assertThat(log.messages(Level.WARN)).as("under 3 s").isEmpty();

        progress.committed(batch("t:7", 1000, 500, false), 0, 0, 3500 * MS);
        assertThat(log.messages(Level.WARN))
                .containsExactly(
                        "reorg r1: slow batch on subtask 3: split t:7 (1000, 1500] of 500 rows"
                                + " took 3500 ms (over 3000 ms)");
    }

    @Test
    void aRetriedBatchIsAWarnEvenWhenFast() {
        progress.committed(batch("t:2", 0, 100, false), 2, 0, 40 * MS);
        assertThat(log.messages(Level.WARN))
                .containsExactly(
                        "reorg r1: batch on subtask 3: split t:2 (null, 100] of 100 rows"
                                + " committed after 2 retries, in 40 ms");
        progress.committed(batch("t:2", 100, 100, false), 1, 0, 4000 * MS);
        assertThat(log.messages(Level.WARN).get(1))
                .isEqualTo(
                        "reorg r1: slow batch on subtask 3: split t:2 (100, 200] of 100 rows"
                                + " took 4000 ms (over 3000 ms), 1 retries");
        assertThat(log.messages(Level.INFO)).isEmpty();
    }
}
