package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static dev.backfill.job.TestingReorgs.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A global index (add-index on a partitioned table) stays exact under partition DDL and under
 * {@code session_replication_role = replica}, on the real server: TRUNCATE of a leaf, of a
 * sub-partitioned partition and of the parent, ATTACH (with rows, with a duplicate), CREATE ...
 * PARTITION OF, DETACH (also CONCURRENTLY), DROP of a leaf and of the parent; each during
 * write-only and after public. The oracle is the table itself: its rows and the index table's
 * entries as text multisets, {@code EXCEPT ALL} both ways.
 *
 * <p>Most tests prepare the reorg on an empty table (so that every row is written under the
 * triggers and the index must equal the table from the start), then write rows; the PUBLIC phase
 * then marks the reorg public, the state a run over an empty table reaches at once (see {@code
 * AddIndexITCase.emptyTableGoesStraightToPublicAndARerunIsANoOp}). One test runs the whole reorg of
 * a filled table to public through the Flink job.
 */
class PartitionDdlITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    /** When the DDL runs. */
    enum Phase {
        WRITE_ONLY,
        PUBLIC
    }

    /**
     * p by LIST (region): p_eu; p_us ('us', 'ca') itself by RANGE (id) into p_us_low and the
     * default p_us_high; the default p_other.
     */
    private static final String[] TABLE = {
        "CREATE TABLE p (region text, id bigint, email text, PRIMARY KEY (region, id))"
                + " PARTITION BY LIST (region)",
        "CREATE TABLE p_eu PARTITION OF p FOR VALUES IN ('eu')",
        "CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us', 'ca') PARTITION BY RANGE (id)",
        "CREATE TABLE p_us_low PARTITION OF p_us FOR VALUES FROM (MINVALUE) TO (200)",
        "CREATE TABLE p_us_high PARTITION OF p_us DEFAULT",
        "CREATE TABLE p_other PARTITION OF p DEFAULT"
    };

    private static final String ROWS =
            "INSERT INTO p SELECT (ARRAY['eu', 'us', 'ca', 'ap'])[1 + n % 4], n, 'u' || n"
                    + " FROM generate_series(1, 400) n";

    /** The reorg id of {@link #spec}: the default one. */
    private static final String REORG = "p-add-index-p_email";

    private static final String ROW_TEXT = "SELECT (email, region, id)::text FROM ";

    /** A database with the table, the reorg prepared on it empty, then rows written. */
    private static DataSource prepared(String db, Phase phase, boolean unique) throws Exception {
        return prepared(db, phase, unique, TABLE);
    }

    private static DataSource prepared(String db, Phase phase, boolean unique, String... table)
            throws Exception {
        DataSource ds = TestingReorgs.database(db, table);
        JobSpec spec = spec(db, unique);
        assertThat(ReorgSetup.run(spec).status).isEqualTo(ReorgSetup.Status.PREPARED);
        if (phase == Phase.PUBLIC) {
            exec(
                    ds,
                    "UPDATE backfill.reorgs SET state = 'public' WHERE id = '"
                            + spec.reorgId()
                            + "' AND state = 'write-only'");
            assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state)
                    .isEqualTo(Catalog.State.PUBLIC);
        }
        exec(ds, ROWS);
        assertExact(ds);
        return ds;
    }

    private static JobSpec spec(String db, boolean unique) {
        return TestingReorgs.addIndexSpec(db, "p", "p_email", "email", unique, null);
    }

    /** The index table holds exactly one entry per row of p, as text, both ways. */
    private static void assertExact(DataSource ds) throws SQLException {
        long missing = exceptAll(ds, ROW_TEXT + "p", ROW_TEXT + "p_email");
        long extra = exceptAll(ds, ROW_TEXT + "p_email", ROW_TEXT + "p");
        assertThat(missing + " rows without their entry, " + extra + " entries without their row")
                .isEqualTo("0 rows without their entry, 0 entries without their row");
    }

    private static long exceptAll(DataSource ds, String a, String b) throws SQLException {
        return count(ds, "SELECT count(*) FROM (" + a + " EXCEPT ALL " + b + ") d");
    }

    private static void exec(DataSource ds, String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static long entries(DataSource ds) throws SQLException {
        return count(ds, "SELECT count(*) FROM p_email");
    }

    // ------------------------------------------------------------------ TRUNCATE

    @ParameterizedTest
    @EnumSource(Phase.class)
    void truncateOfALeafDeletesOnlyThatLeafsEntries(Phase phase) throws Exception {
        DataSource ds = prepared("pddl_trunc_leaf_" + phase.name().toLowerCase(), phase, true);

        exec(ds, "TRUNCATE p_eu");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(300);
        exec(ds, "TRUNCATE p_us_high"); // a default partition of a sub-partitioned partition
        assertExact(ds);
        exec(ds, "TRUNCATE p_other"); // the default partition
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(count(ds, "SELECT count(*) FROM p")).isPositive();
        // The leaf's trigger was installed on the existing leaves only: still exact for new rows.
        exec(ds, ROWS.replace("1, 400", "401, 600"));
        assertExact(ds);
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void truncateOfTheParentAndOfASubPartitionedPartitionAlsoUnderTheReplicaRole(Phase phase)
            throws Exception {
        DataSource ds = prepared("pddl_trunc_parent_" + phase.name().toLowerCase(), phase, true);

        exec(ds, "TRUNCATE p_us");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(200);
        exec(ds, "TRUNCATE p");
        assertExact(ds);
        assertThat(entries(ds)).isZero();
        // Logical replication applies a TRUNCATE under the replica role.
        exec(ds, ROWS);
        exec(ds, "SET session_replication_role = replica; TRUNCATE p_eu; TRUNCATE p");
        assertExact(ds);
        assertThat(entries(ds)).isZero();
    }

    // ------------------------------------------------------------------ ATTACH, CREATE

    @ParameterizedTest
    @EnumSource(Phase.class)
    void attachOfATableWithRowsAddsTheirEntriesAndCreatedPartitionsAreGuarded(Phase phase)
            throws Exception {
        DataSource ds = prepared("pddl_attach_" + phase.name().toLowerCase(), phase, true);
        exec(
                ds,
                "CREATE TABLE p_jp (LIKE p)",
                "ALTER TABLE p_jp ADD PRIMARY KEY (region, id)",
                "INSERT INTO p_jp SELECT 'jp', n, 'jp' || n FROM generate_series(1, 50) n");

        exec(ds, "ALTER TABLE p ATTACH PARTITION p_jp FOR VALUES IN ('jp')");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(450);
        // The attached leaf is guarded like the others: writes, TRUNCATE, replica writes.
        exec(ds, "UPDATE p SET email = 'changed' WHERE region = 'jp' AND id = 7");
        exec(ds, "TRUNCATE p_jp");
        assertExact(ds);
        exec(ds, "SET session_replication_role = replica; INSERT INTO p VALUES ('jp', 1, 'x1')");
        assertExact(ds);

        // A partition created in place, and a sub-partitioned table attached with rows.
        exec(ds, "CREATE TABLE p_sa PARTITION OF p FOR VALUES IN ('sa')");
        exec(ds, "INSERT INTO p VALUES ('sa', 1, 'sa1'), ('sa', 2, 'sa2')");
        exec(ds, "TRUNCATE p_sa");
        assertExact(ds);
        exec(
                ds,
                "CREATE TABLE p_au (region text, id bigint, email text, PRIMARY KEY (region, id))"
                        + " PARTITION BY RANGE (id)",
                "CREATE TABLE p_au_all PARTITION OF p_au DEFAULT",
                "INSERT INTO p_au VALUES ('au', 1, 'au1'), ('au', 2, NULL)",
                "ALTER TABLE p ATTACH PARTITION p_au FOR VALUES IN ('au')");
        assertExact(ds);
        exec(ds, "TRUNCATE p_au_all");
        assertExact(ds);
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void attachWithADuplicateOnAUniqueIndexIsRefusedNamingTheIndexAndBothKeys(Phase phase)
            throws Exception {
        DataSource ds = prepared("pddl_attach_dup_" + phase.name().toLowerCase(), phase, true);
        exec(
                ds,
                "CREATE TABLE p_jp (LIKE p)",
                "ALTER TABLE p_jp ADD PRIMARY KEY (region, id)",
                "INSERT INTO p_jp VALUES ('jp', 1, 'jp1'), ('jp', 2, 'u5')");

        assertThatThrownBy(
                        () -> exec(ds, "ALTER TABLE p ATTACH PARTITION p_jp FOR VALUES IN ('jp')"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining(
                        "cannot attach public.p_jp to public.p: duplicate entry 'u5' for key"
                                + " 'p_email' (rows (jp,2) and (us,5)); the global index"
                                + " public.p_email is unique:"
                                + " change one of the two values, then attach again");

        assertThat(count(ds, "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'p_jp'::regclass"))
                .isZero();
        assertExact(ds);
    }

    // ------------------------------------------------------------------ DETACH

    @ParameterizedTest
    @EnumSource(Phase.class)
    void detachRemovesThePartitionsEntriesOrIsRefusedBeforePublic(Phase phase) throws Exception {
        DataSource ds = prepared("pddl_detach_" + phase.name().toLowerCase(), phase, true);

        if (phase == Phase.WRITE_ONLY) {
            assertThatThrownBy(() -> exec(ds, "ALTER TABLE p DETACH PARTITION p_eu"))
                    .hasMessageContaining(
                            "DETACH of partition public.p_eu from public.p is refused: reorg "
                                    + REORG
                                    + " is still building the global index public.p_email"
                                    + " (state write-only), and its batches read that partition;"
                                    + " detach it after the reorg is public, or abort the reorg"
                                    + " first");
            assertThat(count(ds, "SELECT count(*) FROM p WHERE region = 'eu'")).isEqualTo(100);
            assertExact(ds);
            return;
        }
        exec(ds, "ALTER TABLE p DETACH PARTITION p_eu");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(300);
        // A leaf of a sub-partitioned partition, and a whole sub-partitioned partition.
        exec(ds, "ALTER TABLE p_us DETACH PARTITION p_us_low");
        assertExact(ds);
        exec(ds, "ALTER TABLE p DETACH PARTITION p_us");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(100);
        // The detached tables are on their own now: their writes and TRUNCATEs leave the index.
        exec(ds, "INSERT INTO p_eu VALUES ('eu', 9999, 'new')", "TRUNCATE p_eu, p_us_low, p_us");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(100);
        // Attached again: its rows are back in the index.
        exec(
                ds,
                "INSERT INTO p_eu VALUES ('eu', 1, 'back')",
                "ALTER TABLE p ATTACH PARTITION p_eu FOR VALUES IN ('eu')");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(101);
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void detachConcurrentlyRemovesThePartitionsEntriesOrIsRefusedBeforePublic(Phase phase)
            throws Exception {
        // Without a default partition: PostgreSQL refuses CONCURRENTLY when there is one.
        String[] table = TABLE.clone();
        table[TABLE.length - 1] = "CREATE TABLE p_other PARTITION OF p FOR VALUES IN ('ap')";
        DataSource ds =
                prepared("pddl_detach_conc_" + phase.name().toLowerCase(), phase, true, table);

        if (phase == Phase.WRITE_ONLY) {
            assertThatThrownBy(() -> exec(ds, "ALTER TABLE p DETACH PARTITION p_eu CONCURRENTLY"))
                    .hasMessageContaining(
                            "DETACH of partition public.p_eu from public.p is refused");
            // Its first transaction committed: p_eu is detach-pending, its rows out of p, and
            // its entries stay until the reorg is public and the DETACH is finalized.
            exec(
                    ds,
                    "UPDATE backfill.reorgs SET state = 'public' WHERE id = '"
                            + REORG
                            + "' AND state = 'write-only'");
            exec(ds, "ALTER TABLE p DETACH PARTITION p_eu FINALIZE");
        } else {
            exec(ds, "ALTER TABLE p DETACH PARTITION p_eu CONCURRENTLY");
        }
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(count(ds, "SELECT count(*) FROM p")).isEqualTo(300);
        assertThat(count(ds, "SELECT count(*) FROM p_eu")).isEqualTo(100);
    }

    // ------------------------------------------------------------------ DROP

    @ParameterizedTest
    @EnumSource(Phase.class)
    void dropOfALeafIsRefusedAndDropAfterDetachWorks(Phase phase) throws Exception {
        DataSource ds = prepared("pddl_drop_leaf_" + phase.name().toLowerCase(), phase, true);

        for (String leaf : new String[] {"p_eu", "p_us_high", "p_us"}) {
            assertThatThrownBy(() -> exec(ds, "DROP TABLE " + leaf))
                    .hasMessageContaining(
                            "is refused: the global index public.p_email (reorg " + REORG + ")")
                    .hasMessageContaining(
                            "holds entries for its rows; detach it first (ALTER TABLE <its parent>"
                                    + " DETACH PARTITION");
            assertExact(ds);
        }
        assertThat(count(ds, "SELECT count(*) FROM p")).isEqualTo(400);
        // Even an empty partition: once it is dropped, the guard cannot tell it had no rows.
        exec(ds, "CREATE TABLE p_sa PARTITION OF p FOR VALUES IN ('sa')");
        assertThatThrownBy(() -> exec(ds, "DROP TABLE p_sa")).hasMessageContaining("p_sa");
        if (phase == Phase.PUBLIC) {
            exec(ds, "ALTER TABLE p DETACH PARTITION p_eu", "DROP TABLE p_eu");
            assertExact(ds);
            assertThat(entries(ds)).isEqualTo(300);
        }
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void dropOfTheParentDropsTheIndexTableWithIt(Phase phase) throws Exception {
        DataSource ds = prepared("pddl_drop_parent_" + phase.name().toLowerCase(), phase, true);

        exec(ds, "DROP TABLE p");

        assertThat(count(ds, "SELECT count(*) FROM pg_class WHERE relname LIKE 'p\\_%'")).isZero();
        assertThat(TestingReorgs.strings(ds, "SELECT to_regclass('p_email')::text"))
                .containsExactly((String) null);
        // Other DDL still works, and so does a new table of the same name.
        exec(ds, TABLE);
        exec(ds, ROWS, "ALTER TABLE p DETACH PARTITION p_eu", "DROP TABLE p_eu");
    }

    // ------------------------------------------------------------------ the replica role

    @ParameterizedTest
    @EnumSource(Phase.class)
    void writesUnderTheReplicaRoleMaintainTheIndex(Phase phase) throws Exception {
        DataSource ds = prepared("pddl_replica_" + phase.name().toLowerCase(), phase, false);

        exec(
                ds,
                "SET session_replication_role = replica",
                ROWS.replace("1, 400", "401, 500"),
                "UPDATE p SET email = 'changed' || id WHERE id % 3 = 0",
                "UPDATE p SET region = 'ap' WHERE region = 'eu' AND id % 5 = 0",
                "UPDATE p SET id = id + 100000 WHERE region = 'us' AND id < 100",
                "DELETE FROM p WHERE id % 7 = 0");
        assertExact(ds);
        assertThat(count(ds, "SELECT count(*) FROM p_email WHERE email LIKE 'changed%'"))
                .isPositive();
    }

    @Test
    void theShadowTriggerOfModifyColumnFiresUnderTheReplicaRole() throws Exception {
        String db = "pddl_replica_shadow";
        DataSource ds =
                TestingReorgs.database(db, "CREATE TABLE t (id bigint PRIMARY KEY, qty integer)");
        JobSpec spec =
                JobSpecParser.parse(
                        "reorg: "
                                + db
                                + "\ndatabase:\n  url: "
                                + TestingPostgres.get().jdbcUrl(db)
                                + "\n  user: postgres\ntable: t\nmodify-column:\n"
                                + "  column: qty\n  type: bigint\n  using: qty * 10\n",
                        db + ".yaml",
                        Map.of());
        assertThat(ReorgSetup.run(spec).status).isEqualTo(ReorgSetup.Status.PREPARED);

        exec(
                ds,
                "SET session_replication_role = replica",
                "INSERT INTO t SELECT n, n FROM generate_series(1, 50) n",
                "UPDATE t SET qty = qty + 1 WHERE id % 2 = 0");

        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM t WHERE _backfill_new_qty IS DISTINCT FROM"
                                        + " qty * 10"))
                .isZero();
    }

    // ------------------------------------------------------------------ prepare and abort

    @Test
    void abortRemovesEveryGuard() throws Exception {
        DataSource ds = prepared("pddl_abort", Phase.WRITE_ONLY, true);
        exec(ds, "CREATE TABLE p_sa PARTITION OF p FOR VALUES IN ('sa')");
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'backfill\\_%'"))
                .isEqualTo(2);

        assertThat(Abort.run(spec("pddl_abort", true))).isEqualTo(Abort.Outcome.ABORTED);

        assertThat(count(ds, "SELECT count(*) FROM pg_event_trigger")).isZero();
        assertThat(count(ds, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'backfill\\_%'"))
                .isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_proc WHERE pronamespace ="
                                        + " 'backfill'::regnamespace AND proname LIKE 'backfill\\_%'"))
                .isZero();
        // Partition DDL is plain DDL again.
        exec(ds, "ALTER TABLE p DETACH PARTITION p_eu", "DROP TABLE p_eu, p_sa");
    }

    @Test
    void prepareOnAPartitionedTableWithoutSuperuserIsRefusedBeforeAnyDdl() throws Exception {
        String db = "pddl_nosuper";
        DataSource ds = TestingReorgs.database(db, TABLE);
        exec(
                ds,
                "DROP ROLE IF EXISTS pddl_app",
                "CREATE ROLE pddl_app LOGIN",
                "GRANT CREATE ON DATABASE " + db + " TO pddl_app",
                "GRANT CREATE ON SCHEMA public TO pddl_app",
                "ALTER TABLE p OWNER TO pddl_app",
                "ALTER TABLE p_eu OWNER TO pddl_app",
                "ALTER TABLE p_us OWNER TO pddl_app",
                "ALTER TABLE p_us_low OWNER TO pddl_app",
                "ALTER TABLE p_us_high OWNER TO pddl_app",
                "ALTER TABLE p_other OWNER TO pddl_app");
        JobSpec spec =
                JobSpecParser.parse(
                        "database:\n  url: "
                                + TestingPostgres.get().jdbcUrl(db)
                                + "\n  user: pddl_app\ntable: p\nadd-index:\n  name: p_email\n"
                                + "  columns: [email]\n  unique: true\n",
                        db + ".yaml",
                        Map.of());

        assertThatThrownBy(() -> ReorgSetup.run(spec))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessageStartingWith(
                        "add-index on the partitioned table public.p needs a superuser: it creates"
                                + " event triggers")
                .hasMessageEndingWith("run the reorg as a superuser");

        assertThat(TestingReorgs.strings(ds, "SELECT to_regclass('p_email')::text"))
                .containsExactly((String) null);
        assertThat(count(ds, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'backfill\\_%'"))
                .isZero();
        assertThat(count(ds, "SELECT count(*) FROM backfill.reorgs")).isZero();
    }

    // ------------------------------------------------------------------ the full reorg

    @Test
    void aFullReorgToPublicStaysExactUnderPartitionDdl() throws Exception {
        String db = "pddl_job";
        DataSource ds = TestingReorgs.database(db, TABLE);
        exec(ds, ROWS.replace("1, 400", "1, 3000"));
        JobSpec spec = spec(db, true);

        TestingReorgs.run(spec);

        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        assertExact(ds);
        exec(ds, "TRUNCATE p_us_low");
        assertExact(ds);
        exec(
                ds,
                "CREATE TABLE p_jp (LIKE p)",
                "ALTER TABLE p_jp ADD PRIMARY KEY (region, id)",
                "INSERT INTO p_jp SELECT 'jp', n, 'jp' || n FROM generate_series(1, 40) n",
                "ALTER TABLE p ATTACH PARTITION p_jp FOR VALUES IN ('jp')");
        assertExact(ds);
        exec(ds, "ALTER TABLE p DETACH PARTITION p_eu");
        assertExact(ds);
        assertThatThrownBy(() -> exec(ds, "DROP TABLE p_other")).hasMessageContaining("is refused");
        exec(ds, "SET session_replication_role = replica; DELETE FROM p WHERE id % 2 = 0");
        assertExact(ds);
        assertThat(entries(ds)).isEqualTo(count(ds, "SELECT count(*) FROM p")).isPositive();
    }
}
