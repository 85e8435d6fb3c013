package dev.backfill.source.reader;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.op.ReorgPlan;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BackfillSplitReader} on its own, against a real PostgreSQL and the real catalog: splits
 * are added with a {@link SplitsAddition} and {@link BackfillSplitReader#fetch()} is called by the
 * test, one page at a time.
 *
 * <p>The table {@code public.t} has keys 2, 4, 6, ... (even numbers) and {@code v = 'v' || id / 2};
 * batch-size is 10.
 */
class BackfillSplitReaderITCase {
    private static final String TABLE = "public.t";
    private static final int BATCH = 10;
    private static final String TUNING =
            "  parallelism: 1\n  batch-size: " + BATCH + "\n  split-rows: 1000\n";

    /** A prepared reorg: its database and plan. */
    private static final class Prepared {
        final DataSource ds;
        final ReorgPlan plan;

        Prepared(DataSource ds, ReorgPlan plan) {
            this.ds = ds;
            this.plan = plan;
        }
    }

    /** What one fetch() returned. */
    private static final class Fetched {
        final List<RowBatch> batches = new ArrayList<>();
        final Set<String> finished = new TreeSet<>();

        boolean nothing() {
            return batches.isEmpty() && finished.isEmpty();
        }
    }

    @Test
    void readsPagesOfBatchSizeInKeyOrderEachStartingAtThePreviousPagesEnd() throws Exception {
        Prepared p = prepare("split_reader_it_pages", 97); // keys 2..194
        BackfillSplit first =
                record(p, new BackfillSplit(TABLE, 0, null, Key.of(110L), null), false); // 55 rows
        BackfillSplit second =
                record(
                        p,
                        new BackfillSplit(TABLE, 1, Key.of(110L), Key.of(194L), null),
                        true); // 42 rows

        List<Fetched> fetches = new ArrayList<>();
        try (BackfillSplitReader reader = newReader(p)) {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(first, second)));
            fetches.addAll(fetchUntilIdle(reader));
        }

        // One page per fetch; the split finishes in the fetch that returns its last page.
        assertThat(fetches).allMatch(f -> f.batches.size() == 1);
        List<RowBatch> firstPages = pagesOf(fetches, first);
        List<RowBatch> secondPages = pagesOf(fetches, second);
        assertThat(firstPages).extracting(RowBatch::size).containsExactly(10, 10, 10, 10, 10, 5);
        assertThat(secondPages).extracting(RowBatch::size).containsExactly(10, 10, 10, 10, 2);
        assertPagesChained(p, first, firstPages);
        assertPagesChained(p, second, secondPages);
        // The first split is read to its end before the second one starts.
        assertThat(fetches.get(5).batches.get(0).splitId()).isEqualTo(first.splitId());
        assertThat(fetches.get(6).batches.get(0).splitId()).isEqualTo(second.splitId());
        for (int i = 0; i < fetches.size(); i++) {
            RowBatch b = fetches.get(i).batches.get(0);
            assertThat(fetches.get(i).finished)
                    .as("finished splits of fetch %d", i)
                    .isEqualTo(b.last() ? Set.of(b.splitId()) : Set.of());
        }
    }

    @Test
    void aSplitWhoseCatalogRowHasAWatermarkResumesStrictlyAfterIt() throws Exception {
        Prepared p = prepare("split_reader_it_resume", 60); // keys 2..120
        BackfillSplit split =
                record(p, new BackfillSplit(TABLE, 0, null, Key.of(120L), null), true);
        exec(
                p.ds,
                "UPDATE backfill.progress SET watermark = '[42]' WHERE split_id = '"
                        + split.splitId()
                        + "'");

        List<Fetched> fetches;
        try (BackfillSplitReader reader = newReader(p)) {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(split)));
            fetches = fetchUntilIdle(reader);
        }

        List<RowBatch> pages = pagesOf(fetches, split);
        assertThat(pages.get(0).from()).isEqualTo(Key.of(42L));
        assertThat(pages.get(0).keys().get(0)).isEqualTo(Key.of(44L));
        assertThat(allKeys(pages))
                .isEqualTo(keys(p.ds, "SELECT id FROM t WHERE id > 42 ORDER BY id"));
        assertThat(pages).extracting(RowBatch::size).containsExactly(10, 10, 10, 9);
        assertChained(pages, Key.of(42L));
        assertThat(pages.get(pages.size() - 1).last()).isTrue();
        assertThat(fetches.get(fetches.size() - 1).finished).containsExactly(split.splitId());
    }

    @Test
    void theCatalogWatermarkWinsOverAnOlderOneCarriedByTheSplit() throws Exception {
        Prepared p = prepare("split_reader_it_resume_newer", 60); // keys 2..120
        BackfillSplit recorded =
                record(p, new BackfillSplit(TABLE, 0, null, Key.of(120L), null), true);
        exec(
                p.ds,
                "UPDATE backfill.progress SET watermark = '[42]' WHERE split_id = '"
                        + recorded.splitId()
                        + "'");

        List<Fetched> fetches;
        try (BackfillSplitReader reader = newReader(p)) {
            // A checkpoint taken before the batch up to 42 committed: the split says 20.
            reader.handleSplitsChanges(
                    new SplitsAddition<>(List.of(recorded.withWatermark(Key.of(20L)))));
            fetches = fetchUntilIdle(reader);
        }

        List<RowBatch> pages = pagesOf(fetches, recorded);
        assertThat(pages.get(0).from()).isEqualTo(Key.of(42L));
        assertThat(allKeys(pages))
                .isEqualTo(keys(p.ds, "SELECT id FROM t WHERE id > 42 ORDER BY id"));
    }

    @Test
    void aSplitTheCatalogMarksDoneFinishesAtOnceWithNoRecords() throws Exception {
        Prepared p = prepare("split_reader_it_done", 30);
        BackfillSplit split = record(p, new BackfillSplit(TABLE, 0, null, Key.of(60L), null), true);
        exec(
                p.ds,
                "UPDATE backfill.progress SET done = true, watermark = end_key WHERE split_id = '"
                        + split.splitId()
                        + "'");

        try (BackfillSplitReader reader = newReader(p)) {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(split)));
            Fetched f = fetch(reader);
            assertThat(f.batches).isEmpty();
            assertThat(f.finished).containsExactly(split.splitId());
            assertThat(fetch(reader).nothing()).isTrue();
        }
    }

    @Test
    void anExactMultipleOfBatchSizeEndingAtTheSplitEndFlagsItsLastFullPageLast() throws Exception {
        Prepared p = prepare("split_reader_it_exact_end", 40); // keys 2..80, 4 full pages
        BackfillSplit split = record(p, new BackfillSplit(TABLE, 0, null, Key.of(80L), null), true);

        List<Fetched> fetches;
        try (BackfillSplitReader reader = newReader(p)) {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(split)));
            fetches = fetchUntilIdle(reader);
        }

        // The fourth page ends at the split's inclusive end: nothing can follow it, so it is the
        // last page, and no empty page (with a round trip and a sink transaction) comes after it.
        List<RowBatch> pages = pagesOf(fetches, split);
        assertThat(pages).extracting(RowBatch::size).containsExactly(10, 10, 10, 10);
        assertThat(pages).extracting(RowBatch::last).containsExactly(false, false, false, true);
        assertThat(pages.get(3).to()).isEqualTo(Key.of(80L));
        assertThat(fetches.get(3).finished).containsExactly(split.splitId());
        assertPagesChained(p, split, pages);
    }

    @Test
    void anExactMultipleOfBatchSizeEndingBeforeTheSplitEndEndsWithAnEmptyClosingPageFlaggedLast()
            throws Exception {
        Prepared p = prepare("split_reader_it_exact_closing", 45); // keys 2..90
        BackfillSplit split = record(p, new BackfillSplit(TABLE, 0, null, Key.of(90L), null), true);
        // Rows at the end of the split are deleted after it was cut: 40 rows are left, up to 80.
        exec(p.ds, "DELETE FROM t WHERE id > 80");

        List<Fetched> fetches;
        try (BackfillSplitReader reader = newReader(p)) {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(split)));
            fetches = fetchUntilIdle(reader);
        }

        List<RowBatch> pages = pagesOf(fetches, split);
        assertThat(pages).extracting(RowBatch::size).containsExactly(10, 10, 10, 10, 0);
        assertThat(pages)
                .extracting(RowBatch::last)
                .containsExactly(false, false, false, false, true);
        RowBatch closing = pages.get(4);
        assertThat(closing.from()).isEqualTo(Key.of(80L));
        assertThat(closing.to()).isNull();
        assertThat(closing.keys()).isEmpty();
        assertThat(closing.values()).isEmpty();
        assertThat(fetches.get(3).finished).isEmpty();
        assertThat(fetches.get(4).finished).containsExactly(split.splitId());
        assertPagesChained(p, split, pages);
    }

    @Test
    void noTransactionIsLeftOpenBetweenFetches() throws Exception {
        Prepared p = prepare("split_reader_it_idle", 50); // keys 2..100
        BackfillSplit done = record(p, new BackfillSplit(TABLE, 0, null, Key.of(20L), null), false);
        BackfillSplit resumed =
                record(p, new BackfillSplit(TABLE, 1, Key.of(20L), Key.of(70L), null), false);
        BackfillSplit fresh =
                record(p, new BackfillSplit(TABLE, 2, Key.of(70L), Key.of(100L), null), true);
        exec(
                p.ds,
                "UPDATE backfill.progress SET done = true WHERE split_id = '"
                        + done.splitId()
                        + "'",
                "UPDATE backfill.progress SET watermark = '[30]' WHERE split_id = '"
                        + resumed.splitId()
                        + "'");

        int fetchCount = 0;
        try (BackfillSplitReader reader = newReader(p)) {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(done, resumed, fresh)));
            Set<String> finished = new TreeSet<>();
            while (finished.size() < 3) {
                assertThat(fetchCount).as("fetches").isLessThan(100);
                Fetched f = fetch(reader);
                fetchCount++;
                finished.addAll(f.finished);
                assertBackfillSessionsIdle(p, "after fetch " + fetchCount);
            }
        }
        // 1 (done) + 2 (resumed: 20 rows after 30) + 2 (fresh: 15 rows).
        assertThat(fetchCount).isEqualTo(5);
    }

    // ---------------------------------------------------------------- helpers

    private static Prepared prepare(String db, int rows) throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT n * 2, 'v' || n FROM generate_series(1, "
                                + rows
                                + ") n");
        JobSpec spec = TestingReorgs.addIndexSpec(db, TABLE, "t_v", "v", false, TUNING);
        ReorgSetup.Outcome outcome = ReorgSetup.run(spec);
        assertThat(outcome.status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(outcome.plan.spec().tuning().batchSize()).isEqualTo(BATCH);
        return new Prepared(ds, outcome.plan);
    }

    private static BackfillSplitReader newReader(Prepared p) {
        return new BackfillSplitReader(p.plan, 1, new UnregisteredMetricsGroup());
    }

    /**
     * Records the split in backfill.progress, as the enumerator's splitter does when it cuts it.
     */
    private static BackfillSplit record(Prepared p, BackfillSplit split, boolean last)
            throws SQLException {
        try (Connection c = p.ds.getConnection()) {
            return BackfillSplit.of(
                    Catalog.recordSplit(c, p.plan.reorgId(), split.range(), last)
                            .orElseThrow()
                            .split);
        }
    }

    private static Fetched fetch(BackfillSplitReader reader) throws Exception {
        RecordsWithSplitIds<RowBatch> records = reader.fetch();
        Fetched f = new Fetched();
        String splitId;
        while ((splitId = records.nextSplit()) != null) {
            RowBatch b;
            while ((b = records.nextRecordFromSplit()) != null) {
                assertThat(b.splitId()).isEqualTo(splitId);
                f.batches.add(b);
            }
        }
        f.finished.addAll(records.finishedSplits());
        records.recycle();
        return f;
    }

    /** Fetches until a fetch returns nothing (every split added is finished). */
    private static List<Fetched> fetchUntilIdle(BackfillSplitReader reader) throws Exception {
        List<Fetched> out = new ArrayList<>();
        while (true) {
            assertThat(out.size()).as("fetches").isLessThan(1000);
            Fetched f = fetch(reader);
            if (f.nothing()) {
                return out;
            }
            out.add(f);
        }
    }

    private static List<RowBatch> pagesOf(List<Fetched> fetches, BackfillSplit split) {
        List<RowBatch> out = new ArrayList<>();
        for (Fetched f : fetches) {
            for (RowBatch b : f.batches) {
                if (b.splitId().equals(split.splitId())) {
                    out.add(b);
                }
            }
        }
        assertThat(out).isNotEmpty();
        assertThat(out).allMatch(b -> b.physicalTable().equals(TABLE));
        return out;
    }

    /**
     * The pages hold exactly the split's rows, in key order, with their values; the first page
     * starts from null and each next one from the previous page's last key; only the last page is
     * flagged last.
     */
    private static void assertPagesChained(Prepared p, BackfillSplit split, List<RowBatch> pages)
            throws SQLException {
        String where =
                (split.start() == null ? "" : "id > " + split.start().get(0) + " AND ")
                        + "id <= "
                        + split.end().get(0);
        List<Long> expected = keys(p.ds, "SELECT id FROM t WHERE " + where + " ORDER BY id");
        List<Long> got = allKeys(pages);
        assertThat(got).isEqualTo(expected.subList(0, got.size()));
        assertThat(pages).allMatch(b -> b.size() == BATCH || b.last());
        assertChained(pages, null);
        for (RowBatch b : pages) {
            for (int i = 0; i < b.size(); i++) {
                long id = (Long) b.keys().get(i).get(0);
                assertThat(b.values().get(i)).containsExactly("v" + id / 2);
            }
        }
        if (pages.get(pages.size() - 1).last()) {
            assertThat(got).isEqualTo(expected);
        }
    }

    private static void assertChained(List<RowBatch> pages, Key firstFrom) {
        Key previous = firstFrom;
        for (int i = 0; i < pages.size(); i++) {
            RowBatch b = pages.get(i);
            assertThat(b.from()).as("from of page %d", i).isEqualTo(previous);
            if (b.size() > 0) {
                assertThat(b.to()).as("to of page %d", i).isEqualTo(b.keys().get(b.size() - 1));
            }
            assertThat(b.last()).as("last flag of page %d", i).isEqualTo(i == pages.size() - 1);
            previous = b.to();
        }
    }

    private static List<Long> allKeys(List<RowBatch> pages) {
        List<Long> out = new ArrayList<>();
        for (RowBatch b : pages) {
            for (Key k : b.keys()) {
                assertThat(k.size()).isEqualTo(1);
                out.add((Long) k.get(0));
            }
        }
        return out;
    }

    /**
     * Every connection of the reorg other than this one is idle: none holds a transaction (or a
     * snapshot) between fetches.
     */
    private static void assertBackfillSessionsIdle(Prepared p, String when) throws SQLException {
        List<String> sessions = new ArrayList<>();
        try (Connection c = p.ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT state || ' xact=' || coalesce(xact_start::text, '-') || ' xmin=' || coalesce(backend_xmin::text, '-')"
                                        + " FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()")) {
            ps.setString(1, Connections.applicationName(p.plan.reorgId()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sessions.add(rs.getString(1));
                }
            }
        }
        assertThat(sessions)
                .as("sessions of %s %s", Connections.applicationName(p.plan.reorgId()), when)
                .isNotEmpty()
                .allMatch(s -> s.equals("idle xact=- xmin=-"));
    }

    private static List<Long> keys(DataSource ds, String sql) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    private static void exec(DataSource ds, String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
