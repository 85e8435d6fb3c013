package dev.backfill.source.reader;

import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.BackfillPipeline;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static dev.backfill.job.TestingReorgs.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Contract 5 of issue #3, the live knobs in {@code backfill.reorgs}, changed with plain UPDATEs
 * while the job runs on a MiniCluster (parallelism 2, batch-size 200) over 100k-150k-row tables:
 * {@code paused} stops progress within 5 s with no transaction left open and checkpoints still
 * completing, and un-pausing resumes it; {@code max_rows_per_second} holds the global rate within
 * ±20% over a 10 s window; {@code batch_size} changes the size of the next batches. Every run ends
 * {@code public} and exact.
 */
class KnobsITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static DataSource database(String name, int rows) throws SQLException {
        return TestingReorgs.database(
                name,
                "CREATE TABLE t (id bigint PRIMARY KEY, v text, pad int)",
                "INSERT INTO t SELECT n * 3, CASE WHEN n % 11 = 0 THEN NULL ELSE 'v' || n END, n"
                        + " FROM generate_series(1, "
                        + rows
                        + ") n",
                "ANALYZE t");
    }

    /** An add-index spec for {@code t (v)} in database {@code db}; the reorg id is {@code db}. */
    private static JobSpec spec(
            String db, long splitRows, long maxRowsPerSecond, String checkpointInterval) {
        String yaml =
                "reorg: "
                        + db
                        + "\n"
                        + "database:\n"
                        + "  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n"
                        + "  user: postgres\n"
                        + "table: t\n"
                        + "add-index:\n"
                        + "  name: t_v\n"
                        + "  columns: [v]\n"
                        + "tuning:\n"
                        + "  parallelism: 2\n"
                        + "  batch-size: 200\n"
                        + "  split-rows: "
                        + splitRows
                        + "\n"
                        + "  checkpoint-interval: "
                        + checkpointInterval
                        + "\n"
                        + "  max-rows-per-second: "
                        + maxRowsPerSecond
                        + "\n"
                        // The hand-set rate is under test: the adaptive throttle stays out.
                        + "  throttle: off\n";
        return JobSpecParser.parse(yaml, db + ".yaml", Map.of());
    }

    @Test
    void pausedStopsProgressKeepsNoTransactionOpenAndCheckpointsGoOn(
            @InjectMiniCluster MiniCluster miniCluster) throws Exception {
        DataSource ds = database("knobs_it_paused", 100_000);
        // Throttled so that the run is still going when it is paused.
        JobSpec spec = spec("knobs_it_paused", 10_000, 10_000, "500ms");
        JobClient job = start(spec);
        try {
            TestingReorgs.await(
                    "rows are scanned", Duration.ofSeconds(30), () -> scanned(ds, spec) >= 5000);

            knob(ds, spec, "paused = true");
            long pausedAt = System.nanoTime();
            long deadline = pausedAt + Duration.ofSeconds(5).toNanos();
            // The value once it has stayed the same for two polls (the in-flight page may land).
            List<Long> samples = new ArrayList<>();
            long stable = -1;
            while (stable < 0) {
                samples.add(scanned(ds, spec));
                int n = samples.size();
                if (n >= 3
                        && samples.get(n - 1).equals(samples.get(n - 2))
                        && samples.get(n - 2).equals(samples.get(n - 3))) {
                    stable = samples.get(n - 1);
                } else if (System.nanoTime() > deadline) {
                    fail("progress did not stop within 5 s of paused = true: " + samples);
                } else {
                    Thread.sleep(400); // sampling interval
                }
            }
            System.out.println(
                    "KnobsITCase: paused: progress stopped at "
                            + stable
                            + " rows, "
                            + (System.nanoTime() - pausedAt) / 1_000_000
                            + " ms after the UPDATE; samples "
                            + samples);
            assertThat(stable).isLessThan(100_000);

            // While paused: no progress, no open transaction, checkpoints complete.
            long checkpointsBefore = completedCheckpoints(miniCluster, job.getJobID());
            long windowEnd = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int sessionsSeen = 0;
            while (System.nanoTime() < windowEnd) {
                assertThat(scanned(ds, spec)).as("rows scanned while paused").isEqualTo(stable);
                assertThat(openTransactions(ds, spec))
                        .as("Backfill transactions left open")
                        .isEmpty();
                sessionsSeen = Math.max(sessionsSeen, backfillSessions(ds, spec));
                Thread.sleep(100); // sampling interval
            }
            assertThat(sessionsSeen).as("Backfill sessions seen in pg_stat_activity").isPositive();
            TestingReorgs.await(
                    "two checkpoints complete while paused",
                    Duration.ofSeconds(10),
                    () ->
                            completedCheckpoints(miniCluster, job.getJobID())
                                    >= checkpointsBefore + 2);
            long checkpointsAfter = completedCheckpoints(miniCluster, job.getJobID());
            assertThat(scanned(ds, spec)).as("rows scanned while paused").isEqualTo(stable);
            assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state)
                    .isEqualTo(Catalog.State.BACKFILLING);
            System.out.println(
                    "KnobsITCase: paused: checkpoints completed while paused: "
                            + checkpointsBefore
                            + " -> "
                            + checkpointsAfter);

            knob(ds, spec, "paused = false");
            long resumedAt = System.nanoTime();
            long stoppedAt = stable;
            TestingReorgs.await(
                    "progress resumes", Duration.ofSeconds(5), () -> scanned(ds, spec) > stoppedAt);
            System.out.println(
                    "KnobsITCase: paused: progress resumed "
                            + (System.nanoTime() - resumedAt) / 1_000_000
                            + " ms after paused = false");
            knob(ds, spec, "max_rows_per_second = 0, batch_size = 1000");

            job.getJobExecutionResult().get(90, TimeUnit.SECONDS);
        } finally {
            cancelQuietly(job);
        }
        assertExactAndPublic(ds, spec, 100_000);
    }

    @Test
    void maxRowsPerSecondHoldsTheGlobalRate() throws Exception {
        DataSource ds = database("knobs_it_rate", 150_000);
        // Splits of 5000 rows take a reader about 2.5 s at its 2000 rows/s, so the window spans
        // several split starts: the limit must hold across them, not only inside one split.
        JobSpec spec = spec("knobs_it_rate", 5000, 1000, "1s");
        JobClient job = start(spec);
        try {
            TestingReorgs.await(
                    "rows are scanned", Duration.ofSeconds(30), () -> scanned(ds, spec) > 0);

            knob(ds, spec, "max_rows_per_second = 4000");
            Thread.sleep(3000); // the measurement starts 3 s after the change (test definition)
            long t0 = System.nanoTime();
            long s0 = scanned(ds, spec);
            Thread.sleep(10_000); // the 10 s measurement window (test definition)
            long t1 = System.nanoTime();
            long s1 = scanned(ds, spec);
            double rate = (s1 - s0) / ((t1 - t0) / 1e9);
            System.out.printf(
                    "KnobsITCase: max_rows_per_second = 4000: measured %.0f rows/s (%d rows in"
                            + " %.2f s)%n",
                    rate, s1 - s0, (t1 - t0) / 1e9);
            assertThat(s1).as("the table must outlast the window").isLessThan(150_000);
            assertThat(rate)
                    .as(
                            "rows/s over the 10 s window with max_rows_per_second = 4000 (2 readers,"
                                    + " 5000-row splits)")
                    .isBetween(3200.0, 4800.0);

            knob(ds, spec, "max_rows_per_second = 0, batch_size = 1000");
            job.getJobExecutionResult().get(90, TimeUnit.SECONDS);
        } finally {
            cancelQuietly(job);
        }
        assertExactAndPublic(ds, spec, 150_000);
    }

    @Test
    void batchSizeChangesTheSizeOfTheNextBatches() throws Exception {
        DataSource ds = database("knobs_it_batch", 100_000);
        // 400 rows/s over 2 readers: one 200-row batch per reader per second, so that the sampler
        // sees every batch commit on its own.
        JobSpec spec = spec("knobs_it_batch", 10_000, 400, "1s");
        JobClient job = start(spec);
        try {
            SplitSampler sampler = new SplitSampler(ds, spec);
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (occurrences(sampler.deltas, 200) < 4) {
                if (System.nanoTime() > until) {
                    fail("no 200-row batches seen: " + sampler.deltas);
                }
                sampler.sample();
                Thread.sleep(20); // sampling interval
            }
            Map<Long, Integer> before = histogram(sampler.deltas);

            knob(ds, spec, "batch_size = 50");
            long changedAt = System.nanoTime();
            // Readers re-read the knobs every 2 s; a page read just before may still be in flight.
            while (System.nanoTime() - changedAt < Duration.ofSeconds(4).toNanos()) {
                sampler.sample();
                Thread.sleep(20); // sampling interval
            }
            sampler.deltas.clear();
            while (System.nanoTime() - changedAt < Duration.ofSeconds(6).toNanos()) {
                sampler.sample();
                Thread.sleep(20); // sampling interval
            }
            Map<Long, Integer> after = histogram(sampler.deltas);
            System.out.println(
                    "KnobsITCase: batch_size: rows per batch commit (size=count) before the change "
                            + before
                            + ", from 4 s after it "
                            + after);
            assertThat(mode(before)).isEqualTo(200);
            assertThat(mode(after)).isEqualTo(50);
            assertThat(after.keySet()).allSatisfy(d -> assertThat(d).isLessThan(200));

            knob(ds, spec, "max_rows_per_second = 0, batch_size = 1000");
            job.getJobExecutionResult().get(90, TimeUnit.SECONDS);
        } finally {
            cancelQuietly(job);
        }
        assertExactAndPublic(ds, spec, 100_000);
    }

    // ------------------------------------------------------------------ helpers

    /** Samples rows_scanned per split and records each increase seen (one batch commit each). */
    private static final class SplitSampler {
        final DataSource ds;
        final JobSpec spec;
        final Map<String, Long> last = new HashMap<>();
        final List<Long> deltas = new ArrayList<>();

        SplitSampler(DataSource ds, JobSpec spec) {
            this.ds = ds;
            this.spec = spec;
        }

        void sample() throws SQLException {
            try (Connection c = ds.getConnection();
                    PreparedStatement ps =
                            c.prepareStatement(
                                    "SELECT split_id, rows_scanned FROM backfill.progress WHERE reorg_id = ?")) {
                ps.setString(1, spec.reorgId());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long now = rs.getLong(2);
                        Long before = last.put(rs.getString(1), now);
                        if (before != null && now > before) {
                            deltas.add(now - before);
                        }
                    }
                }
            }
        }
    }

    private static int occurrences(List<Long> values, long value) {
        int n = 0;
        for (long v : values) {
            if (v == value) {
                n++;
            }
        }
        return n;
    }

    private static Map<Long, Integer> histogram(List<Long> values) {
        Map<Long, Integer> h = new TreeMap<>();
        for (long v : values) {
            h.merge(v, 1, Integer::sum);
        }
        return h;
    }

    private static long mode(Map<Long, Integer> histogram) {
        assertThat(histogram).as("batch commits seen").isNotEmpty();
        return histogram.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
    }

    private static void assertExactAndPublic(DataSource ds, JobSpec spec, long rows)
            throws SQLException {
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).isEqualTo(rows);
        assertThat(scanned(ds, spec)).isEqualTo(rows);
        TestingReorgs.assertExactRun(ds, spec.reorgId(), rows);
        assertThat(TestingReorgs.except(ds, "SELECT v, id FROM t", "SELECT v, id FROM t_v"))
                .isZero();
        assertThat(TestingReorgs.except(ds, "SELECT v, id FROM t_v", "SELECT v, id FROM t"))
                .isZero();
        assertThat(TestingReorgs.count(ds, "SELECT count(*) FROM t_v")).isEqualTo(rows);
    }

    private static JobClient start(JobSpec spec) throws Exception {
        ReorgSetup.Outcome setup = ReorgSetup.run(spec);
        assertThat(setup.status).isEqualTo(ReorgSetup.Status.PREPARED);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(spec.tuning().parallelism());
        env.enableCheckpointing(spec.tuning().checkpointInterval().toMillis());
        BackfillPipeline.build(env, setup.plan);
        return env.executeAsync(BackfillPipeline.jobName(setup.plan));
    }

    private static void knob(DataSource ds, JobSpec spec, String set) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("UPDATE backfill.reorgs SET " + set + " WHERE id = ?")) {
            ps.setString(1, spec.reorgId());
            assertThat(ps.executeUpdate()).isOne();
        }
    }

    private static long scanned(DataSource ds, JobSpec spec) throws SQLException {
        return count(
                ds,
                "SELECT coalesce(sum(rows_scanned), 0) FROM backfill.progress WHERE reorg_id = '"
                        + spec.reorgId()
                        + "'");
    }

    /**
     * Backfill's sessions that hold a transaction open: idle in transaction for more than a second,
     * or in a transaction that began more than 2 s ago (the long-transaction bound).
     */
    private static List<String> openTransactions(DataSource ds, JobSpec spec) throws SQLException {
        return TestingReorgs.strings(
                ds,
                "SELECT pid || ' ' || state || ' since ' || xact_start || ': ' || query"
                        + " FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND application_name = 'backfill:"
                        + spec.reorgId()
                        + "' AND ((state LIKE 'idle in transaction%'"
                        + " AND state_change < clock_timestamp() - interval '1 second')"
                        + " OR xact_start < clock_timestamp() - interval '2 seconds')");
    }

    private static int backfillSessions(DataSource ds, JobSpec spec) throws SQLException {
        return (int)
                count(
                        ds,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                + " AND application_name = 'backfill:"
                                + spec.reorgId()
                                + "'");
    }

    private static long completedCheckpoints(MiniCluster miniCluster, JobID job) throws Exception {
        return miniCluster
                .getExecutionGraph(job)
                .get(10, TimeUnit.SECONDS)
                .getCheckpointStatsSnapshot()
                .getCounts()
                .getNumberOfCompletedCheckpoints();
    }

    private static void cancelQuietly(JobClient job) {
        try {
            if (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // already gone
        }
    }
}
