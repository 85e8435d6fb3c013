package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.model.JobSpec;
import dev.backfill.op.ReorgPlan;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * Runs one reorg as a Flink job: prepares it or finds the one to resume ({@link #prepareOrResume}),
 * builds its dataflow on an environment ({@link #environment}, {@link #build}) and executes it
 * ({@link #execute}), then reads where the reorg stands ({@link #state}) and, for a modify-column
 * with {@code cutover: auto} that stopped in {@code ready}, cuts over ({@link #cutover}).
 *
 * <p>The command line around it, with its arguments, the embedded server and the messages, is
 * {@code cli/BackfillCli}, the jar's main class; the same steps serve {@code flink run} on a
 * cluster and the in-JVM Flink of {@code scripts/backfill}.
 */
@Internal
public final class BackfillJob {
    private BackfillJob() {}

    /** Prepares a new reorg (write-only) or finds the one to resume; see {@link ReorgSetup}. */
    public static ReorgSetup.Outcome prepareOrResume(JobSpec spec)
            throws SQLException, InterruptedException {
        return ReorgSetup.run(spec);
    }

    /**
     * The environment to run on. With {@code local} (the configuration of an in-JVM Flink) a local
     * environment with the web UI; without it the one of {@code flink run}, where {@code -p} on the
     * command line wins over the spec's parallelism. Checkpointing at the spec's interval unless
     * the cluster's configuration already enables it.
     */
    public static StreamExecutionEnvironment environment(JobSpec spec, Configuration local) {
        JobSpec.TuningSpec t = spec.tuning();
        StreamExecutionEnvironment env;
        if (local != null) {
            env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(local);
            env.setParallelism(t.parallelism());
        } else {
            env = StreamExecutionEnvironment.getExecutionEnvironment();
            // -p on the command line wins over the spec.
            if (!env.getConfiguration().getOptional(CoreOptions.DEFAULT_PARALLELISM).isPresent()) {
                env.setParallelism(t.parallelism());
            }
        }
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(t.checkpointInterval().toMillis());
        }
        return env;
    }

    /**
     * The configuration of the environment {@link #environment} returns without {@code local}: on
     * {@code flink run}, the cluster's {@code config.yaml} with the {@code -D} options before the
     * jar; read for {@link BackfillOptions} before the reorg is prepared.
     */
    public static ReadableConfig configuration() {
        return StreamExecutionEnvironment.getExecutionEnvironment().getConfiguration();
    }

    /** Adds the reorg's dataflow to {@code env}; see {@link BackfillPipeline}. */
    public static void build(StreamExecutionEnvironment env, ReorgPlan plan) {
        BackfillPipeline.build(env, plan);
    }

    /** What {@link #execute} came to: the job's result, or the error it ended with. */
    public static final class Execution {
        /** The job's result; null when it ended with {@link #error}. */
        public final JobExecutionResult result;

        /** Why the job ended without a result, or null. */
        public final Throwable error;

        private Execution(JobExecutionResult result, Throwable error) {
            this.result = result;
            this.error = error;
        }

        /** True when the job was only submitted ({@code flink run -d}): it runs on the cluster. */
        public boolean detached() {
            return result != null && !result.isJobExecutionResult();
        }
    }

    /**
     * Executes the job built on {@code env}, with {@code whileRunning} beside it: it is started (by
     * {@code get()}) before the job is submitted and closed when the job has ended; the command
     * line reports the reorg's progress with it. A job that fails is returned as {@link
     * Execution#error}: the catalog says where the reorg stands.
     */
    public static Execution execute(
            StreamExecutionEnvironment env,
            ReorgPlan plan,
            Supplier<? extends AutoCloseable> whileRunning) {
        Throwable jobError = null;
        JobExecutionResult result = null;
        try (AutoCloseable beside = whileRunning.get()) {
            result = env.execute(BackfillPipeline.jobName(plan));
        } catch (Exception e) {
            jobError = e;
        }
        return new Execution(result, jobError);
    }

    /** The reorg's catalog row, read after the job ended. */
    public static Catalog.Reorg state(ReorgPlan plan, String reorgId) throws SQLException {
        try (Connection c = plan.dataSource().getConnection()) {
            return Catalog.find(c, reorgId).orElseThrow();
        }
    }

    /**
     * A reorg in state {@code ready} whose spec says {@code cutover: auto} (a job that stopped
     * after verification): runs the cut-over its finalizer would have run ({@link
     * dev.backfill.op.ReorgSteps#cutOver}).
     */
    public static void cutover(ReorgPlan plan) throws SQLException, InterruptedException {
        try (Connection c = Connections.open(plan.dataSource())) {
            plan.steps().cutOver(c, plan);
        }
    }
}
