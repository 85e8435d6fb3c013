package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.Identifiers;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.op.WritePath;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.source.reader.BackfillSplitReader;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.except;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The range path of modify-column with a SQL {@code using} (issue #10, {@link WritePath#RANGE}):
 * the reader ships a page's keys only, and the sink writes the page's key range with one {@code
 * UPDATE} ({@link ColumnSql#modifyColumnRange}). Proves that the path is taken (key-only pages, the
 * writer's {@code batchesByRange} counter), that it is exact when rows of the range are inserted,
 * updated and deleted between the read and the write and while the batch runs (READ COMMITTED and
 * REPEATABLE READ writers), and that a whole reorg over a partitioned table with a composite key
 * ends equal to an offline {@code ALTER TABLE … TYPE … USING} with nothing repaired.
 */
class RangePushdownITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String USING = "n::bigint * 10 + id";

    @AfterEach
    void disarm() {
        Failpoints.disarmAll();
    }

    @Test
    void aConverterTakesTheRowPathAndUsingOrAPlainTypeChangeTheRangePath() throws Exception {
        String[][] cases = {
            {"using", "integer", "  using: \"" + USING + "\"\n", "RANGE"},
            {"cast", "integer", "", "RANGE"},
            {"converter", "text", "  converter: integer\n", "ROWS"},
        };
        for (String[] c : cases) {
            String db = "range_path_" + c[0];
            TestingReorgs.database(db, "CREATE TABLE t (id bigint PRIMARY KEY, n " + c[1] + ")");
            ReorgSetup.Outcome out = ReorgSetup.run(spec(db, "path_" + c[0], c[2]));
            assertThat(WritePath.of(out.plan)).as(c[0]).hasToString(c[3]);
        }
    }

    /**
     * Between the read of a page and its write, a READ COMMITTED or REPEATABLE READ writer inserts
     * a row into the page's range, updates one and deletes one; while the batch's UPDATE runs, one
     * writer holds a row of the range (the batch waits for it) and another comes after the batch
     * locked its rows (it waits for the batch). Every shadow value ends exact; the batch writes
     * exactly the rows still needing it, and the writer counts it as one range batch.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"READ COMMITTED", "REPEATABLE READ"})
    void theRangeBatchIsExactUnderWritesBeforeAndDuringIt(String isolation) throws Exception {
        String db = "range_writes_" + isolation.replace(' ', '_').toLowerCase();
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE t (id bigint PRIMARY KEY, n integer)",
                        // Odd keys only, so that an even key can be inserted inside the range.
                        "INSERT INTO t SELECT 2 * g - 1, g FROM generate_series(1, 100) g");
        JobSpec spec = spec(db, "rw", "  using: \"" + USING + "\"\n");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        String physical = out.plan.table().physicalTables().get(0);
        // A split (20, 180]: its first page starts after the split's start, not at the table's.
        BackfillSplit split = new BackfillSplit(physical, 0, Key.of(20L), Key.of(180L), null);
        try (Connection c = ds.getConnection()) {
            assertThat(Catalog.recordSplit(c, spec.reorgId(), split.range(), true)).isPresent();
        }
        RowBatch page = readFirstPage(out, split);
        assertThat(page.after())
                .as("the range's lower bound is the split's start")
                .isEqualTo(Key.of(20L));
        assertThat(page.keys()).hasSize(50).startsWith(Key.of(21L)).endsWith(Key.of(119L));
        assertThat(page.values()).as("key-only rows").allSatisfy(v -> assertThat(v).isEmpty());

        // Between the read and the write: insert inside the range, update, delete.
        writer(ds, isolation, "INSERT INTO t VALUES (50, 7)");
        writer(ds, isolation, "UPDATE t SET n = n + 1000 WHERE id = 31");
        writer(ds, isolation, "DELETE FROM t WHERE id = 41");
        // During the write: a writer holds row 61 until the batch waits for it ...
        Connection holder = open(ds, isolation);
        exec(holder, "UPDATE t SET n = n + 2000 WHERE id = 61");
        int holderPid = pid(holder);
        // ... and one comes for row 71 after the batch has written it, before it commits.
        AtomicReference<CompletableFuture<Void>> late = new AtomicReference<>();
        Failpoints.armAction(
                Failpoints.WRITER_BEFORE_COMMIT,
                () -> {
                    late.set(
                            CompletableFuture.runAsync(
                                    () ->
                                            writerRetrying(
                                                    ds,
                                                    isolation,
                                                    "UPDATE t SET n = -n WHERE id = 71")));
                    TestingReorgs.await(
                            "the late writer waits for the batch's row lock",
                            TIMEOUT,
                            () -> waitingOnLock(ds, "UPDATE t SET n = -n") > 0);
                });
        Map<String, Object> metrics = new HashMap<>();
        BackfillSinkWriter sink =
                new BackfillSinkWriter(out.plan, 0, new RecordingMetricGroup(metrics));
        try {
            CompletableFuture<Void> batch =
                    CompletableFuture.runAsync(
                            () -> {
                                try {
                                    sink.write(out.plan.operation().apply(page), null);
                                } catch (Exception e) {
                                    throw new RuntimeException(e);
                                }
                            });
            TestingReorgs.await(
                    "the batch waits for the row the holder locked",
                    TIMEOUT,
                    () -> blockedBy(ds, holderPid));
            holder.commit();
            holder.close();
            batch.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            late.get().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            sink.close();
        }

        assertThat(RecordingMetricGroup.count(metrics, "batchesByRange"))
                .as("batches written by range")
                .isEqualTo(1);
        // 50 read; 31 and 61 were set by the trigger, 41 is gone; 71 was written, then updated.
        assertThat(RecordingMetricGroup.count(metrics, "rowsWritten"))
                .as("rows written")
                .isEqualTo(47);
        assertThat(RecordingMetricGroup.count(metrics, "rowsSkipped"))
                .as("rows skipped")
                .isEqualTo(3);
        // Rows of the range are exact, and rows past the page's last key were not touched.
        String shadow = Identifiers.quote(TestingReorgs.shadow(out.plan).shadowName());
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM t WHERE id > 20 AND id <= 119 AND "
                                        + shadow
                                        + "::text IS DISTINCT FROM ("
                                        + USING
                                        + ")::text"))
                .as("rows of the range whose shadow is not exact")
                .isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM t WHERE id > 119 AND "
                                        + shadow
                                        + " IS NOT NULL"))
                .as("rows past the page with a shadow")
                .isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM t WHERE id <= 20 AND "
                                        + shadow
                                        + " IS NOT NULL"))
                .as("rows before the split with a shadow")
                .isZero();
        assertThat(
                        strings(
                                ds,
                                "SELECT n || ' ' || "
                                        + shadow
                                        + " FROM t WHERE id IN (31, 50, 61, 71)"
                                        + " ORDER BY id"))
                .containsExactly("1016 10191", "7 120", "2031 20371", "-36 -289");
    }

    /**
     * A value that does not convert fails the range batch's one statement; the sink then searches
     * the rows now in the batch's range one by one and fails the reorg naming the row and its
     * value, also when the row is not one of the page's keys (here inserted into the range after
     * the read, with the write-only trigger disabled, which is the only way past it).
     */
    @Test
    void aValueThatDoesNotConvertInTheRangeFailsTheReorgNamingItsRow() throws Exception {
        String db = "range_fail";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE t (id bigint PRIMARY KEY, n text)",
                        "INSERT INTO t SELECT 2 * g - 1, g::text FROM generate_series(1, 100) g");
        JobSpec spec = spec(db, "rf", "");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        String physical = out.plan.table().physicalTables().get(0);
        BackfillSplit split = new BackfillSplit(physical, 0, null, Key.of(200L), null);
        try (Connection c = ds.getConnection()) {
            assertThat(Catalog.recordSplit(c, spec.reorgId(), split.range(), true)).isPresent();
        }
        RowBatch page = readFirstPage(out, split);
        assertThat(page.keys()).hasSize(50).doesNotContain(Key.of(50L));
        String trigger = Identifiers.quote(TestingReorgs.shadow(out.plan).trigger());
        try (Connection c = ds.getConnection()) {
            exec(c, "ALTER TABLE t DISABLE TRIGGER " + trigger);
            exec(c, "INSERT INTO t VALUES (50, '5x')");
            exec(c, "ALTER TABLE t ENABLE TRIGGER " + trigger);
        }
        String error =
                "cannot convert column 'n' of row 50: value '5x' does not convert: invalid input"
                        + " syntax for type bigint: \"5x\"";
        BackfillSinkWriter sink =
                new BackfillSinkWriter(out.plan, 0, new RecordingMetricGroup(new HashMap<>()));
        try {
            assertThatThrownBy(() -> sink.write(out.plan.operation().apply(page), null))
                    .hasMessageContaining(error);
        } finally {
            sink.close();
        }
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error).isEqualTo(error);
        String shadow = Identifiers.quote(TestingReorgs.shadow(out.plan).shadowName());
        assertThat(count(ds, "SELECT count(*) FROM t WHERE " + shadow + " IS NOT NULL"))
                .as("shadow values written by the failed batch")
                .isZero();
    }

    /**
     * A whole reorg on the range path: a list-partitioned table (one partition itself partitioned),
     * a composite key whose text part sorts by the column's collation, a {@code using} over two
     * columns, parallelism 2 and pages of 37 keys. Ends public, equal to an offline {@code ALTER
     * TABLE … TYPE … USING} of a copy, with every row written once and nothing repaired.
     */
    @Test
    void aPartitionedTableWithACompositeKeyEqualsOfflineAlterUsing() throws Exception {
        String db = "range_partitioned";
        String rows =
                "SELECT CASE WHEN g % 3 = 0 THEN 'eu' WHEN g % 3 = 1 THEN 'US' ELSE 'ap' END,"
                        + " 'k' || (g % 50), g, CASE WHEN g % 97 = 0 THEN NULL ELSE g * 3 END"
                        + " FROM generate_series(1, 3000) g";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE o (region text, name text, id int, n integer,"
                                + " PRIMARY KEY (region, name, id)) PARTITION BY LIST (region)",
                        "CREATE TABLE o_eu PARTITION OF o FOR VALUES IN ('eu')",
                        "CREATE TABLE o_us PARTITION OF o FOR VALUES IN ('US')",
                        "CREATE TABLE o_ap PARTITION OF o FOR VALUES IN ('ap')"
                                + " PARTITION BY RANGE (id)",
                        "CREATE TABLE o_ap_lo PARTITION OF o_ap FOR VALUES FROM (MINVALUE) TO (1500)",
                        "CREATE TABLE o_ap_hi PARTITION OF o_ap FOR VALUES FROM (1500) TO (MAXVALUE)",
                        "INSERT INTO o " + rows,
                        "CREATE TABLE offline (region text, name text, id int, n integer,"
                                + " PRIMARY KEY (region, name, id))",
                        "INSERT INTO offline " + rows,
                        "ALTER TABLE offline ALTER COLUMN n TYPE numeric(14,1)"
                                + " USING n::numeric / 2 + length(name)",
                        "ANALYZE o");
        JobSpec spec =
                JobSpecParser.parse(
                        "reorg: range_part\ndatabase:\n  url: "
                                + TestingPostgres.get().jdbcUrl(db)
                                + "\n  user: postgres\ntable: o\nmodify-column:\n  column: n\n"
                                + "  type: numeric(14,1)\n"
                                + "  using: \"n::numeric / 2 + length(name)\"\n"
                                + "tuning:\n  parallelism: 2\n  batch-size: 37\n"
                                + "  split-rows: 400\n  checkpoint-interval: 1s\n",
                        db + ".yaml",
                        Map.of());
        TestingReorgs.run(spec);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        // 3000 rows scanned; the 30 with a NULL n already had the right (NULL) shadow.
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 3000, 2970);
        String online = "SELECT region, name, id, n::text FROM o";
        String offline = "SELECT region, name, id, n::text FROM offline";
        assertThat(except(ds, online, offline)).isZero();
        assertThat(except(ds, offline, online)).isZero();
    }

    // ------------------------------------------------------------------ helpers

    /** A modify-column of t.n to bigint, with {@code body}'s using or converter lines. */
    private static JobSpec spec(String db, String reorg, String body) {
        return JobSpecParser.parse(
                "reorg: "
                        + reorg
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: t\nmodify-column:\n  column: n\n"
                        + "  type: bigint\n"
                        + body
                        + "  cutover: manual\ntuning:\n  batch-size: 50\n",
                db + ".yaml",
                Map.of());
    }

    /** The split's first page, read by the real reader. */
    private static RowBatch readFirstPage(ReorgSetup.Outcome out, BackfillSplit split)
            throws Exception {
        BackfillSplitReader reader =
                new BackfillSplitReader(out.plan, 1, new UnregisteredMetricsGroup());
        try {
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(split)));
            RecordsWithSplitIds<RowBatch> records = reader.fetch();
            assertThat(records.nextSplit()).isEqualTo(split.splitId());
            RowBatch page = records.nextRecordFromSplit();
            assertThat(page).isNotNull();
            return page;
        } finally {
            reader.close();
        }
    }

    private static Connection open(DataSource ds, String isolation) throws SQLException {
        Connection c = ds.getConnection();
        c.setAutoCommit(false);
        exec(c, "SET TRANSACTION ISOLATION LEVEL " + isolation);
        return c;
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** One committed write in its own transaction at {@code isolation}. */
    private static void writer(DataSource ds, String isolation, String sql) throws SQLException {
        try (Connection c = open(ds, isolation)) {
            exec(c, sql);
            c.commit();
        }
    }

    /**
     * A write that an application retries on a serialization failure (40001), which a REPEATABLE
     * READ writer gets when the row it waited for was updated by the batch meanwhile.
     */
    private static void writerRetrying(DataSource ds, String isolation, String sql) {
        for (int attempt = 0; ; attempt++) {
            try {
                writer(ds, isolation, sql);
                return;
            } catch (SQLException e) {
                if (!"40001".equals(e.getSQLState()) || attempt >= 3) {
                    throw new RuntimeException(e);
                }
            }
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** True when some session waits for a lock held by {@code pid}. */
    private static boolean blockedBy(DataSource ds, int pid) throws SQLException {
        return count(
                        ds,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                + " AND "
                                + pid
                                + " = ANY (pg_blocking_pids(pid))")
                > 0;
    }

    /** Sessions waiting for a lock whose query starts with {@code prefix}. */
    private static long waitingOnLock(DataSource ds, String prefix) throws SQLException {
        return count(
                ds,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND wait_event_type = 'Lock'"
                        + " AND query LIKE '"
                        + prefix
                        + "%'");
    }
}
