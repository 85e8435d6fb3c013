package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.op.ReorgPlan;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.checkpoint.RestoredCheckpointStats;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.except;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exactly-once across failures (issue #3, contracts 2, 4, 5 and 7) on a real PostgreSQL and a real
 * MiniCluster: injected reader and writer failures with Flink restarts from checkpoints,
 * stop-with-savepoint and a resume at another parallelism, cancel and a re-run from the catalog
 * alone, killed database connections, and a fatal error that fails at once and stays abortable.
 *
 * <p>Every test checks the result against the table (EXCEPT both ways) and the catalog's counters
 * against {@code count(*)}: {@code rows_scanned} and {@code rows_written} are advanced only in the
 * batch transaction, so a batch committed twice, or a split scanned again and committed, shows up
 * as a surplus, and a lost batch as a deficit (the finalizer's repair would hide it in the index,
 * not in the counters). The Flink metrics of every attempt are kept by an {@link InMemoryReporter},
 * so the rows read again after a failure (reader {@code rowsScanned} beyond {@code count(*)}) and
 * the replayed batches ({@code rowsRedone}) are measured and bounded.
 */
class FailureRecoveryITCase {
    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);
    private static final int BATCH = 500;
    private static final int SPLIT_ROWS = 4000;

    @AfterEach
    void disarm() {
        Failpoints.disarmAll();
    }

    /**
     * Three injected failures in one run, at three different points: before a page read, inside a
     * batch transaction before its commit, and after a commit before the writer records it. Flink
     * restarts from the last checkpoint each time; the result and every counter are exact.
     */
    @Test
    void injectedReaderAndWriterFailuresRestartFromCheckpointsAndStayExact(
            @InjectMiniCluster MiniCluster cluster, TestInfo info) throws Exception {
        long t0 = System.nanoTime();
        String db = "recovery_failpoints";
        DataSource ds = TestingReorgs.database(db, uniqueTable("t1", 48_000, null));
        long rows = count(ds, "SELECT count(*) FROM t1");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "t1", "t1_email", "email", true, tuning(2, 20_000));
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);

        // Staggered so that the three failures fall on different batches and attempts.
        Failpoints.arm(Failpoints.READER_FETCH, 23, 1);
        Failpoints.arm(Failpoints.WRITER_BEFORE_COMMIT, 41, 1);
        Failpoints.arm(Failpoints.WRITER_AFTER_COMMIT, 67, 1);
        JobClient job = submit(out.plan, 2, null);
        awaitFinished(job);

        assertThat(Failpoints.fired(Failpoints.READER_FETCH)).isEqualTo(1);
        assertThat(Failpoints.fired(Failpoints.WRITER_BEFORE_COMMIT)).isEqualTo(1);
        assertThat(Failpoints.fired(Failpoints.WRITER_AFTER_COMMIT)).isEqualTo(1);
        int failures = rootFailures(cluster, job.getJobID());
        assertThat(failures).as("root failures in the exception history").isBetween(1, 3);
        assertExact(ds, spec, "t1", "t1_email", "email", rows);

        long scanned = sumCounter(job.getJobID(), "rowsScanned");
        long redone = sumCounter(job.getJobID(), "rowsRedone");
        report(info, t0, "failures=" + failures + " rescanned=" + (scanned - rows), redone);
        // A replayed batch is rolled back whole; at most one batch per writer and failure. 0 is
        // possible: whether a failure strikes between a batch's commit and the next checkpoint is
        // timing. ReplayedBatchITCase proves the rejection of a replayed batch deterministically.
        assertThat(redone).as("rowsRedone").isBetween(0L, 3L * 2 * BATCH);
        // Read again after the failures: what was read but not committed when each one struck,
        // at most the page being written, the reader's queue (2) and the page being fetched, per
        // reader and failure.
        assertThat(scanned - rows)
                .as("rows read again (reader metric rowsScanned over all attempts - count(*))")
                .isBetween(0L, 3L * 2 * 4 * BATCH);
    }

    /**
     * {@code flink stop --savepointPath} mid-run at parallelism 2, then a resume from the savepoint
     * at parallelism 3 with the rate knob lifted: the splits are redistributed, nothing committed
     * is read again, and the result is exact.
     */
    @Test
    void stopWithSavepointThenResumeAtAnotherParallelism(
            @InjectMiniCluster MiniCluster cluster, @TempDir Path savepoints, TestInfo info)
            throws Exception {
        long t0 = System.nanoTime();
        String db = "recovery_savepoint";
        DataSource ds = TestingReorgs.database(db, nonUniqueTable("t2", 40_000));
        long rows = count(ds, "SELECT count(*) FROM t2");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "t2", "t2_grp", "grp", false, tuning(2, 8_000));
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        String id = spec.reorgId();

        JobClient first = submit(out.plan, 2, null);
        await("two splits done", () -> doneSplits(ds, id) >= 2);
        String savepoint =
                first.stopWithSavepoint(
                                false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        awaitTerminal(first);
        assertThat(first.getJobStatus().get()).isEqualTo(JobStatus.FINISHED);
        long scannedAtStop = scannedInCatalog(ds, id);
        assertThat(scannedAtStop).as("stopped mid-run").isLessThan(rows);
        assertThat(TestingReorgs.reorg(ds, id).state).isEqualTo(Catalog.State.BACKFILLING);
        long redoneBefore = sumCounter(first.getJobID(), "rowsRedone");

        exec(ds, "UPDATE backfill.reorgs SET max_rows_per_second = 0 WHERE id = '" + id + "'");
        JobClient second = submit(out.plan, 3, savepoint);
        awaitFinished(second);

        RestoredCheckpointStats restored =
                cluster.getExecutionGraph(second.getJobID())
                        .get()
                        .getCheckpointStatsSnapshot()
                        .getLatestRestoredCheckpoint();
        assertThat(restored).as("the resumed job restored the savepoint").isNotNull();
        assertThat(restored.getProperties().isSavepoint()).isTrue();
        assertThat(rootFailures(cluster, second.getJobID())).isZero();
        assertExact(ds, spec, "t2", "t2_grp", "grp", rows);
        Map<Integer, Long> perSubtask = countersBySubtask(second.getJobID(), "rowsScanned");
        assertThat(perSubtask).as("source subtasks of the resumed job").hasSize(3);
        long scannedAfter = perSubtask.values().stream().mapToLong(Long::longValue).sum();
        long redone = redoneBefore + sumCounter(second.getJobID(), "rowsRedone");
        report(
                info,
                t0,
                "scanned before stop="
                        + scannedAtStop
                        + " after resume="
                        + scannedAfter
                        + " per subtask="
                        + perSubtask,
                redone);
        assertThat(redone).as("rowsRedone").isZero();
        // The resumed readers start every split at its committed watermark: they read exactly
        // the rows that were not committed before the stop ...
        assertThat(scannedAfter)
                .as("rows read by the resumed job (reader metric rowsScanned)")
                .isEqualTo(rows - scannedAtStop);
        // ... and the splits were redistributed over all three of them.
        assertThat(perSubtask.values())
                .as("rows read per subtask of the resumed job")
                .allSatisfy(n -> assertThat(n).isPositive());
    }

    /**
     * {@code flink cancel} without a savepoint, then the same reorg run again: the client finds it
     * in the catalog (RESUMING), the fresh job skips the finished splits without reading them, and
     * resumes the others at their committed watermarks.
     */
    @Test
    void cancelWithoutSavepointThenRerunFromTheCatalogAlone(
            @InjectMiniCluster MiniCluster cluster, TestInfo info) throws Exception {
        long t0 = System.nanoTime();
        String db = "recovery_cancel";
        DataSource ds = TestingReorgs.database(db, uniqueTable("t3", 40_000, null));
        long rows = count(ds, "SELECT count(*) FROM t3");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "t3", "t3_email", "email", true, tuning(2, 8_000));
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        String id = spec.reorgId();

        JobClient first = submit(out.plan, 2, null);
        await("two splits done", () -> doneSplits(ds, id) >= 2);
        first.cancel().get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        awaitTerminal(first);
        assertThat(first.getJobStatus().get()).isEqualTo(JobStatus.CANCELED);
        long scannedAtCancel = scannedInCatalog(ds, id);
        assertThat(scannedAtCancel).as("cancelled mid-run").isLessThan(rows);
        Map<String, String> doneBefore = doneSplitStamps(ds, id);
        assertThat(doneBefore).hasSizeGreaterThanOrEqualTo(2);

        // The same job spec again; only its tuning differs (the rate knob lifted).
        JobSpec again =
                TestingReorgs.addIndexSpec(db, "t3", "t3_email", "email", true, tuning(2, 0));
        assertThat(again.reorgId()).isEqualTo(id);
        ReorgSetup.Outcome resumed = ReorgSetup.run(again);
        assertThat(resumed.status).isEqualTo(ReorgSetup.Status.RESUMING);
        JobClient second = submit(resumed.plan, 2, null);
        awaitFinished(second);

        assertExact(ds, spec, "t3", "t3_email", "email", rows);
        // Finished splits were not rescanned: their counters and time stamps are untouched ...
        Map<String, String> doneAfter = doneSplitStamps(ds, id);
        for (Map.Entry<String, String> e : doneBefore.entrySet()) {
            assertThat(doneAfter.get(e.getKey()))
                    .as("split %s after the re-run", e.getKey())
                    .isEqualTo(e.getValue());
        }
        assertThat(rootFailures(cluster, second.getJobID())).isZero();
        long scannedAfter = sumCounter(second.getJobID(), "rowsScanned");
        long redone =
                sumCounter(first.getJobID(), "rowsRedone")
                        + sumCounter(second.getJobID(), "rowsRedone");
        report(
                info,
                t0,
                "scanned before cancel="
                        + scannedAtCancel
                        + " after re-run="
                        + scannedAfter
                        + " done splits kept="
                        + doneBefore.size(),
                redone);
        assertThat(redone).as("rowsRedone").isZero();
        // ... and the new job's readers read exactly what was not committed before the cancel.
        assertThat(scannedAfter)
                .as("rows read by the re-run (reader metric rowsScanned)")
                .isEqualTo(rows - scannedAtCancel);
    }

    /**
     * {@code pg_terminate_backend} on every Backfill connection, three times during the run, each
     * after the progress advanced: readers, writers and the enumerator reconnect (or Flink
     * restarts), and the result and the counters are exact.
     */
    @Test
    void killedConnectionsAreRecoveredAndTheResultIsExact(
            @InjectMiniCluster MiniCluster cluster, TestInfo info) throws Exception {
        long t0 = System.nanoTime();
        String db = "recovery_kill";
        DataSource ds = TestingReorgs.database(db, nonUniqueTable("t4", 40_000));
        long rows = count(ds, "SELECT count(*) FROM t4");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "t4", "t4_grp", "grp", false, tuning(2, 8_000));
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        String id = spec.reorgId();

        JobClient job = submit(out.plan, 2, null);
        List<Long> killedAt = new ArrayList<>();
        int terminated = 0;
        long last = -1;
        for (int kill = 1; kill <= 3; kill++) {
            long after = Math.max(last + 1, rows * (kill * 20L - 5) / 100);
            await(
                    "more than " + after + " rows committed",
                    () -> scannedInCatalog(ds, id) >= after);
            last = scannedInCatalog(ds, id);
            assertThat(last).as("the run is still going before kill %s", kill).isLessThan(rows);
            int n = terminate(ds, Connections.applicationName(id));
            assertThat(n).as("backends terminated by kill %s", kill).isPositive();
            terminated += n;
            killedAt.add(last);
        }
        // The kills also ended the enumerator's runner-lock session: it takes the lock again.
        // (Throttled meanwhile, so that the job is still running to do it.)
        setKnob(ds, id, "max_rows_per_second = 500");
        await("the runner lock is held again", () -> runnerLockHeld(ds, id));
        setKnob(ds, id, "max_rows_per_second = 0");
        awaitFinished(job);

        assertExact(ds, spec, "t4", "t4_grp", "grp", rows);
        int failures = rootFailures(cluster, job.getJobID());
        long scanned = sumCounter(job.getJobID(), "rowsScanned");
        long redone = sumCounter(job.getJobID(), "rowsRedone");
        long retried = sumCounter(job.getJobID(), "batchesRetried");
        assertThat(redone).isBetween(0L, 3L * 2 * BATCH);
        report(
                info,
                t0,
                "killed at "
                        + killedAt
                        + " backends terminated="
                        + terminated
                        + " batches retried="
                        + retried
                        + " flink failures="
                        + failures
                        + " rescanned="
                        + (scanned - rows),
                redone);
    }

    /**
     * A duplicate value on a unique index is fatal: the job fails at once, without restarts, with
     * TiDB's message; the reorg is failed, and abort then removes the index table and the triggers.
     */
    @Test
    void duplicateEntryFailsAtOnceWithoutRestartsAndTheReorgCanBeAborted(
            @InjectMiniCluster MiniCluster cluster, TestInfo info) throws Exception {
        long t0 = System.nanoTime();
        String db = "recovery_fatal";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        uniqueTable(
                                "t5",
                                30_000,
                                // rows 12000 and 25000 of the series: different splits
                                "UPDATE t5 SET email = 'dup@example.com' WHERE id IN ("
                                        + key(12_000)
                                        + ", "
                                        + key(25_000)
                                        + ")"));
        String checksum = checksum(ds, "t5");
        JobSpec spec =
                TestingReorgs.addIndexSpec(db, "t5", "t5_email", "email", true, tuning(2, 0));
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        String id = spec.reorgId();

        long submitted = System.nanoTime();
        JobClient job = submit(out.plan, 2, null);
        assertThatThrownBy(
                        () ->
                                job.getJobExecutionResult()
                                        .get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasStackTraceContaining(
                        "duplicate entry 'dup@example.com' for key 't5_email' (rows ");
        long failedAfterMs = (System.nanoTime() - submitted) / 1_000_000;
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FAILED);
        // No restart loop: the first failure is the last (fixed-delay allows 10 restarts).
        assertThat(rootFailures(cluster, job.getJobID())).isEqualTo(1);
        assertThat(failedAfterMs).isLessThan(30_000);

        Catalog.Reorg r = TestingReorgs.reorg(ds, id);
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error)
                .matches(
                        "duplicate entry 'dup@example.com' for key 't5_email' \\(rows ("
                                + key(12_000)
                                + " and "
                                + key(25_000)
                                + "|"
                                + key(25_000)
                                + " and "
                                + key(12_000)
                                + ")\\)");
        assertThat(checksum(ds, "t5")).isEqualTo(checksum);

        assertThat(Abort.run(spec)).isEqualTo(Abort.Outcome.ABORTED);

        assertThat(TestingReorgs.reorg(ds, id).state).isEqualTo(Catalog.State.ABORTED);
        assertThat(TestingReorgs.strings(ds, "SELECT to_regclass('public.t5_email')::text"))
                .containsExactly((String) null);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 't5'::regclass"
                                        + " AND NOT tgisinternal"))
                .isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid ="
                                        + " p.pronamespace WHERE n.nspname = 'backfill'"))
                .isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM backfill.progress WHERE reorg_id = '"
                                        + id
                                        + "'"))
                .isZero();
        assertThat(checksum(ds, "t5")).isEqualTo(checksum);
        report(info, t0, "job failed after " + failedAfterMs + " ms", 0);
    }

    // ------------------------------------------------------------------ helpers

    /** Sparse bigint keys: negatives, and two near the ends of the range. */
    private static String key(long n) {
        return Long.toString(n * 7919 - 200_000_000);
    }

    private static String[] uniqueTable(String name, int rows, String extra) {
        List<String> ddl = new ArrayList<>();
        ddl.add("CREATE TABLE " + name + " (id bigint PRIMARY KEY, email text, amount int)");
        ddl.add(
                "INSERT INTO "
                        + name
                        + " SELECT n * 7919 - 200000000, CASE WHEN n % 10 = 0 THEN NULL ELSE"
                        + " 'user' || n || '@example.com' END, n FROM generate_series(1, "
                        + (rows - 2)
                        + ") n");
        ddl.add(
                "INSERT INTO "
                        + name
                        + " VALUES (9223372036854775806, 'max@example.com', 1),"
                        + " (-9223372036854775807, NULL, 2)");
        if (extra != null) {
            ddl.add(extra);
        }
        ddl.add("ANALYZE " + name);
        return ddl.toArray(new String[0]);
    }

    private static String[] nonUniqueTable(String name, int rows) {
        return new String[] {
            "CREATE TABLE " + name + " (id bigint PRIMARY KEY, grp text, amount int)",
            "INSERT INTO "
                    + name
                    + " SELECT n * 7919 - 200000000, CASE WHEN n % 13 = 0 THEN NULL ELSE 'g' ||"
                    + " (n % 97) END, n FROM generate_series(1, "
                    + (rows - 2)
                    + ") n",
            "INSERT INTO "
                    + name
                    + " VALUES (9223372036854775806, 'g1', 1), (-9223372036854775807, NULL, 2)",
            "ANALYZE " + name
        };
    }

    private static String tuning(int parallelism, long maxRowsPerSecond) {
        return "  parallelism: "
                + parallelism
                + "\n  batch-size: "
                + BATCH
                + "\n  split-rows: "
                + SPLIT_ROWS
                + "\n  checkpoint-interval: 500ms\n  max-rows-per-second: "
                + maxRowsPerSecond
                + "\n";
    }

    /** Submits the reorg's job: checkpoints every 500 ms, fixed-delay restarts. */
    private static JobClient submit(ReorgPlan plan, int parallelism, String restoreFrom)
            throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        if (restoreFrom != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, restoreFrom);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        env.enableCheckpointing(500);
        BackfillPipeline.build(env, plan);
        return env.executeAsync(BackfillPipeline.jobName(plan));
    }

    private static void awaitFinished(JobClient job) throws Exception {
        job.getJobExecutionResult().get(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FINISHED);
    }

    private static void awaitTerminal(JobClient job) throws Exception {
        await("job " + job.getJobID() + " ended", () -> job.getJobStatus().get().isTerminalState());
    }

    /** Waits for {@code condition}, failing after the job timeout. */
    private static void await(String what, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        TestingReorgs.await(what, JOB_TIMEOUT, condition);
    }

    private static void setKnob(DataSource ds, String id, String assignment) throws Exception {
        try (var c = ds.getConnection();
                var st = c.createStatement()) {
            st.executeUpdate(
                    "UPDATE backfill.reorgs SET " + assignment + " WHERE id = '" + id + "'");
        }
    }

    /** True when a live Backfill session of reorg {@code id} holds its runner lock. */
    private static boolean runnerLockHeld(DataSource ds, String id) throws Exception {
        return count(
                        ds,
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                                + " WHERE l.locktype = 'advisory' AND l.granted"
                                + " AND ((l.classid::bigint << 32) | l.objid::bigint)"
                                + " = hashtextextended('backfill:"
                                + id
                                + "', 0) AND a.application_name = 'backfill:"
                                + id
                                + "'")
                == 1;
    }

    private static long doneSplits(DataSource ds, String id) throws Exception {
        return count(
                ds,
                "SELECT count(*) FROM backfill.progress WHERE done AND reorg_id = '" + id + "'");
    }

    private static long scannedInCatalog(DataSource ds, String id) throws Exception {
        return count(
                ds,
                "SELECT coalesce(sum(rows_scanned), 0) FROM backfill.progress WHERE reorg_id = '"
                        + id
                        + "'");
    }

    /** split id -> "rows_scanned rows_written watermark updated_at" of the finished splits. */
    private static Map<String, String> doneSplitStamps(DataSource ds, String id) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT split_id, rows_scanned || ' ' || rows_written || ' ' ||"
                                        + " watermark || ' ' || updated_at FROM backfill.progress"
                                        + " WHERE done AND reorg_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    /** Terminates the backends of {@code applicationName}; returns how many. */
    private static int terminate(DataSource ds, String applicationName) throws Exception {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM"
                                        + " pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void exec(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String checksum(DataSource ds, String table) throws Exception {
        return TestingReorgs.strings(
                        ds,
                        "SELECT md5(string_agg(id || ':' || coalesce(email, '~') || ':' || amount,"
                                + " ',' ORDER BY id)) FROM "
                                + table)
                .get(0);
    }

    /**
     * The index equals the table both ways, the reorg is public with {@code rows_done} exact and
     * nothing repaired, every split is done, and each row was scanned and written exactly once.
     */
    private static void assertExact(
            DataSource ds, JobSpec spec, String table, String index, String column, long rows)
            throws Exception {
        String id = spec.reorgId();
        String fromTable = "SELECT " + column + ", id FROM " + table;
        String fromIndex = "SELECT " + column + ", id FROM " + index;
        assertThat(except(ds, fromTable, fromIndex)).as("rows without their entry").isZero();
        assertThat(except(ds, fromIndex, fromTable)).as("entries without their row").isZero();
        assertThat(count(ds, "SELECT count(*) FROM " + index)).isEqualTo(rows);
        Catalog.Reorg r = TestingReorgs.reorg(ds, id);
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).isEqualTo(rows);
        // Exactly-once needs no repair, even after these faults (issue #9).
        assertThat(r.rowsRepaired).as("rows_repaired").isZero();
        String progress = " FROM backfill.progress WHERE reorg_id = '" + id + "'";
        assertThat(count(ds, "SELECT count(*)" + progress + " AND NOT done")).isZero();
        assertThat(count(ds, "SELECT sum(rows_scanned)" + progress))
                .as("rows_scanned over all splits")
                .isEqualTo(rows);
        assertThat(count(ds, "SELECT sum(rows_written)" + progress))
                .as("rows_written over all splits")
                .isEqualTo(rows);
    }

    /** Root failures in the job's exception history (each one ended an attempt). */
    private static int rootFailures(MiniCluster cluster, JobID job) throws Exception {
        int n = 0;
        for (Object ignored : cluster.getExecutionGraphInfo(job).get().getExceptionHistory()) {
            n++;
        }
        return n;
    }

    /** The sum of counter {@code name} over every subtask and every attempt of {@code job}. */
    private static long sumCounter(JobID job, String name) {
        return countersBySubtask(job, name).values().stream().mapToLong(Long::longValue).sum();
    }

    /** Counter {@code name} of {@code job} by subtask index, summed over the attempts. */
    private static Map<Integer, Long> countersBySubtask(JobID job, String name) {
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> e :
                REPORTER.getMetricsByGroup().entrySet()) {
            Map<String, String> vars = e.getKey().getAllVariables();
            if (!job.toString().equals(vars.get("<job_id>"))) {
                continue;
            }
            Metric m = e.getValue().get(name);
            if (m instanceof Counter) {
                int subtask = Integer.parseInt(vars.getOrDefault("<subtask_index>", "-1"));
                out.merge(subtask, ((Counter) m).getCount(), Long::sum);
            }
        }
        return out;
    }

    private static void report(TestInfo info, long t0, String details, long redone) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("test", info.getTestMethod().map(m -> m.getName()).orElse("?"));
        line.put("wall_ms", (System.nanoTime() - t0) / 1_000_000);
        line.put("rowsRedone", redone);
        line.put("details", details);
        System.out.println("FailureRecoveryITCase " + line);
    }
}
