package dev.backfill.local;

import dev.backfill.model.JobSpec;
import dev.backfill.model.JobSpec.DatabaseSpec;

import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a run on this machine needs besides the job: its home ({@code $BACKFILL_HOME}, default
 * {@code ~/.backfill}), the embedded PostgreSQL of {@code url: embedded} (started or attached, and
 * left running), and the configuration of an in-JVM Flink with the web UI ({@code --local}, as
 * {@code scripts/backfill} runs it). Used by {@code cli/BackfillCli}, which prints what happens.
 */
@Internal
public final class LocalRun {
    /**
     * Held for the life of the JVM: the server's data-directory lock (which tells other clients
     * that this process owns the server) lives as long as this object does.
     */
    private static EmbeddedPostgresServer embedded;

    private LocalRun() {}

    /** {@code $BACKFILL_HOME}, default {@code ~/.backfill}, as an absolute path. */
    public static Path backfillHome() {
        String h = System.getenv("BACKFILL_HOME");
        return (h != null && !h.isEmpty()
                        ? Path.of(h)
                        : Path.of(System.getProperty("user.home"), ".backfill"))
                .toAbsolutePath();
    }

    /** The embedded server's port: $BACKFILL_PG_PORT, default 54329. */
    public static int embeddedPort() {
        String p = System.getenv("BACKFILL_PG_PORT");
        if (p == null || p.isEmpty()) {
            return EmbeddedPostgresServer.DEFAULT_PORT;
        }
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("BACKFILL_PG_PORT: not a port number: '" + p + "'");
        }
    }

    /**
     * Attaches to the embedded server with its data under {@code home}, or starts it, on {@link
     * #embeddedPort()}. It stays up after this run so that psql can look at the result; the next
     * run or {@code scripts/backfill stop-db} stops it.
     */
    public static EmbeddedPostgresServer attachEmbedded(Path home) throws IOException {
        EmbeddedPostgresServer pg = EmbeddedPostgresServer.attachOrStart(home, embeddedPort());
        embedded = pg;
        pg.leaveRunning();
        return pg;
    }

    /** The spec with its database pointed at the embedded server (user postgres). */
    public static JobSpec onEmbedded(JobSpec spec, EmbeddedPostgresServer pg) {
        DatabaseSpec db = spec.database();
        return spec.withDatabase(new DatabaseSpec(pg.jdbcUrl(), "postgres", null, db.demoRows()));
    }

    /**
     * The configuration of an in-JVM Flink: the web UI on {@code webUiPort}, a slot per subtask,
     * RocksDB with checkpoints under {@code $BACKFILL_HOME/checkpoints}, and 5 restarts 2 s apart.
     */
    public static Configuration flinkConfiguration(int webUiPort, int parallelism)
            throws IOException {
        Configuration conf = new Configuration();
        conf.set(RestOptions.PORT, webUiPort);
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Math.max(parallelism, 1));
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        Path checkpoints = backfillHome().resolve("checkpoints");
        Files.createDirectories(checkpoints);
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
        return conf;
    }
}
