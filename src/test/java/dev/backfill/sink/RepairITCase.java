package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.op.Verification;

import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #9, "the repair is a safety net that cannot hide anything", on a real PostgreSQL and the
 * MiniCluster: a difference planted while the reorg sits before its first verification (the
 * failpoint {@link Failpoints#FINALIZER_BEFORE_VERIFY}, as a bug in the batch path would leave it)
 * fails a {@code verify: strict} reorg naming the keys and the count and changing nothing, and is
 * repaired, counted in {@code backfill.reorgs.rows_repaired} and logged at WARN in {@code verify:
 * repair} (the default). The batches themselves were exact: their counters show every row written.
 */
class RepairITCase {
    private static final int ROWS = 2000;
    private static final String TUNING =
            "tuning:\n  parallelism: 2\n  batch-size: 300\n  split-rows: 1000\n"
                    + "  checkpoint-interval: 1s\n";

    @AfterEach
    void disarm() {
        Failpoints.disarmAll();
    }

    // ------------------------------------------------------------------ add-index

    @Test
    void addIndexStrictFailsNamingTheKeysAndTheCountAndRepairsNothing() throws Exception {
        DataSource ds = table("repair_ai_strict");
        JobSpec spec = addIndex("repair_ai_strict", "verify: strict\n");
        assertThat(spec.verify()).isEqualTo(JobSpec.Verify.STRICT);
        plantInIndexTable(ds);

        try (LogCapture log = LogCapture.attach(Verification.class)) {
            assertThatThrownBy(() -> TestingReorgs.run(spec)).isNotNull();
            assertThat(log.messages(Level.WARN)).isEmpty();
        }

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error)
                .startsWith(
                        "verification failed: 2 rows without a correct entry (first keys: 777,"
                                + " 1234), 1 entries without their row (first keys: 1234);"
                                + " verify: strict fails the reorg instead of repairing")
                .contains("bug");
        assertThat(r.rowsRepaired).isZero();
        // Nothing changed: the planted difference is still there.
        assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM t_v")).isEqualTo(ROWS - 1);
        assertThat(TestingReorgs.strings(ds, "SELECT v FROM t_v WHERE id IN (777, 1234)"))
                .containsExactly("wrong");
        // The batches wrote every row: the difference came after them.
        TestingReorgs.assertExactRun(ds, spec.reorgId(), ROWS);
    }

    @Test
    void addIndexRepairRepairsCountsAndLogsAtWarn() throws Exception {
        DataSource ds = table("repair_ai_repair");
        JobSpec spec = addIndex("repair_ai_repair", "");
        assertThat(spec.verify()).isEqualTo(JobSpec.Verify.REPAIR);
        plantInIndexTable(ds);

        List<String> warnings;
        try (LogCapture log = LogCapture.attach(Verification.class)) {
            TestingReorgs.run(spec);
            warnings = log.messages(Level.WARN);
        }

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        // 777: one entry inserted; 1234: the wrong entry deleted and the right one inserted.
        assertThat(r.rowsRepaired).isEqualTo(3);
        assertThat(TestingReorgs.except(ds, "SELECT v, id FROM t", "SELECT v, id FROM t_v"))
                .isZero();
        assertThat(TestingReorgs.except(ds, "SELECT v, id FROM t_v", "SELECT v, id FROM t"))
                .isZero();
        // One verification range (fewer than 20,000 rows): one WARN naming it all.
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0))
                .startsWith(
                        "reorg repair-ai-repair: repaired 3 entries of public.t_v in key range"
                                + " (-inf, +inf]")
                .contains("bug in Backfill: please report it");
    }

    // ------------------------------------------------------------------ modify-column

    @Test
    void modifyColumnStrictFailsNamingTheKeyAndChangesNothing() throws Exception {
        DataSource ds = table("repair_mc_strict");
        JobSpec spec = modifyColumn("repair_mc_strict", "verify: strict\n");
        plantInShadow(ds);

        assertThatThrownBy(() -> TestingReorgs.run(spec)).isNotNull();

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error)
                .startsWith("verification failed: 1 of " + ROWS + " rows break")
                .contains("(first keys: 777)", "verify: strict fails the reorg");
        assertThat(r.rowsRepaired).isZero();
        assertThat(TestingReorgs.strings(ds, "SELECT _backfill_new_n::text FROM t WHERE id = 777"))
                .containsExactly("-1");
        assertThat(
                        TestingReorgs.strings(
                                ds,
                                "SELECT format_type(atttypid, atttypmod) FROM"
                                        + " pg_attribute WHERE attrelid = 't'::regclass AND attname = 'n'"))
                .containsExactly("integer");
        TestingReorgs.assertExactRun(ds, spec.reorgId(), ROWS);
    }

    @Test
    void modifyColumnRepairRewritesTheShadowValueAndCountsIt() throws Exception {
        DataSource ds = table("repair_mc_repair");
        JobSpec spec = modifyColumn("repair_mc_repair", "verify: repair\n");
        plantInShadow(ds);

        List<String> warnings;
        try (LogCapture log = LogCapture.attach(Verification.class)) {
            TestingReorgs.run(spec);
            warnings = log.messages(Level.WARN);
        }

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsRepaired).isEqualTo(1);
        assertThat(TestingReorgs.strings(ds, "SELECT n::text FROM t WHERE id = 777"))
                .containsExactly("777");
        assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM t WHERE n IS DISTINCT FROM id"))
                .isZero();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0))
                .startsWith(
                        "reorg repair-mc-repair: repaired 1 values of _backfill_new_n in key"
                                + " range (-inf, +inf]")
                .contains("bug in Backfill: please report it");
    }

    // ------------------------------------------------------------------ support

    /** {@code t (id, v, n)}: {@value #ROWS} rows, {@code n = id}. */
    private static DataSource table(String db) throws SQLException {
        return TestingReorgs.database(
                db,
                "CREATE TABLE t (id bigint PRIMARY KEY, v text, n integer)",
                "INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE t");
    }

    private static JobSpec addIndex(String db, String verify) {
        return JobSpecParser.parse(
                header(db)
                        + "add-index:\n  name: t_v\n  columns: [v]\n  unique: false\n"
                        + TUNING
                        + verify,
                db + ".yaml",
                Map.of());
    }

    private static JobSpec modifyColumn(String db, String verify) {
        return JobSpecParser.parse(
                header(db) + "modify-column:\n  column: n\n  type: bigint\n" + TUNING + verify,
                db + ".yaml",
                Map.of());
    }

    private static String header(String db) {
        return "reorg: "
                + db.replace('_', '-')
                + "\ndatabase:\n  url: "
                + TestingPostgres.get().jdbcUrl(db)
                + "\n  user: postgres\ntable: t\n";
    }

    /** Before verification: the entry of row 777 gone, row 1234's entry with a wrong value. */
    private static void plantInIndexTable(DataSource ds) {
        Failpoints.armAction(
                Failpoints.FINALIZER_BEFORE_VERIFY,
                () ->
                        exec(
                                ds,
                                "DELETE FROM t_v WHERE id = 777",
                                "UPDATE t_v SET v = 'wrong' WHERE id = 1234"));
    }

    /** Before verification: row 777's new value wrong, written with the triggers off. */
    private static void plantInShadow(DataSource ds) {
        Failpoints.armAction(
                Failpoints.FINALIZER_BEFORE_VERIFY,
                () ->
                        // The shadow trigger fires always (replica role too): plant the wrong
                        // value with it disabled, in one transaction.
                        exec(
                                ds,
                                "DO $$ DECLARE n text; BEGIN"
                                        + " SELECT tgname INTO STRICT n FROM pg_trigger"
                                        + " WHERE tgrelid = 't'::regclass AND NOT tgisinternal;"
                                        + " EXECUTE format('ALTER TABLE t DISABLE TRIGGER %I', n);"
                                        + " UPDATE t SET _backfill_new_n = -1 WHERE id = 777;"
                                        + " EXECUTE format('ALTER TABLE t ENABLE ALWAYS TRIGGER %I', n);"
                                        + " END $$"));
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
