package dev.backfill.job;

import dev.backfill.db.Identifiers;
import dev.backfill.db.Retry;
import dev.backfill.db.TestingPostgres;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.addindex.Tombstones;
import dev.backfill.reorg.Finalizer;
import dev.backfill.reorg.ReorgSetup;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.backfill.job.TestingReorgs.except;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The write-only add-index batch ({@link IndexSql#addIndexBatchWriteOnly}: insert the entries as
 * read, {@code ON CONFLICT (key) DO NOTHING}, no re-read, no row lock) against every kind of write
 * to the row it ships, step by step with two sessions on the real server: the writer commits before
 * the batch statement, is in progress while it runs (the batch waits for the writer's entry tuple),
 * or starts after it (the writer's trigger waits for the batch's tuple), at READ COMMITTED and
 * REPEATABLE READ. Each case ends as the finalizer does (switch to the deleting triggers, purge the
 * tombstones, drop the marker) and asserts the index table equals the table, by text. Also:
 * TRUNCATE against a stale batch, the purge against a write that revives a tombstone, a finalizer
 * that crashes between its tombstone steps, and an index table without the marker (prepared before
 * the write-only sink) that keeps the locking batch.
 */
class WriteOnlyBatchITCase {
    /** Rows (10, 'u1'), (20, 'u2'), ...: every batch of a case ships row 10 as ('10', 'u1'). */
    private static final int ROWS = 5;

    private static final AtomicInteger DB = new AtomicInteger();

    enum Timing {
        /** The writer commits before the batch statement runs. */
        BEFORE,
        /** The writer's entry tuple is in progress while the batch inserts: the batch waits. */
        DURING,
        /** The batch's tuple is in progress when the writer's trigger upserts: the writer waits. */
        AFTER
    }

    static List<Arguments> cases() {
        List<String> writes =
                List.of(
                        "UPDATE accounts SET email = 'v1' WHERE id = 10",
                        "DELETE FROM accounts WHERE id = 10",
                        "UPDATE accounts SET id = 11 WHERE id = 10",
                        "DELETE FROM accounts WHERE id = 10;"
                                + " INSERT INTO accounts VALUES (10, 'w1', 1)",
                        "UPDATE accounts SET email = 'v1' WHERE id = 10;"
                                + " INSERT INTO accounts VALUES (60, 'u1', 6)");
        List<Arguments> out = new ArrayList<>();
        for (String w : writes) {
            for (boolean rr : new boolean[] {false, true}) {
                for (Timing t : Timing.values()) {
                    out.add(Arguments.of(w, rr, t));
                }
            }
        }
        return out;
    }

    @AfterEach
    void disarm() {
        Failpoints.disarmAll();
    }

    @ParameterizedTest(name = "{0} | repeatable read {1} | {2}")
    @MethodSource("cases")
    void aStaleBatchNeverOverwritesAWrite(String write, boolean repeatableRead, Timing timing)
            throws Exception {
        Fixture f = new Fixture("wonly_race_" + DB.incrementAndGet());
        try (Connection writer = f.pg.getConnection();
                Connection batch = f.pg.getConnection()) {
            writer.setAutoCommit(false);
            if (repeatableRead) {
                writer.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            }
            batch.setAutoCommit(false);
            int writerPid = pid(writer);
            int batchPid = pid(batch);
            // The writer's snapshot (REPEATABLE READ: from here on) predates the batch's commit.
            f.query(writer, "SELECT count(*) FROM accounts");
            switch (timing) {
                case BEFORE -> {
                    f.write(writer, write);
                    writer.commit();
                    assertThat(f.batch(batch, "10", "u1")).as("entries inserted").isZero();
                    batch.commit();
                }
                case DURING -> {
                    f.write(writer, write);
                    CompletableFuture<Integer> b =
                            CompletableFuture.supplyAsync(
                                    () -> f.batchUnchecked(batch, "10", "u1"));
                    f.awaitBlocked(batchPid, "the batch waits for the writer's entry tuple");
                    writer.commit();
                    assertThat(b.get(30, TimeUnit.SECONDS)).as("entries inserted").isZero();
                    batch.commit();
                }
                case AFTER -> {
                    assertThat(f.batch(batch, "10", "u1")).as("entries inserted").isOne();
                    CompletableFuture<Void> w =
                            CompletableFuture.runAsync(
                                    () -> {
                                        try {
                                            f.write(writer, write);
                                            writer.commit();
                                        } catch (SQLException e) {
                                            throw new java.util.concurrent.CompletionException(e);
                                        }
                                    });
                    f.awaitBlocked(writerPid, "the writer waits for the batch's entry tuple");
                    batch.commit();
                    if (repeatableRead) {
                        assertThatThrownBy(() -> w.get(30, TimeUnit.SECONDS))
                                .as("the REPEATABLE READ writer after the batch committed")
                                .hasCauseInstanceOf(SQLException.class)
                                .satisfies(
                                        e ->
                                                assertThat(
                                                                ((SQLException) e.getCause())
                                                                        .getSQLState())
                                                        .isEqualTo("40001"));
                        writer.rollback();
                        // Retried with a new snapshot, it succeeds.
                        f.write(writer, write);
                        writer.commit();
                    } else {
                        w.get(30, TimeUnit.SECONDS);
                    }
                }
            }
        }
        f.finishAndAssertExact();
    }

    @Test
    void aTruncateStopsABatchReadBeforeIt() throws Exception {
        Fixture f = new Fixture("wonly_truncate");
        try (Connection c = f.pg.getConnection()) {
            c.setAutoCommit(false);
            // Row 20 got its entry before the TRUNCATE; row 10 was read but not yet written.
            assertThat(f.batch(c, "20", "u2")).isOne();
            c.commit();
            f.write(c, "TRUNCATE accounts");
            c.commit();
            assertThat(
                            TestingReorgs.count(
                                    f.ds,
                                    "SELECT count(*) FROM accounts_email WHERE \""
                                            + IndexTable.TOMBSTONE
                                            + "\""))
                    .as("tombstones left by the TRUNCATE, one per row it removed")
                    .isEqualTo(ROWS);
            assertThat(f.batch(c, "10", "u1")).as("entries inserted by the stale batch").isZero();
            c.commit();
            f.write(c, "INSERT INTO accounts VALUES (10, 'x1', 1), (70, 'u1', 7)");
            c.commit();
        }
        f.finishAndAssertExact(false);
    }

    @Test
    void thePurgeSkipsATombstoneThatAWriteRevives() throws Exception {
        Fixture f = new Fixture("wonly_revive");
        try (Connection writer = f.pg.getConnection();
                Connection purger = f.pg.getConnection()) {
            writer.setAutoCommit(false);
            purger.setAutoCommit(false);
            f.write(writer, "DELETE FROM accounts WHERE id IN (10, 20)");
            writer.commit();
            f.batchRest(purger);
            Tombstones.switchTriggers(purger, f.index);
            // The writer revives key 10 (its upsert updates the tombstone) and holds it.
            int purgerPid = pid(purger);
            f.write(writer, "INSERT INTO accounts VALUES (10, 'r1', 1)");
            CompletableFuture<Long> p =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return Tombstones.purge(purger, f.index);
                                } catch (SQLException e) {
                                    throw new java.util.concurrent.CompletionException(e);
                                }
                            });
            f.awaitBlocked(purgerPid, "the purge waits for the reviving write");
            writer.commit();
            assertThat(p.get(30, TimeUnit.SECONDS)).as("tombstones purged (key 20 only)").isOne();
            Tombstones.dropMarker(purger, f.index, 1000, Retry.defaults());
        }
        f.assertExact();
        assertThat(TestingReorgs.strings(f.ds, "SELECT email FROM accounts_email WHERE id = 10"))
                .containsExactly("r1");
    }

    /**
     * A writer whose session still ran the tombstone form of the row trigger after the switch
     * committed, while the revive trigger on the index table already ran its new body (a session
     * revalidates each function against the catalog as of its last invalidation processing, which a
     * new lock brings: the index table's, taken after the row trigger started). Which body a real
     * session runs depends on that timing (ConcurrentDmlITCase met it once the readers were paced),
     * so the test replays the old body's statement itself: the row is deleted with the table's own
     * triggers held off ({@code session_replication_role = replica}; the revive trigger is ENABLE
     * ALWAYS and still fires), then the tombstone upsert the old body runs. The tombstone must stay
     * a tombstone, and the purge must remove it.
     */
    @Test
    void aWriterStillOnTheTombstoneFormAfterTheSwitchLeavesATombstone() throws Exception {
        Fixture f = new Fixture("wonly_mixed");
        String marker = Identifiers.quote(IndexTable.TOMBSTONE);
        try (Connection writer = f.pg.getConnection();
                Connection finalizer = f.pg.getConnection()) {
            writer.setAutoCommit(false);
            finalizer.setAutoCommit(false);
            f.batchRows(finalizer, "true");
            assertThat(Tombstones.switchTriggers(finalizer, f.index)).isTrue();
            // The old body's tombstone upsert, then the row's delete with the table's own
            // triggers held off: together, what that writer's DELETE did.
            f.write(
                    writer,
                    "INSERT INTO accounts_email (id, "
                            + marker
                            + ") VALUES (20, true) ON CONFLICT (id) DO UPDATE SET email = NULL, "
                            + marker
                            + " = true");
            writer.commit();
            assertThat(
                            TestingReorgs.count(
                                    f.ds,
                                    "SELECT count(*) FROM accounts_email WHERE id = 20 AND "
                                            + marker))
                    .as("the entry of the deleted row is a tombstone")
                    .isOne();
            // (The table's triggers fire under session_replication_role = replica too.)
            List<String> triggers =
                    TestingReorgs.strings(
                            f.ds,
                            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'accounts'::regclass"
                                    + " AND NOT tgisinternal");
            f.write(writer, "ALTER TABLE accounts DISABLE TRIGGER USER");
            f.write(writer, "DELETE FROM accounts WHERE id = 20");
            for (String t : triggers) {
                f.write(
                        writer,
                        "ALTER TABLE accounts ENABLE ALWAYS TRIGGER " + Identifiers.quote(t));
            }
            writer.commit();
            // And the deleting form's own upsert over a tombstone still revives it.
            f.write(writer, "DELETE FROM accounts WHERE id = 30");
            writer.commit();
            f.write(
                    writer,
                    "INSERT INTO accounts_email (id, "
                            + marker
                            + ") VALUES (30, true) ON CONFLICT (id) DO UPDATE SET email = NULL, "
                            + marker
                            + " = true");
            writer.commit();
            f.write(writer, "INSERT INTO accounts VALUES (30, 'back', 3)");
            writer.commit();
            assertThat(
                            TestingReorgs.count(
                                    f.ds,
                                    "SELECT count(*) FROM accounts_email WHERE id = 30 AND NOT "
                                            + marker
                                            + " AND email = 'back'"))
                    .as("the revived entry is live")
                    .isOne();
            assertThat(Tombstones.purge(finalizer, f.index)).as("tombstones purged").isOne();
            Tombstones.dropMarker(finalizer, f.index, 1000, Retry.defaults());
        }
        f.assertExact();
        assertThat(TestingReorgs.count(f.ds, "SELECT count(*) FROM accounts_email WHERE id = 20"))
                .isZero();
    }

    @Test
    void aFinalizerThatCrashesBetweenItsTombstoneStepsResumes() throws Exception {
        Fixture f = new Fixture("wonly_resume", 2500);
        try (Connection c = f.pg.getConnection()) {
            c.setAutoCommit(false);
            f.batchRows(c, "true");
            // More tombstones than one purge transaction deletes.
            f.write(c, "DELETE FROM accounts WHERE id % 20 = 0");
            c.commit();
        }
        long rows = TestingReorgs.count(f.ds, "SELECT count(*) FROM accounts");
        // Crash after the first purge transaction, then after the marker is dropped.
        Failpoints.arm(Tombstones.PURGE_STEP, 1, 1);
        assertThatThrownBy(() -> Finalizer.finish(f.plan))
                .isInstanceOf(Failpoints.InjectedFailure.class);
        assertThat(f.markerPresent()).as("marker after the crash in the purge").isTrue();
        Failpoints.arm(Failpoints.FINALIZER_BEFORE_VERIFY, 1, 1);
        assertThatThrownBy(() -> Finalizer.finish(f.plan))
                .isInstanceOf(Failpoints.InjectedFailure.class);
        assertThat(f.markerPresent()).as("marker after the crash before verifying").isFalse();
        Failpoints.disarmAll();
        assertThat(Finalizer.finish(f.plan).ok()).as("verified").isTrue();
        assertThat(TestingReorgs.reorg(f.ds, f.plan.reorgId()).rowsRepaired)
                .as("rows repaired")
                .isZero();
        f.assertExact();
        assertThat(TestingReorgs.count(f.ds, "SELECT count(*) FROM accounts_email"))
                .isEqualTo(rows);
    }

    @Test
    void anIndexTableWithoutTheMarkerKeepsTheLockingBatch() throws Exception {
        String db = "wonly_legacy";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int)",
                        "INSERT INTO accounts SELECT g, 'u' || g, g FROM generate_series(1, 3000) g");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "accounts", "accounts_email", "email", true, null);
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        // Emulate a reorg prepared before the write-only sink: deleting triggers, no marker.
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            Tombstones.switchTriggers(c, TestingReorgs.index(out.plan));
            Tombstones.dropMarker(c, TestingReorgs.index(out.plan), 1000, Retry.defaults());
            assertThat(Tombstones.present(c, TestingReorgs.index(out.plan))).isFalse();
            c.commit();
        }
        TestingReorgs.runPrepared(out);
        TestingReorgs.assertExactRun(ds, out.plan.reorgId(), 3000);
        // The locking batch's FOR SHARE leaves the locker in every row's xmax.
        assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM accounts WHERE xmax <> '0'"))
                .as("rows locked by the batches")
                .isEqualTo(3000);
    }

    @Test
    void aJobWithTheMarkerIsExactAndNeverLocksARow() throws Exception {
        String db = "wonly_job";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int)",
                        "INSERT INTO accounts SELECT g, 'u' || g, g FROM generate_series(1, 3000) g",
                        "DELETE FROM accounts WHERE id % 7 = 0");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "accounts", "accounts_email", "email", true, null);
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        long rows = TestingReorgs.count(ds, "SELECT count(*) FROM accounts");
        try (Connection c = ds.getConnection()) {
            assertThat(Tombstones.present(c, TestingReorgs.index(out.plan)))
                    .as("prepared with the marker")
                    .isTrue();
        }
        TestingReorgs.runPrepared(out);
        TestingReorgs.assertExactRun(ds, out.plan.reorgId(), rows);
        assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM accounts WHERE xmax <> '0'"))
                .as("rows locked by the batches")
                .isZero();
        try (Connection c = ds.getConnection()) {
            assertThat(Tombstones.present(c, TestingReorgs.index(out.plan)))
                    .as("marker after public")
                    .isFalse();
        }
        assertThat(
                        TestingReorgs.count(
                                ds,
                                "SELECT count(*) FROM pg_attribute WHERE attrelid ="
                                        + " 'accounts_email'::regclass AND attnum > 0 AND NOT"
                                        + " attisdropped"))
                .as("columns of the public index table")
                .isEqualTo(2);
    }

    private static int pid(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            int pid = rs.getInt(1);
            if (!auto) {
                c.commit();
            }
            return pid;
        }
    }

    /** A table with the add-index prepared (triggers installed, index table empty). */
    private static final class Fixture {
        final DataSource ds;
        final PGSimpleDataSource pg;
        final IndexTable index;
        final ReorgPlan plan;
        final int rows;

        Fixture(String db) throws Exception {
            this(db, ROWS);
        }

        Fixture(String db, int rows) throws Exception {
            this.rows = rows;
            ds =
                    TestingReorgs.database(
                            db,
                            "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int)",
                            "INSERT INTO accounts SELECT g * 10, 'u' || g, g"
                                    + " FROM generate_series(1, "
                                    + rows
                                    + ") g");
            JobSpec spec =
                    TestingReorgs.addIndexSpec(
                            db, "accounts", "accounts_email", "email", true, null);
            ReorgSetup.Outcome out = ReorgSetup.run(spec);
            assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
            plan = out.plan;
            index = TestingReorgs.index(out.plan);
            pg = TestingPostgres.get().dataSource(db);
            try (Connection c = pg.getConnection()) {
                assertThat(Tombstones.present(c, index)).as("prepared with the marker").isTrue();
            }
        }

        void query(Connection c, String sql) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.executeQuery(sql).close();
            }
        }

        void write(Connection c, String sql) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }

        /** The write-only batch statement for one row, as read: returns entries inserted. */
        int batch(Connection c, String key, String email) throws SQLException {
            return batch(c, new String[] {key}, new String[] {email});
        }

        int batch(Connection c, String[] keys, String[] emails) throws SQLException {
            try (PreparedStatement ps =
                    c.prepareStatement(IndexSql.addIndexBatchWriteOnly(index))) {
                ps.setArray(1, c.createArrayOf("text", keys));
                ps.setArray(2, c.createArrayOf("text", emails));
                return ps.executeUpdate();
            }
        }

        int batchUnchecked(Connection c, String key, String email) {
            try {
                return batch(c, key, email);
            } catch (SQLException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }

        /**
         * The reader of the remaining rows: reads every row but 10 now and writes their batch (row
         * 10's was the race's).
         */
        void batchRest(Connection c) throws SQLException {
            batchRows(c, "id <> 10");
        }

        /** Reads the rows matching {@code where} now and writes them in one batch. */
        void batchRows(Connection c, String where) throws SQLException {
            List<String> keys = new ArrayList<>();
            List<String> emails = new ArrayList<>();
            try (Statement st = c.createStatement();
                    ResultSet rs =
                            st.executeQuery(
                                    "SELECT id::text, email::text FROM accounts WHERE "
                                            + where
                                            + " ORDER BY id")) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                    emails.add(rs.getString(2));
                }
            }
            c.commit();
            batch(c, keys.toArray(new String[0]), emails.toArray(new String[0]));
            c.commit();
        }

        void awaitBlocked(int pid, String what) throws Exception {
            TestingReorgs.await(
                    what,
                    Duration.ofSeconds(30),
                    () ->
                            TestingReorgs.count(
                                            ds, "SELECT cardinality(pg_blocking_pids(" + pid + "))")
                                    > 0);
        }

        boolean markerPresent() throws SQLException {
            try (Connection c = pg.getConnection()) {
                return Tombstones.present(c, index);
            }
        }

        void finishAndAssertExact() throws Exception {
            finishAndAssertExact(true);
        }

        /** As the finalizer does: the other rows' batch, switch, purge, drop; then exact. */
        void finishAndAssertExact(boolean batchRest) throws Exception {
            try (Connection c = pg.getConnection()) {
                c.setAutoCommit(false);
                if (batchRest) {
                    batchRest(c);
                }
                Tombstones.switchTriggers(c, index);
                Tombstones.purge(c, index);
                Tombstones.dropMarker(c, index, 1000, Retry.defaults());
            }
            assertExact();
            // The deleting form is in place: a DELETE now removes the entry, leaves no tombstone.
            try (Connection c = pg.getConnection()) {
                write(c, "DELETE FROM accounts WHERE id = (SELECT min(id) FROM accounts)");
            }
            assertExact();
        }

        void assertExact() throws SQLException {
            assertThat(markerPresent()).as("marker column after the finalizer steps").isFalse();
            assertThat(
                            except(
                                    ds,
                                    "SELECT email::text, id::text FROM accounts_email",
                                    "SELECT email::text, id::text FROM accounts"))
                    .as("stale entries")
                    .isZero();
            assertThat(
                            except(
                                    ds,
                                    "SELECT email::text, id::text FROM accounts",
                                    "SELECT email::text, id::text FROM accounts_email"))
                    .as("rows without their entry")
                    .isZero();
            assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM accounts_email"))
                    .as("entries")
                    .isEqualTo(TestingReorgs.count(ds, "SELECT count(*) FROM accounts"));
        }
    }
}
