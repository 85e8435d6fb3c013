package dev.backfill.sink;

import dev.backfill.db.DdlLockWait;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.ReorgSetup;

import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #10, item 4, on the real server: a DDL step (here prepare, through {@link ReorgSetup#run})
 * whose lock wait times out names whom it waited for, and waits past {@code deadlock_timeout} only
 * when that is an autovacuum worker, so that PostgreSQL cancels the autovacuum.
 */
class DdlLockWaitITCase {
    private static final String TUNING =
            "  parallelism: 1\n  batch-size: 200\n  split-rows: 1000\n  checkpoint-interval: 1s\n"
                    + "  lock-timeout: 200ms\n";

    private static DataSource database(String name, String storage) throws SQLException {
        return TestingReorgs.database(
                name,
                "CREATE SCHEMA shop",
                "CREATE TABLE shop.orders (id bigint PRIMARY KEY, email text, amount int)"
                        + storage,
                "INSERT INTO shop.orders SELECT n, 'u' || n || '@example.com', n % 100"
                        + " FROM generate_series(1, 20000) n");
    }

    private static JobSpec spec(String db) {
        return TestingReorgs.addIndexSpec(
                db, "shop.orders", "orders_email", "email", false, TUNING);
    }

    private static long pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aClientBlockerIsLoggedAndKeepsTheShortTimeout() throws Exception {
        DataSource ds = database("ddlwait_client", "");
        JobSpec spec = spec("ddlwait_client");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection writer = ds.getConnection();
                LogCapture log = LogCapture.attach(DdlLockWait.class)) {
            long writerPid = pid(writer);
            try (Statement st = writer.createStatement()) {
                st.execute("SET application_name = 'ddlwait-writer'");
                writer.setAutoCommit(false);
                // An open write transaction: ROW EXCLUSIVE on the table, which conflicts with the
                // SHARE ROW EXCLUSIVE lock prepare's CREATE TRIGGER needs.
                st.execute("UPDATE shop.orders SET amount = amount WHERE id = 1");
            }
            Future<ReorgSetup.Outcome> setup = pool.submit(() -> ReorgSetup.run(spec));
            TestingReorgs.await(
                    "prepare logs the writer as its blocker",
                    Duration.ofSeconds(30),
                    () ->
                            log.messages(Level.WARN).stream()
                                    .anyMatch(m -> m.contains("pid " + writerPid + " (")));
            writer.commit();
            assertThat(setup.get(60, TimeUnit.SECONDS).status)
                    .isEqualTo(ReorgSetup.Status.PREPARED);

            List<String> waits = log.messages(Level.WARN);
            String named =
                    waits.stream()
                            .filter(m -> m.contains("pid " + writerPid + " ("))
                            .findFirst()
                            .orElseThrow();
            assertThat(named)
                    .contains("preparing reorg")
                    .contains("client backend")
                    .contains("application_name 'ddlwait-writer'")
                    .contains("state idle in transaction")
                    .contains("query 'UPDATE shop.orders SET amount = amount WHERE id = 1'")
                    .contains("next attempt with lock_timeout 200 ms")
                    // an autovacuum may be found beside the writer (CI once saw one); the writer
                    // held on through the whole wait, so the timeout stays short all the same
                    .doesNotContain("cancels the autovacuum");
            // Every wait behind the writer kept the short timeout.
            assertThat(waits).allSatisfy(m -> assertThat(m).contains("lock_timeout 200 ms"));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Abort, the same shared wait, on a table named without its schema in the spec: the writer that
     * holds abort's DROP TRIGGER back is named, and abort completes once it commits.
     */
    @Test
    void abortOnAnUnqualifiedTableNamesItsBlocker() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "ddlwait_abort",
                        "CREATE TABLE orders (id bigint PRIMARY KEY, email text, amount int)",
                        "INSERT INTO orders SELECT n, 'u' || n, n FROM generate_series(1, 1000) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "ddlwait_abort", "orders", "orders_email", "email", false, TUNING);
        assertThat(ReorgSetup.run(spec).status).isEqualTo(ReorgSetup.Status.PREPARED);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection writer = ds.getConnection();
                LogCapture log = LogCapture.attach(DdlLockWait.class)) {
            long writerPid = pid(writer);
            try (Statement st = writer.createStatement()) {
                st.execute("SET application_name = 'ddlwait-abort-writer'");
                writer.setAutoCommit(false);
                st.execute("UPDATE orders SET amount = amount WHERE id = 7");
            }
            Future<Abort.Outcome> abort = pool.submit(() -> Abort.run(spec));
            TestingReorgs.await(
                    "abort logs the writer as its blocker",
                    Duration.ofSeconds(30),
                    () ->
                            log.messages(Level.WARN).stream()
                                    .anyMatch(m -> m.contains("pid " + writerPid + " (")));
            writer.commit();
            assertThat(abort.get(60, TimeUnit.SECONDS)).isEqualTo(Abort.Outcome.ABORTED);
            assertThat(log.messages(Level.WARN))
                    .anySatisfy(
                            m ->
                                    assertThat(m)
                                            .contains("dropping the triggers and the index table")
                                            .contains("pid " + writerPid + " (client backend")
                                            .contains("application_name 'ddlwait-abort-writer'")
                                            .contains("UPDATE orders SET amount = amount")
                                            .contains("next attempt with lock_timeout 200 ms"));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A deterministic autovacuum blocker: the table's storage parameters make autovacuum pick it up
     * (thresholds 0) and crawl (cost limit 1, cost delay 100 ms), so the worker holds its SHARE
     * UPDATE EXCLUSIVE lock for far longer than the test needs. The test waits (a condition, up to
     * a few autovacuum_naptime rounds) until the worker is on the table, then runs prepare: its
     * first attempt times out at 200 ms, names the autovacuum worker, and the next attempt waits
     * past deadlock_timeout, after which PostgreSQL cancels the autovacuum and prepare succeeds.
     */
    @Test
    void anAutovacuumBlockerIsWaitedOutPastDeadlockTimeout() throws Exception {
        DataSource ds =
                database(
                        "ddlwait_autovacuum",
                        " WITH (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor"
                                + " = 0, autovacuum_vacuum_insert_threshold = 0,"
                                + " autovacuum_vacuum_cost_limit = 1,"
                                + " autovacuum_vacuum_cost_delay = 100)");
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("DELETE FROM shop.orders WHERE id % 2 = 0");
        } // closing the session flushes its statistics, which autovacuum reads
        JobSpec spec = spec("ddlwait_autovacuum");
        long deadlockTimeout =
                TestingReorgs.count(
                        ds,
                        "SELECT setting::bigint FROM pg_settings WHERE name = 'deadlock_timeout'");
        String worker =
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                        + " AND datname = current_database() AND query LIKE '%shop.orders%'";
        TestingReorgs.await(
                "an autovacuum worker is on shop.orders",
                Duration.ofSeconds(240),
                () -> TestingReorgs.count(ds, worker) > 0);
        long workerPid =
                TestingReorgs.count(
                        ds,
                        "SELECT min(pid) FROM pg_stat_activity WHERE backend_type = 'autovacuum"
                                + " worker' AND datname = current_database()"
                                + " AND query LIKE '%shop.orders%'");
        try (LogCapture log = LogCapture.attach(DdlLockWait.class)) {
            assertThat(ReorgSetup.run(spec).status).isEqualTo(ReorgSetup.Status.PREPARED);
            long longer = Math.max(200, deadlockTimeout + 500);
            assertThat(log.messages(Level.WARN))
                    .anySatisfy(
                            m ->
                                    assertThat(m)
                                            .contains("pid " + workerPid + " (autovacuum worker")
                                            .contains("next attempt with lock_timeout " + longer)
                                            .contains("so PostgreSQL cancels the autovacuum"));
        }
    }
}
