package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.addindex.IndexVerifier;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static dev.backfill.job.TestingReorgs.count;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values are carried byte-exact (issue #9): keys and values read as text produced by the server
 * under Backfill's own session settings, whatever pgjdbc's binary switch (after five executions of
 * a statement) and the database's defaults; triggers and verification compare representations, not
 * the type's equality. The oracle is the table itself, as text multisets, read in a session with
 * the same canonical settings. Each reorg reads many more than five pages on one connection
 * (parallelism 1, small batches).
 */
class ExactValuesITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final String MANY_PAGES =
            "  parallelism: 1\n  batch-size: 40\n  split-rows: 100000\n  checkpoint-interval: 1s\n";

    /** The canonical settings, for the test's own text comparisons. */
    private static final String CANONICAL =
            "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = postgres; SET TimeZone = 'UTC';"
                    + " SET extra_float_digits = 3; SET bytea_output = hex";

    @Test
    void aByteaKeyAndAByteaIndexedColumnAreCarriedPastTheDriversBinarySwitch() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "exact_bytea",
                        "CREATE TABLE b (k bytea PRIMARY KEY, v bytea)",
                        // 2,000 rows: 50 pages of 40 on one connection; keys with every byte.
                        "INSERT INTO b SELECT decode(lpad(to_hex(n), 8, '0'), 'hex') || '\\x00ff'::bytea,"
                                + " CASE WHEN n % 9 = 0 THEN NULL ELSE sha256(n::text::bytea) END"
                                + " FROM generate_series(1, 2000) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec("exact_bytea", "b", "b_v", "v", false, MANY_PAGES);

        TestingReorgs.run(spec);

        assertExactIndex(ds, "b", "b_v", "v::text, k::text");
        assertFirstPass(ds, spec, 2000);
        // The watermark of the (one) split is the text of the last key, not a Java object name.
        assertThat(
                        TestingReorgs.strings(
                                ds,
                                "SELECT watermark FROM backfill.progress WHERE reorg_id = '"
                                        + spec.reorgId()
                                        + "'"))
                .allSatisfy(w -> assertThat(w).doesNotContain("[B@"));
    }

    @Test
    void valuesAreExactWhateverTheDatabasesSessionDefaults() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "exact_settings",
                        "CREATE TABLE s (ts timestamptz, f float8, i interval, d date, m money,"
                                + " n numeric, PRIMARY KEY (ts, f))",
                        "INSERT INTO s SELECT timestamptz '2024-03-10 01:30:00+00' + n * interval"
                                + " '17 minutes 0.000123 seconds', 0.1 * n + 1e-17 * n,"
                                + " make_interval(days => n % 40, hours => n % 30),"
                                + " date '2000-02-28' + n, (n * 1.25)::money,"
                                + " round(n / 7.0, n % 5) FROM generate_series(1, 600) n");
        // Every default that changes a value's text differs from Backfill's canonical settings.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String set :
                    List.of(
                            "TimeZone = 'America/St_Johns'",
                            "DateStyle = 'SQL, DMY'",
                            "IntervalStyle = sql_standard",
                            "extra_float_digits = 0",
                            "bytea_output = escape")) {
                st.execute("ALTER DATABASE exact_settings SET " + set);
            }
        }
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "exact_settings", "s", "s_idx", "i, d, m, n", false, MANY_PAGES);

        TestingReorgs.run(spec);

        assertExactIndex(ds, "s", "s_idx", "i::text, d::text, m::text, n::text, ts::text, f::text");
        assertFirstPass(ds, spec, 600);
    }

    @Test
    void writesThatChangeOnlyARepresentationReachTheIndexTable() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "exact_representation",
                        "CREATE TABLE r (id numeric PRIMARY KEY, n numeric, i interval, f float8,"
                                + " j jsonb)",
                        "INSERT INTO r SELECT n, 1.0, interval '1 day', 0, '{\"a\": 1.0}'"
                                + " FROM generate_series(1, 300) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "exact_representation", "r", "r_idx", "n, i, f", false, MANY_PAGES);
        TestingReorgs.run(spec);
        assertFirstPass(ds, spec, 300);

        // Equal to the type, different to us: each must reach its entry through the triggers.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("UPDATE r SET n = 1.000 WHERE id <= 10");
            st.execute("UPDATE r SET i = interval '24 hours' WHERE id BETWEEN 11 AND 20");
            st.execute("UPDATE r SET f = '-0' WHERE id BETWEEN 21 AND 30");
            // The key itself, rewritten to an equal value: the entry's key follows.
            st.execute("UPDATE r SET id = id::numeric(10, 2) WHERE id BETWEEN 31 AND 40");
        }
        assertExactIndex(ds, "r", "r_idx", "n::text, i::text, f::text, id::text");
        assertThat(count(ds, "SELECT count(*) FROM r_idx WHERE n::text = '1.000'")).isEqualTo(10);
        assertThat(count(ds, "SELECT count(*) FROM r_idx WHERE f::text = '-0'")).isEqualTo(10);
        assertThat(count(ds, "SELECT count(*) FROM r_idx WHERE id::text LIKE '%.00'"))
                .isEqualTo(10);
    }

    @Test
    void verificationSeesAnEntryThatDiffersOnlyInRepresentation() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "exact_verify",
                        "CREATE TABLE v (id bigint PRIMARY KEY, n numeric)",
                        "INSERT INTO v SELECT n, 1.0 FROM generate_series(1, 100) n",
                        // An index table made by hand, with one entry equal to its row's value
                        // but not the same: 1.000 for 1.0.
                        "CREATE TABLE v_idx (n numeric, id bigint PRIMARY KEY)",
                        "INSERT INTO v_idx SELECT CASE WHEN id = 42 THEN 1.000 ELSE n END, id FROM v");
        try (Connection c = ds.getConnection()) {
            TableInfo t = TableInfo.load(c, null, "v");
            IndexTable index =
                    new IndexTable(t, "v_idx", List.of(t.column("n").orElseThrow()), false, "x");
            c.setAutoCommit(false);
            IndexVerifier.Result result = IndexVerifier.verify(c, index);
            assertThat(result.ok()).isFalse();
            assertThat(result.toString()).contains("42");
        }
    }

    @Test
    void theIndexTableKeepsTheSourceColumnsCollation() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "exact_collation",
                        "CREATE TABLE c (id int PRIMARY KEY, name text COLLATE \"C\","
                                + " label varchar(20) COLLATE \"und-x-icu\")",
                        "INSERT INTO c SELECT n, (ARRAY['a', 'B', 'b', 'A'])[1 + n % 4] || n,"
                                + " (ARRAY['x', 'Y'])[1 + n % 2] FROM generate_series(1, 200) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "exact_collation", "c", "c_name", "name, label", false, MANY_PAGES);
        TestingReorgs.run(spec);

        assertThat(
                        TestingReorgs.strings(
                                ds,
                                "SELECT a.attname || ' ' || co.collname FROM pg_attribute a"
                                        + " JOIN pg_collation co ON co.oid = a.attcollation"
                                        + " WHERE a.attrelid = 'c_name'::regclass"
                                        + " AND a.attname IN ('name', 'label') ORDER BY 1"))
                .containsExactly("label und-x-icu", "name C");
        assertExactIndex(ds, "c", "c_name", "name::text, label::text, id::text");
        assertFirstPass(ds, spec, 200);
    }

    @Test
    void backfillsConnectionsAreCanonicalWhateverTheJvmsZone() throws Exception {
        TestingReorgs.database("exact_zone", "SELECT 1");
        JobSpec spec = TestingReorgs.addIndexSpec("exact_zone", "t", "t_v", "v", false, null);
        java.util.TimeZone jvm = java.util.TimeZone.getDefault();
        // pgjdbc sends the JVM's zone in its start-up packet, after Backfill's options.
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Asia/Kathmandu"));
        try (Connection c =
                        dev.backfill.db.Connections.dataSource(spec.database(), "zone")
                                .getConnection();
                Statement st = c.createStatement()) {
            for (var e : dev.backfill.db.Connections.CANONICAL.entrySet()) {
                try (var rs = st.executeQuery("SELECT current_setting('" + e.getKey() + "')")) {
                    rs.next();
                    assertThat(rs.getString(1)).as(e.getKey()).isEqualTo(e.getValue());
                }
            }
        } finally {
            java.util.TimeZone.setDefault(jvm);
        }
    }

    @Test
    void aSessionDependentUsingGivesTheSameValueInTheTriggerAsInTheBatches() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "exact_using_zone",
                        "CREATE TABLE e (id int PRIMARY KEY, ts timestamptz, f float8)",
                        "INSERT INTO e SELECT n, timestamptz '2024-01-01 00:00:00+00' + n *"
                                + " interval '7 hours 1.5 seconds', n / 3.0 FROM generate_series(1, 300) n",
                        "CREATE SCHEMA offline");
        JobSpec spec =
                JobSpecParser.parse(
                        "database:\n  url: "
                                + dev.backfill.db.TestingPostgres.get().jdbcUrl("exact_using_zone")
                                + "\n  user: postgres\ntable: e\nmodify-column:\n  column: ts\n"
                                + "  type: text\n  using: ts::text || ' ' || f::text\n"
                                + "tuning:\n"
                                + MANY_PAGES,
                        "exact_using_zone.yaml",
                        java.util.Map.of());
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        // Written while write-only, in sessions whose settings change the text of ts and f.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("SET TimeZone = 'Asia/Kathmandu'");
            st.execute("SET extra_float_digits = 0");
            st.execute("UPDATE e SET f = f + 1 WHERE id % 3 = 0");
            st.execute(
                    "INSERT INTO e SELECT n, now() + n * interval '1 minute', 1 / 7.0"
                            + " FROM generate_series(301, 330) n");
        }
        // The copy for the offline ALTER TABLE: no row changes from here on.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE offline.e AS SELECT id, ts, f FROM e");
        }
        TestingReorgs.runPrepared(out);

        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        TestingReorgs.assertExactRunUnderWrites(ds, spec.reorgId());
        // The offline ALTER TABLE, in a session with Backfill's settings, equals the online one.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute(CANONICAL);
            st.execute(
                    "ALTER TABLE offline.e ALTER COLUMN ts TYPE text USING ts::text || ' ' || f::text");
            assertSameMultisets(
                    st, "SELECT id, ts, f::text FROM e", "SELECT id, ts, f::text FROM offline.e");
        }
        assertThat(count(ds, "SELECT count(*) FROM e")).isEqualTo(330);
    }

    /** The index table equals the table's entries as text multisets, both ways. */
    static void assertExactIndex(DataSource ds, String table, String index, String textColumns)
            throws Exception {
        String a = "SELECT " + textColumns + " FROM " + table;
        String b = "SELECT " + textColumns + " FROM " + index;
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute(CANONICAL);
            assertSameMultisets(st, a, b);
        }
        assertThat(count(ds, "SELECT count(*) FROM " + index))
                .isEqualTo(count(ds, "SELECT count(*) FROM " + table));
    }

    /**
     * {@code a EXCEPT ALL b} and {@code b EXCEPT ALL a} are both empty, in {@code st}'s session.
     */
    private static void assertSameMultisets(Statement st, String a, String b) throws Exception {
        for (String[] pair : new String[][] {{a, b}, {b, a}}) {
            try (var rs =
                    st.executeQuery(
                            "SELECT count(*) FROM ("
                                    + pair[0]
                                    + " EXCEPT ALL "
                                    + pair[1]
                                    + ") d")) {
                rs.next();
                assertThat(rs.getLong(1)).as(pair[0] + " EXCEPT ALL " + pair[1]).isZero();
            }
        }
    }

    /**
     * The reorg is public, its batches scanned and wrote every row, and so the first verification
     * had nothing to repair.
     */
    static void assertFirstPass(DataSource ds, JobSpec spec, long rows) throws Exception {
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        String progress = " FROM backfill.progress WHERE reorg_id = '" + spec.reorgId() + "'";
        assertThat(count(ds, "SELECT sum(rows_scanned)" + progress)).isEqualTo(rows);
        assertThat(count(ds, "SELECT sum(rows_written)" + progress)).isEqualTo(rows);
    }
}
