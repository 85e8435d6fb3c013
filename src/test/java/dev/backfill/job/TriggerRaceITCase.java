package dev.backfill.job;

import dev.backfill.db.TestingPostgres;
import dev.backfill.model.JobSpec;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.addindex.Tombstones;
import dev.backfill.reorg.ReorgSetup;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

import static dev.backfill.job.TestingReorgs.except;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The race behind the unique violations {@link ConcurrentDmlITCase} used to count as expected,
 * replayed step by step with two sessions on the real server: a REPEATABLE READ writer takes its
 * snapshot, an add-index batch then locks a row ({@code FOR SHARE}), inserts its entry and commits,
 * and the writer then re-keys (or deletes) that row. The row was only locked, not modified, by the
 * batch, so PostgreSQL lets the writer's UPDATE/DELETE through without a serialization failure. Its
 * trigger's {@code DELETE} of the old entry runs under the writer's snapshot, which does not see
 * the batch's entry, and deletes nothing; the re-key's upsert of the new entry then collides with
 * that entry on the values constraint (23505 on {@code accounts_email_unique}, although every email
 * is unique), and a delete leaves the entry stale.
 *
 * <p>The trigger prevents this by claiming the old entry first ({@code INSERT ... ON CONFLICT DO
 * NOTHING} of the old entry, see {@link IndexSql#createTriggers}): at REPEATABLE READ a conflict
 * with a row the snapshot does not see is a serialization failure (40001), which the writer retries
 * with a new snapshot. These tests assert exactly that: 40001, no unique violation, and an exact
 * index table afterwards; and that the same writer at READ COMMITTED simply succeeds.
 */
class TriggerRaceITCase {
    /** Rows (10, 'u1'), (20, 'u2'), ...: the batch indexes row 10. */
    private static final int ROWS = 5;

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "UPDATE accounts SET id = 11 WHERE id = 10",
                "DELETE FROM accounts WHERE id = 10"
            })
    void repeatableReadWriterRacingABatchGetsASerializationFailure(String dml) throws Exception {
        String db = "trigger_race_rr_" + (dml.startsWith("UPDATE") ? "rekey" : "delete");
        Fixture f = new Fixture(db);
        try (Connection writer = f.pg.getConnection();
                Connection batch = f.pg.getConnection()) {
            writer.setAutoCommit(false);
            writer.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            batch.setAutoCommit(false);
            // 1. The writer takes its snapshot.
            f.query(writer, "SELECT count(*) FROM accounts");
            // 2. A batch indexes row 10 and commits after that snapshot.
            assertThat(f.batch(batch, "10", "u1")).as("entries inserted by the batch").isOne();
            batch.commit();
            // 3. The writer re-keys or deletes row 10.
            assertThatThrownBy(
                            () -> {
                                try (Statement st = writer.createStatement()) {
                                    st.executeUpdate(dml);
                                }
                                writer.commit();
                            })
                    .as("the writer's " + dml)
                    .isInstanceOfSatisfying(
                            SQLException.class,
                            e ->
                                    assertThat(e.getSQLState())
                                            .as("SQLSTATE of " + e.getMessage())
                                            .isEqualTo("40001"));
            writer.rollback();
            // 4. Retried with a new snapshot, it succeeds.
            try (Statement st = writer.createStatement()) {
                assertThat(st.executeUpdate(dml)).as("retried " + dml).isOne();
            }
            writer.commit();
        }
        f.assertExact(dml.startsWith("UPDATE") ? ROWS : ROWS - 1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "UPDATE accounts SET id = 11 WHERE id = 10",
                "DELETE FROM accounts WHERE id = 10"
            })
    void readCommittedWriterRacingABatchSeesItsEntry(String dml) throws Exception {
        String db = "trigger_race_rc_" + (dml.startsWith("UPDATE") ? "rekey" : "delete");
        Fixture f = new Fixture(db);
        try (Connection writer = f.pg.getConnection();
                Connection batch = f.pg.getConnection()) {
            writer.setAutoCommit(false);
            batch.setAutoCommit(false);
            f.query(writer, "SELECT count(*) FROM accounts");
            assertThat(f.batch(batch, "10", "u1")).as("entries inserted by the batch").isOne();
            batch.commit();
            try (Statement st = writer.createStatement()) {
                assertThat(st.executeUpdate(dml)).as(dml).isOne();
            }
            writer.commit();
        }
        f.assertExact(dml.startsWith("UPDATE") ? ROWS : ROWS - 1);
    }

    /** A table with the add-index prepared (triggers installed, index table empty). */
    private static final class Fixture {
        final DataSource ds;
        final PGSimpleDataSource pg;
        final IndexTable index;

        Fixture(String db) throws Exception {
            ds =
                    TestingReorgs.database(
                            db,
                            "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int)",
                            "INSERT INTO accounts SELECT g * 10, 'u' || g, g"
                                    + " FROM generate_series(1, "
                                    + ROWS
                                    + ") g");
            JobSpec spec =
                    TestingReorgs.addIndexSpec(
                            db, "accounts", "accounts_email", "email", true, null);
            ReorgSetup.Outcome out = ReorgSetup.run(spec);
            assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
            index = TestingReorgs.index(out.plan);
            pg = TestingPostgres.get().dataSource(db);
        }

        void query(Connection c, String sql) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.executeQuery(sql).close();
            }
        }

        /**
         * The sink's add-index batch statement for one row, as read, in the form the writer picks
         * (write-only when the index table has tombstones): returns entries inserted.
         */
        int batch(Connection c, String key, String email) throws SQLException {
            boolean writeOnly = Tombstones.present(c, index);
            try (PreparedStatement ps =
                    c.prepareStatement(
                            writeOnly
                                    ? IndexSql.addIndexBatchWriteOnly(index)
                                    : IndexSql.addIndexBatch(index, "public.accounts"))) {
                ps.setArray(1, c.createArrayOf("text", new String[] {key}));
                ps.setArray(2, c.createArrayOf("text", new String[] {email}));
                return ps.executeUpdate();
            }
        }

        /**
         * After the other rows are indexed too, the index table equals the table: no stale entry,
         * no missing one, {@code entries} in all (one per remaining row).
         */
        void assertExact(long entries) throws Exception {
            // The other rows have no entry yet (no batch read them): index them now.
            try (Connection c = pg.getConnection()) {
                c.setAutoCommit(false);
                for (int g = 2; g <= ROWS; g++) {
                    batch(c, String.valueOf(g * 10), "u" + g);
                }
                c.commit();
                // As the finalizer does before verifying: deleting triggers, purge, drop.
                if (Tombstones.present(c, index)) {
                    Tombstones.switchTriggers(c, index);
                    Tombstones.purge(c, index);
                    Tombstones.dropMarker(c, index, 1000, dev.backfill.db.Retry.defaults());
                }
            }
            assertThat(
                            except(
                                    ds,
                                    "SELECT email, id FROM accounts_email",
                                    "SELECT email, id FROM accounts"))
                    .as("stale entries")
                    .isZero();
            assertThat(
                            except(
                                    ds,
                                    "SELECT email, id FROM accounts",
                                    "SELECT email, id FROM accounts_email"))
                    .as("rows without their entry")
                    .isZero();
            assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM accounts_email"))
                    .as("entries")
                    .isEqualTo(entries);
        }
    }
}
