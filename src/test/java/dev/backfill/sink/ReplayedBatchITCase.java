package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.source.split.BackfillSplit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replayed batch writes nothing: after a restore from an older checkpoint, the source sends again
 * a {@link RowBatch} whose {@code (from, to]} was already committed; the sink's watermark
 * compare-and-set ({@link Catalog#advance}) finds the split's watermark elsewhere and rolls the
 * whole batch back. Driven at the writer level against the real server, deterministically: two
 * pages of a split committed, the first replayed while the split still runs (only the watermark can
 * reject it), then the last committed and all three replayed. Nothing may change: not the split's
 * progress row (watermark, counters), not a single tuple of the index table or of the table's
 * shadow column (compared with {@code xmin} and {@code ctid}, so that even a rewrite with the same
 * values would show), and the writer counts the rows as redone, none as written.
 */
class ReplayedBatchITCase {
    private static final int ROWS = 10;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"add-index", "modify-column"})
    void aReplayedBatchIsRejectedByTheWatermarkCompareAndSetAndWritesNothing(String op)
            throws Exception {
        String db = "replayed_batch_" + op.replace('-', '_');
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE t (id bigint PRIMARY KEY, email text, n integer)",
                        "INSERT INTO t SELECT g, 'u' || g, g * 7 FROM generate_series(1, "
                                + ROWS
                                + ") g");
        String body =
                op.equals("add-index")
                        ? "add-index:\n  name: t_email\n  columns: [email]\n  unique: true\n"
                        : "modify-column:\n  column: n\n  type: bigint\n";
        JobSpec spec =
                JobSpecParser.parse(
                        "database:\n  url: "
                                + TestingPostgres.get().jdbcUrl(db)
                                + "\n  user: postgres\ntable: t\n"
                                + body,
                        db + ".yaml",
                        Map.of());
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        String physical = out.plan.table().physicalTables().get(0);
        BackfillSplit split = new BackfillSplit(physical, 0, null, Key.of((long) ROWS), null);
        try (Connection c = ds.getConnection()) {
            assertThat(Catalog.recordSplit(c, spec.reorgId(), split.range(), true)).isPresent();
        }
        String column = op.equals("add-index") ? "email" : "n";
        RowBatch first = page(ds, split, physical, column, null, 4);
        RowBatch second = page(ds, split, physical, column, Key.of(4L), 8);
        RowBatch third = page(ds, split, physical, column, Key.of(8L), ROWS);

        Map<String, Object> metrics = new HashMap<>();
        write(out, metrics, first, second);
        assertThat(RecordingMetricGroup.count(metrics, "rowsWritten"))
                .as("rows written by the first run")
                .isEqualTo(8);
        assertThat(RecordingMetricGroup.count(metrics, "rowsRedone")).isZero();

        String progress =
                "SELECT watermark || ' ' || rows_scanned || ' ' || rows_written || ' ' || done"
                        + " || ' ' || xmin || ' ' || ctid FROM backfill.progress"
                        + " WHERE reorg_id = '"
                        + spec.reorgId()
                        + "'";
        String written =
                op.equals("add-index")
                        ? "SELECT xmin || ' ' || ctid || ' ' || email || ' ' || id FROM t_email"
                                + " ORDER BY id"
                        : "SELECT xmin || ' ' || ctid || ' ' || id || ' ' || coalesce("
                                + quotedShadow(out)
                                + "::text, 'NULL') FROM t ORDER BY id";

        // The split is still running (watermark 8): the first page comes again, as after a
        // restore from a checkpoint taken before it committed. Only the watermark tells.
        List<String> progressBefore = strings(ds, progress);
        List<String> writtenBefore = strings(ds, written);
        assertThat(progressBefore).as("the split's progress row").hasSize(1);
        assertThat(progressBefore.get(0)).as("watermark and counters").startsWith("[8] 8 8 false ");
        Map<String, Object> replay = new HashMap<>();
        write(out, replay, first);
        assertThat(RecordingMetricGroup.count(replay, "rowsRedone"))
                .as("rows of the replayed page")
                .isEqualTo(4);
        assertThat(RecordingMetricGroup.count(replay, "rowsWritten"))
                .as("rows written by the replay")
                .isZero();
        assertThat(RecordingMetricGroup.count(replay, "batchesCommitted"))
                .as("batches committed by the replay")
                .isZero();
        assertThat(strings(ds, progress))
                .as("the progress row after the replay")
                .isEqualTo(progressBefore);
        assertThat(strings(ds, written)).as("tuples after the replay").isEqualTo(writtenBefore);

        // The split finishes; then every page comes again.
        write(out, metrics, third);
        progressBefore = strings(ds, progress);
        writtenBefore = strings(ds, written);
        assertThat(progressBefore.get(0)).startsWith("[10] 10 10 true ");
        replay.clear();
        write(out, replay, first, second, third);
        assertThat(RecordingMetricGroup.count(replay, "rowsRedone"))
                .as("rows of the replayed pages")
                .isEqualTo(ROWS);
        assertThat(RecordingMetricGroup.count(replay, "rowsWritten"))
                .as("rows written by the replay")
                .isZero();
        assertThat(strings(ds, progress))
                .as("the progress row after the replay")
                .isEqualTo(progressBefore);
        assertThat(strings(ds, written)).as("tuples after the replay").isEqualTo(writtenBefore);
    }

    /** A new writer (as after a restore) writes the pages, then closes. */
    private static void write(
            ReorgSetup.Outcome out, Map<String, Object> metrics, RowBatch... pages)
            throws Exception {
        BackfillSinkWriter writer =
                new BackfillSinkWriter(out.plan, 0, new RecordingMetricGroup(metrics));
        try {
            for (RowBatch p : pages) {
                writer.write(out.plan.operation().apply(p), null);
            }
        } finally {
            writer.close();
        }
    }

    /** The rows (after, upTo] of t as a reader reads them: the key and the operation's column. */
    private static RowBatch page(
            DataSource ds, BackfillSplit split, String physical, String column, Key from, long upTo)
            throws Exception {
        long after = from == null ? 0 : (Long) from.get(0);
        List<Key> keys = new ArrayList<>();
        List<String[]> values = new ArrayList<>();
        for (String row :
                strings(
                        ds,
                        "SELECT id || '|' || "
                                + column
                                + " FROM t WHERE id > "
                                + after
                                + " AND id <= "
                                + upTo
                                + " ORDER BY id")) {
            int bar = row.indexOf('|');
            keys.add(Key.of(Long.parseLong(row.substring(0, bar))));
            values.add(new String[] {row.substring(bar + 1)});
        }
        return new RowBatch(
                split.splitId(), physical, from, Key.of(upTo), keys, values, upTo == ROWS);
    }

    private static String quotedShadow(ReorgSetup.Outcome out) {
        return dev.backfill.db.Identifiers.quote(TestingReorgs.shadow(out.plan).shadowName());
    }
}
