package dev.backfill.throttle;

import dev.backfill.cli.Status;
import dev.backfill.job.BackfillPipeline;
import dev.backfill.job.TestingReorgs;
import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.model.ThrottleSettings;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.sink.LogCapture;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adaptive throttle (issue #10, item 5) on a MiniCluster (parallelism 2) against the embedded
 * PostgreSQL. The probe is slowed with the test failpoint {@link Failpoints#THROTTLE_PROBE} (the
 * probe then runs {@code pg_sleep} on the server). With nobody else on the database, that is only
 * the backfill's own load and caps nothing; once an application session is at work, the readers
 * back off and report {@code latency} in {@code backfill.reorgs}, in their {@code
 * throttleRate}/{@code throttleReason} gauges and in {@code status}; the throttle's knobs change it
 * live (a raised floor, then off); once the probe is fast again the rate recovers to uncapped. With
 * {@code throttle: off} a slow probe caps nothing. Every run ends exact.
 */
class ThrottleITCase {
    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String SOURCE = "Source: backfill-source";

    private static final String READER_THROTTLE = "dev.backfill.source.reader.ReaderThrottle";

    /** Far over the idle probe (well under a millisecond here) and its 2 ms of slack. */
    private static final Duration SLOW_PROBE = Duration.ofMillis(100);

    @AfterEach
    void disarm() {
        Failpoints.disarmAll();
    }

    private static DataSource database(String name, int rows) throws SQLException {
        return TestingReorgs.database(
                name,
                "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                "INSERT INTO t SELECT n, 'v' || n FROM generate_series(1, " + rows + ") n",
                "ANALYZE t");
    }

    @Test
    void slowProbeBacksOffAndReportsLatencyThenRecovers() throws Exception {
        String db = "throttle_it_backoff";
        int rows = 200_000;
        DataSource ds = database(db, rows);
        // The hard cap keeps the run going (at most 4,000 rows/s: 50 s) while the throttle acts.
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        db,
                        "t",
                        "t_v",
                        "v",
                        false,
                        "  parallelism: 2\n  batch-size: 200\n  split-rows: 20000\n"
                                + "  checkpoint-interval: 1s\n  max-rows-per-second: 4000\n");
        assertThat(spec.tuning().throttle()).isEqualTo(ThrottleSettings.defaults());
        String id = spec.reorgId();
        JobClient job = start(spec);
        JobID jid = job.getJobID();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        AtomicReference<Statement> appStatement = new AtomicReference<>();
        Future<Void> application = null;
        try {
            // Read from the in-memory metrics, not the database: the test's own polls would be
            // an application at work, and on a loaded machine the readers could then back off
            // for latency before the phase below starts.
            await(
                    "the readers measured their baseline and decided: none",
                    () ->
                            reasons(jid).size() == 2
                                    && reasons(jid).values().stream().allMatch("none"::equals)
                                    && scannedByMetrics(jid) >= 2000);
            assertThat(rates(jid)).hasSize(2).allSatisfy((k, v) -> assertThat(v).isZero());

            // No application on the database: a slow probe is only our own load, not a reason.
            // (Nothing polls the database in this phase: the polls would be an application.)
            try (LogCapture log = LogCapture.attach(READER_THROTTLE)) {
                Failpoints.armDelay(Failpoints.THROTTLE_PROBE, SLOW_PROBE);
                await(
                        "the readers report a slowed probe and no application, twice",
                        () ->
                                log.messages(Level.INFO).stream()
                                                .filter(ThrottleITCase::slowProbeAlone)
                                                .count()
                                        >= 4);
                assertThat(reasons(jid))
                        .hasSize(2)
                        .allSatisfy((k, v) -> assertThat(v).isEqualTo("none"));
                assertThat(rates(jid)).hasSize(2).allSatisfy((k, v) -> assertThat(v).isZero());
            }
            assertThat(reason(ds, id)).isEqualTo("none");
            assertThat(rate(ds, id)).isZero();

            // The application: a session at work (one long statement, active all along).
            application = pool.submit(() -> sleepOn(ds, appStatement));
            await(
                    "the readers back off for latency",
                    () -> {
                        Long r = rate(ds, id);
                        return "latency".equals(reason(ds, id))
                                && r != null
                                && r > 0
                                && r < 4000
                                && reasons(jid).containsValue("latency")
                                && rates(jid).values().stream().anyMatch(v -> v > 0);
                    });
            String line = status(spec);
            assertThat(line).as(line).containsPattern("  latency [0-9,]+/s  ");
            System.out.println("ThrottleITCase: backed off: " + line);

            // Live: a raised floor (3,000 rows/s, 1,500 a reader) lifts the cap at once.
            knob(ds, id, "throttle_min_rows_per_second = 3000");
            await(
                    "the cap is the raised floor",
                    () ->
                            "latency".equals(reason(ds, id))
                                    && Long.valueOf(3000).equals(rate(ds, id))
                                    && rates(jid).values().stream().allMatch(v -> v == 1500));

            Failpoints.disarm(Failpoints.THROTTLE_PROBE);
            await(
                    "the rate recovers to uncapped",
                    () ->
                            "none".equals(reason(ds, id))
                                    && Long.valueOf(0).equals(rate(ds, id))
                                    && reasons(jid).values().stream().allMatch("none"::equals)
                                    && rates(jid).values().stream().allMatch(v -> v == 0));
            assertThat(status(spec)).containsPattern("  none  ");

            // Live: switched off.
            knob(ds, id, "throttle = false");
            await(
                    "the readers report off",
                    () ->
                            "off".equals(reason(ds, id))
                                    && reasons(jid).values().stream().allMatch("off"::equals));

            // The application leaves (the finalizer would wait out its old snapshot), and the
            // run finishes.
            appStatement.get().cancel();
            application.get(30, TimeUnit.SECONDS);
            knob(ds, id, "max_rows_per_second = 0");
            job.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            cancelIfRunning(job);
            Statement st = appStatement.get();
            if (st != null) {
                st.cancel();
            }
            pool.shutdownNow();
        }
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FINISHED);
        TestingReorgs.assertExactRun(ds, id, rows);
    }

    private static final java.util.regex.Pattern PROBE =
            java.util.regex.Pattern.compile(
                    "(probe tail |the probe is slow \\()([0-9]+)\\.[0-9]+ ms");

    /**
     * A reader's line that shows the slowed probe (100 ms and more) with no application seen: the
     * periodic reading or the one line when that starts.
     */
    private static boolean slowProbeAlone(String m) {
        java.util.regex.Matcher p = PROBE.matcher(m);
        return p.find()
                && Long.parseLong(p.group(2)) >= SLOW_PROBE.toMillis()
                && (m.contains("application not seen") || m.contains("not throttling for it"));
    }

    /** Runs one long statement on its own session until cancelled: an application at work. */
    private static Void sleepOn(DataSource ds, AtomicReference<Statement> holder)
            throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            holder.set(st);
            st.execute("SET application_name = 'throttle-it-application'");
            try {
                st.execute("SELECT pg_sleep(600)");
            } catch (SQLException cancelled) {
                // 57014, from the test's cancel at its end
            }
            return null;
        }
    }

    @Test
    void throttleOffLeavesTheRateUncappedUnderASlowProbe() throws Exception {
        String db = "throttle_it_off";
        int rows = 30_000;
        DataSource ds = database(db, rows);
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        db,
                        "t",
                        "t_v",
                        "v",
                        false,
                        "  parallelism: 2\n  batch-size: 200\n  split-rows: 5000\n"
                                + "  checkpoint-interval: 1s\n  throttle: off\n");
        assertThat(spec.tuning().throttle().enabled()).isFalse();
        String id = spec.reorgId();
        Failpoints.armDelay(Failpoints.THROTTLE_PROBE, SLOW_PROBE);
        JobClient job = start(spec);
        JobID jid = job.getJobID();
        try {
            job.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            cancelIfRunning(job);
        }
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FINISHED);
        assertThat(reason(ds, id)).isEqualTo("off");
        assertThat(rate(ds, id)).isZero();
        assertThat(reasons(jid)).hasSize(2).allSatisfy((k, v) -> assertThat(v).isEqualTo("off"));
        assertThat(rates(jid)).hasSize(2).allSatisfy((k, v) -> assertThat(v).isZero());
        TestingReorgs.assertExactRun(ds, id, rows);
    }

    // ------------------------------------------------------------------ helpers

    private static JobClient start(JobSpec spec) throws Exception {
        ReorgSetup.Outcome setup = ReorgSetup.run(spec);
        assertThat(setup.status).isEqualTo(ReorgSetup.Status.PREPARED);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(spec.tuning().parallelism());
        env.enableCheckpointing(spec.tuning().checkpointInterval().toMillis());
        BackfillPipeline.build(env, setup.plan);
        return env.executeAsync(BackfillPipeline.jobName(setup.plan));
    }

    private static void cancelIfRunning(JobClient job) throws Exception {
        if (!job.getJobStatus().get().isGloballyTerminalState()) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    private static void await(String what, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        TestingReorgs.await(what, TIMEOUT, condition);
    }

    private static void knob(DataSource ds, String id, String set) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("UPDATE backfill.reorgs SET " + set + " WHERE id = ?")) {
            ps.setString(1, id);
            assertThat(ps.executeUpdate()).isOne();
        }
    }

    private static String reason(DataSource ds, String id) throws SQLException {
        return TestingReorgs.reorg(ds, id).throttleReason;
    }

    private static Long rate(DataSource ds, String id) throws SQLException {
        return TestingReorgs.reorg(ds, id).throttleRate;
    }

    /** The {@code status} line of the spec's reorg. */
    private static String status(JobSpec spec) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        new Status(out, false, Status.WATCH_PERIOD).run(spec, false, false);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).contains("  THROTTLE  ");
        return lines[1];
    }

    /** The source subtasks' {@code throttleReason} gauges. */
    private static Map<Integer, String> reasons(JobID job) {
        Map<Integer, String> out = new TreeMap<>();
        gauges(job, BackfillMetrics.THROTTLE_REASON).forEach((k, v) -> out.put(k, (String) v));
        return out;
    }

    /** The source subtasks' {@code throttleRate} gauges. */
    private static Map<Integer, Long> rates(JobID job) {
        Map<Integer, Long> out = new TreeMap<>();
        gauges(job, BackfillMetrics.THROTTLE_RATE).forEach((k, v) -> out.put(k, (Long) v));
        return out;
    }

    /** The rows the source subtasks read, from their {@code rowsScanned} counters. */
    private static long scannedByMetrics(JobID job) {
        long total = 0;
        for (Map.Entry<MetricGroup, Map<String, Metric>> e :
                REPORTER.getMetricsByGroup().entrySet()) {
            if (job.toString().equals(e.getKey().getAllVariables().get("<job_id>"))
                    && e.getValue().get(BackfillMetrics.ROWS_SCANNED)
                            instanceof org.apache.flink.metrics.Counter counter) {
                total += counter.getCount();
            }
        }
        return total;
    }

    private static Map<Integer, Object> gauges(JobID job, String name) {
        Map<Integer, Object> out = new TreeMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> e :
                REPORTER.getMetricsByGroup().entrySet()) {
            Map<String, String> vars = e.getKey().getAllVariables();
            String op = vars.get("<operator_name>");
            if (!job.toString().equals(vars.get("<job_id>"))
                    || op == null
                    || !(op.equals(SOURCE) || op.endsWith(": " + SOURCE))
                    || !vars.containsKey("<subtask_index>")) {
                continue;
            }
            Metric m = e.getValue().get(name);
            if (m instanceof Gauge<?> g) {
                out.put(Integer.parseInt(vars.get("<subtask_index>")), g.getValue());
            }
        }
        return out;
    }
}
