package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static dev.backfill.job.TestingReorgs.count;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #5's metrics on a real reorg (embedded PostgreSQL, MiniCluster), read through an {@link
 * InMemoryReporter} and through the REST API the web UI uses: every counter, gauge and histogram
 * exists on the operator it belongs to and ends with the right value.
 *
 * <ul>
 *   <li>source reader (task): {@code rowsScanned}; the job-wide {@code progressPercent}, {@code
 *       etaSeconds}, {@code splitsRemaining} as sent by the enumerator;
 *   <li>sink writer (task): {@code rowsWritten}, {@code rowsSkipped}, {@code batchesCommitted},
 *       {@code batchesRetried}, {@code rowsRedone}, {@code batchCommitMillis}, {@code
 *       rowsPerSecond};
 *   <li>enumerator (source coordinator, job manager): {@code progressPercent}, {@code etaSeconds},
 *       {@code splitsRemaining}, {@code rowsPerSecond};
 *   <li>finalizer (task, parallelism 1): {@code rowsRepaired} (issue #9), 0 in the fault-free run
 *       and the count of a planted repair in another.
 * </ul>
 *
 * The run is throttled and then paused (the live knobs) so that the running-job checks happen while
 * it runs, whatever the machine's speed; then it is let go and finishes.
 */
class MetricsITCase {
    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setConfiguration(
                                    REPORTER.addToConfiguration(
                                            new Configuration()
                                                    .set(
                                                            MetricOptions
                                                                    .METRIC_FETCHER_UPDATE_INTERVAL,
                                                            Duration.ofMillis(300))))
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int ROWS = 60_000;
    private static final int BATCH = 500;
    private static final int SPLIT_ROWS = 10_000;
    private static final String SOURCE = "Source: backfill-source";
    private static final String WRITER = "backfill-sink: Writer";
    private static final String FINALIZER = "finalizer";

    @Test
    void everyMetricIsOnItsOperatorAndEndsRight(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String db = "metrics_run";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE m (id bigint PRIMARY KEY, email text)",
                        "INSERT INTO m SELECT n, 'u' || n || '@example.com' FROM generate_series(1, "
                                + ROWS
                                + ") n",
                        "ANALYZE m");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        db,
                        "m",
                        "m_email",
                        "email",
                        true,
                        "  parallelism: 2\n  batch-size: "
                                + BATCH
                                + "\n  split-rows: "
                                + SPLIT_ROWS
                                + "\n  checkpoint-interval: 1s\n  max-rows-per-second: 4000\n");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        String id = spec.reorgId();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000);
        BackfillPipeline.build(env, out.plan);
        long started = System.nanoTime();
        JobClient job = env.executeAsync(BackfillPipeline.jobName(out.plan));
        JobID jid = job.getJobID();

        // --- while it runs (throttled to 4,000 rows/s: 15 s for the table) ---
        await(
                "a writer reports rowsPerSecond > 0",
                () ->
                        gauges(jid, WRITER, BackfillMetrics.ROWS_PER_SECOND).values().stream()
                                .anyMatch(v -> v.doubleValue() > 0));
        await("some rows are committed", () -> scanned(ds, id) >= 2 * BATCH);
        setKnob(ds, id, "paused = true"); // keeps the job running for the checks below
        await(
                "the readers show the enumerator's progress",
                () ->
                        gauges(jid, SOURCE, BackfillMetrics.PROGRESS_PERCENT).values().stream()
                                .anyMatch(v -> v.doubleValue() > 0 && v.doubleValue() < 100));
        // Paused, the catalog stops moving once the batches in flight have committed; within a
        // refresh period (2 s) the coordinator's gauges are the reading of exactly those numbers,
        // and within another the readers show the same reading.
        long estimated = TestingReorgs.reorg(ds, id).rowsEstimated;
        assertThat(estimated)
                .as("rows_estimated (the planner's estimate after ANALYZE)")
                .isEqualTo(ROWS);
        Catalog.SplitCounts[] paused = new Catalog.SplitCounts[1];
        await(
                "the coordinator's and the readers' gauges show the paused catalog's progress",
                () -> {
                    Catalog.SplitCounts c1 = splitCounts(ds, id);
                    double pct =
                            coordinatorGauge(jid, BackfillMetrics.PROGRESS_PERCENT).doubleValue();
                    long rem = coordinatorGauge(jid, BackfillMetrics.SPLITS_REMAINING).longValue();
                    Map<Integer, Number> readersPct =
                            gauges(jid, SOURCE, BackfillMetrics.PROGRESS_PERCENT);
                    Map<Integer, Number> readersRem =
                            gauges(jid, SOURCE, BackfillMetrics.SPLITS_REMAINING);
                    Catalog.SplitCounts c2 = splitCounts(ds, id);
                    paused[0] = c2;
                    return c1.rowsScanned == c2.rowsScanned
                            && c1.splits == c2.splits
                            && c1.splitsDone == c2.splitsDone
                            && pct == expectedPercent(c2, estimated)
                            && expectedRemaining(c2, estimated).contains(rem)
                            && readersPct.size() == 2
                            && readersPct.values().stream().allMatch(v -> v.doubleValue() == pct)
                            && readersRem.values().stream().allMatch(v -> v.longValue() == rem);
                });
        double pausedPercent = expectedPercent(paused[0], estimated);
        assertThat(pausedPercent).as("progress while paused").isGreaterThan(0).isLessThan(100);
        assertThat(coordinatorGauge(jid, BackfillMetrics.SPLITS_REMAINING).longValue())
                .as("splits remaining while paused")
                .isPositive();

        // The web UI's task metrics (REST) list every metric of the source vertex, per operator;
        // the coordinator's are under jm-operator-metrics.
        URI rest = cluster.getRestAddress().get();
        String vertex = sourceVertex(rest, jid);
        await(
                "the vertex's subtask metrics over REST list Backfill's metrics",
                () ->
                        restMetricNames(
                                        rest,
                                        "/jobs/"
                                                + jid
                                                + "/vertices/"
                                                + vertex
                                                + "/subtasks/metrics")
                                .containsAll(
                                        List.of(
                                                "Source__backfill-source.rowsScanned",
                                                "Source__backfill-source.progressPercent",
                                                "Source__backfill-source.etaSeconds",
                                                "Source__backfill-source.splitsRemaining",
                                                "backfill-sink__Writer.rowsWritten",
                                                "backfill-sink__Writer.rowsSkipped",
                                                "backfill-sink__Writer.batchesCommitted",
                                                "backfill-sink__Writer.batchesRetried",
                                                "backfill-sink__Writer.rowsRedone",
                                                "backfill-sink__Writer.rowsPerSecond",
                                                "backfill-sink__Writer.batchCommitMillis_p99")));
        await(
                "the coordinator's gauges over REST",
                () -> {
                    Set<String> names =
                            restMetricNames(
                                    rest,
                                    "/jobs/"
                                            + jid
                                            + "/vertices/"
                                            + vertex
                                            + "/jm-operator-metrics");
                    return names.stream().anyMatch(n -> n.endsWith("enumerator.progressPercent"))
                            && names.stream().anyMatch(n -> n.endsWith("enumerator.etaSeconds"))
                            && names.stream()
                                    .anyMatch(n -> n.endsWith("enumerator.splitsRemaining"))
                            && names.stream().anyMatch(n -> n.endsWith("enumerator.rowsPerSecond"));
                });

        setKnob(ds, id, "paused = false, max_rows_per_second = 0");
        job.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FINISHED);
        assertThat(count(ds, "SELECT count(*) FROM m_email")).isEqualTo(ROWS);

        // --- at the end ---
        Map<Integer, Long> written = counters(jid, WRITER, BackfillMetrics.ROWS_WRITTEN);
        assertThat(written).as("writer subtasks").hasSize(2);
        assertThat(sum(written)).isEqualTo(ROWS);
        assertThat(sum(counters(jid, WRITER, BackfillMetrics.ROWS_SKIPPED))).isZero();
        assertThat(sum(counters(jid, WRITER, BackfillMetrics.ROWS_REDONE))).isZero();
        assertThat(sum(counters(jid, WRITER, BackfillMetrics.BATCHES_RETRIED))).isZero();
        assertThat(sum(counters(jid, SOURCE, BackfillMetrics.ROWS_SCANNED))).isEqualTo(ROWS);
        // Issue #9: the finalizer repaired nothing, and the catalog's counters agree.
        Map<Integer, Long> repaired = counters(jid, FINALIZER, BackfillMetrics.ROWS_REPAIRED);
        assertThat(repaired).as("finalizer subtasks of %s", operatorNames(jid)).hasSize(1);
        assertThat(sum(repaired)).isZero();
        TestingReorgs.assertExactRun(ds, id, ROWS);
        Map<Integer, Long> batches = counters(jid, WRITER, BackfillMetrics.BATCHES_COMMITTED);
        // 120 full pages, and at most one empty closing page per split.
        assertThat(sum(batches)).isBetween((long) ROWS / BATCH, (long) ROWS / BATCH + 6);
        long runMillis = (System.nanoTime() - started) / 1_000_000;
        Map<Integer, Long> histogramCounts = new TreeMap<>();
        double commitMillis = 0;
        for (Found f : find(jid, WRITER, BackfillMetrics.BATCH_COMMIT_MILLIS)) {
            assertThat(f.metric).isInstanceOf(Histogram.class);
            Histogram h = (Histogram) f.metric;
            histogramCounts.put(f.subtask, h.getCount());
            // A subtask commits its batches one after the other, within the run: in milliseconds,
            // they add up to at most the run's duration (not nanoseconds, not a rate).
            double total = h.getStatistics().getMean() * h.getCount();
            assertThat(total)
                    .as("batchCommitMillis total of subtask " + f.subtask)
                    .isLessThanOrEqualTo(runMillis);
            assertThat(h.getStatistics().getMin())
                    .as("batchCommitMillis min of subtask " + f.subtask)
                    .isGreaterThanOrEqualTo(0)
                    .isLessThanOrEqualTo(h.getStatistics().getMax());
            commitMillis += total;
        }
        assertThat(histogramCounts).as("batchCommitMillis count per subtask").isEqualTo(batches);
        assertThat(commitMillis)
                .as("batchCommitMillis over all batches (120 commits of 500 entries take time)")
                .isPositive();
        assertThat(gauges(jid, WRITER, BackfillMetrics.ROWS_PER_SECOND)).hasSize(2);

        // The enumerator learns the end from the readers' last event; its gauges show it.
        await(
                "the coordinator shows the end",
                () ->
                        coordinatorGauge(jid, BackfillMetrics.PROGRESS_PERCENT).doubleValue()
                                        == 100.0
                                && coordinatorGauge(jid, BackfillMetrics.SPLITS_REMAINING)
                                                .longValue()
                                        == 0
                                && coordinatorGauge(jid, BackfillMetrics.ETA_SECONDS).longValue()
                                        == 0);
        // Rows over a window of at least one second: never more than the table's rows.
        assertThat(coordinatorGauge(jid, BackfillMetrics.ROWS_PER_SECOND).longValue())
                .as("the coordinator's rowsPerSecond at the end")
                .isBetween(0L, (long) ROWS);
        // The readers' copies are what the enumerator last sent them while they ran: a reading
        // taken after the pause, so never behind the paused one.
        for (Number v : gauges(jid, SOURCE, BackfillMetrics.PROGRESS_PERCENT).values()) {
            assertThat(v.doubleValue())
                    .as("a reader's last progressPercent")
                    .isBetween(pausedPercent, 100.0);
        }
        for (Number v : gauges(jid, SOURCE, BackfillMetrics.SPLITS_REMAINING).values()) {
            assertThat(v.longValue())
                    .as("a reader's last splitsRemaining")
                    .isBetween(0L, Collections.max(expectedRemaining(paused[0], estimated)));
        }
    }

    @Test
    void rowsRepairedCountsWhatTheFinalizerRepaired() throws Exception {
        String db = "metrics_repair";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE m (id bigint PRIMARY KEY, email text)",
                        "INSERT INTO m SELECT n, 'u' || n FROM generate_series(1, 3000) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        db,
                        "m",
                        "m_email",
                        "email",
                        false,
                        "  parallelism: 2\n  batch-size: 500\n  split-rows: 1000\n");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        // A fault planted before verification: two entries lost.
        Failpoints.armAction(
                Failpoints.FINALIZER_BEFORE_VERIFY,
                () -> {
                    try (var c = ds.getConnection();
                            var st = c.createStatement()) {
                        st.executeUpdate("DELETE FROM m_email WHERE id IN (10, 2999)");
                    }
                });
        try {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            BackfillPipeline.build(env, out.plan);
            JobClient job = env.executeAsync(BackfillPipeline.jobName(out.plan));
            job.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            JobID jid = job.getJobID();

            assertThat(Failpoints.fired(Failpoints.FINALIZER_BEFORE_VERIFY)).isEqualTo(1);
            assertThat(counters(jid, FINALIZER, BackfillMetrics.ROWS_REPAIRED))
                    .as("the finalizer's counter, among %s", operatorNames(jid))
                    .containsExactly(Map.entry(0, 2L));
            assertThat(TestingReorgs.reorg(ds, spec.reorgId()).rowsRepaired).isEqualTo(2);
            assertThat(count(ds, "SELECT count(*) FROM m_email")).isEqualTo(3000);
        } finally {
            Failpoints.disarmAll();
        }
    }

    // ---------------------------------------------------------------------------------------

    private static void await(String what, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        TestingReorgs.await(what, TIMEOUT, condition);
    }

    private static Catalog.SplitCounts splitCounts(DataSource ds, String id) throws Exception {
        try (Connection c = ds.getConnection()) {
            return Catalog.splitCounts(c, id);
        }
    }

    /** progressPercent of a reading of these counts while not complete (ReorgProgress's rule). */
    private static double expectedPercent(Catalog.SplitCounts c, long estimated) {
        return Math.floor(Math.min(99.9, 100.0 * c.rowsScanned / estimated) * 10) / 10;
    }

    /**
     * splitsRemaining of a reading of these counts: the splits cut and not done, plus, when the
     * splitter has not cut the last split yet, the estimate of those still to cut.
     */
    private static List<Long> expectedRemaining(Catalog.SplitCounts c, long estimated) {
        long cutNotDone = c.splits - c.splitsDone;
        long toCut =
                Math.max(
                        1,
                        (Math.max(0, estimated - c.splits * SPLIT_ROWS) + SPLIT_ROWS - 1)
                                / SPLIT_ROWS);
        return List.of(cutNotDone, cutNotDone + toCut);
    }

    private static long scanned(DataSource ds, String id) throws Exception {
        return count(
                ds,
                "SELECT coalesce(sum(rows_scanned), 0) FROM backfill.progress WHERE reorg_id = '"
                        + id
                        + "'");
    }

    private static void setKnob(DataSource ds, String id, String assignment) throws Exception {
        try (var c = ds.getConnection();
                var st = c.createStatement()) {
            st.executeUpdate(
                    "UPDATE backfill.reorgs SET " + assignment + " WHERE id = '" + id + "'");
        }
    }

    private static final class Found {
        final int subtask;
        final Metric metric;

        Found(int subtask, Metric metric) {
            this.subtask = subtask;
            this.metric = metric;
        }
    }

    /** Metric {@code name} of the operator {@code operator} of job {@code job}, by subtask. */
    private static List<Found> find(JobID job, String operator, String name) {
        List<Found> out = new ArrayList<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> e :
                REPORTER.getMetricsByGroup().entrySet()) {
            Map<String, String> vars = e.getKey().getAllVariables();
            String op = vars.get("<operator_name>");
            if (!job.toString().equals(vars.get("<job_id>"))
                    || op == null
                    || !(operator.equals(op) || op.endsWith(": " + operator))
                    || !vars.containsKey("<subtask_index>")) {
                continue;
            }
            Metric m = e.getValue().get(name);
            if (m != null) {
                out.add(new Found(Integer.parseInt(vars.get("<subtask_index>")), m));
            }
        }
        return out;
    }

    /** The operators of {@code job} that have metrics, for assertion messages. */
    private static Set<String> operatorNames(JobID job) {
        Set<String> out = new java.util.TreeSet<>();
        for (MetricGroup g : REPORTER.getMetricsByGroup().keySet()) {
            Map<String, String> vars = g.getAllVariables();
            if (job.toString().equals(vars.get("<job_id>"))
                    && vars.get("<operator_name>") != null) {
                out.add(vars.get("<operator_name>"));
            }
        }
        return out;
    }

    private static Map<Integer, Long> counters(JobID job, String operator, String name) {
        Map<Integer, Long> out = new TreeMap<>();
        for (Found f : find(job, operator, name)) {
            assertThat(f.metric).as(name).isInstanceOf(Counter.class);
            out.merge(f.subtask, ((Counter) f.metric).getCount(), Long::sum);
        }
        return out;
    }

    private static Map<Integer, Number> gauges(JobID job, String operator, String name) {
        Map<Integer, Number> out = new TreeMap<>();
        for (Found f : find(job, operator, name)) {
            assertThat(f.metric).as(name).isInstanceOf(Gauge.class);
            out.put(f.subtask, (Number) ((Gauge<?>) f.metric).getValue());
        }
        return out;
    }

    /** A gauge of the source coordinator: a job manager group of the job, without a subtask. */
    private static Number coordinatorGauge(JobID job, String name) {
        List<Number> found = new ArrayList<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> e :
                REPORTER.getMetricsByGroup().entrySet()) {
            MetricGroup g = e.getKey();
            Map<String, String> vars = g.getAllVariables();
            if (job.toString().equals(vars.get("<job_id>"))
                    && !vars.containsKey("<subtask_index>")
                    && List.of(g.getScopeComponents()).contains("enumerator")
                    && e.getValue().get(name) instanceof Gauge) {
                found.add((Number) ((Gauge<?>) e.getValue().get(name)).getValue());
            }
        }
        assertThat(found).as("coordinator gauge " + name).hasSize(1);
        return found.get(0);
    }

    private static long sum(Map<Integer, Long> bySubtask) {
        return bySubtask.values().stream().mapToLong(Long::longValue).sum();
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode get(URI rest, String path) throws Exception {
        HttpResponse<String> r =
                HTTP.send(
                        HttpRequest.newBuilder(rest.resolve(path)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET " + path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String sourceVertex(URI rest, JobID job) throws Exception {
        for (JsonNode v : get(rest, "/jobs/" + job).get("vertices")) {
            if (v.get("name").asText().contains("backfill-source")) {
                return v.get("id").asText();
            }
        }
        throw new AssertionError("no source vertex in job " + job);
    }

    private static Set<String> restMetricNames(URI rest, String path) throws Exception {
        Set<String> names = new HashSet<>();
        for (JsonNode m : get(rest, path)) {
            names.add(m.get("id").asText());
        }
        return names;
    }
}
