package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.except;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #3, contracts 1 and 3, under random load: an add-index over 200,000 rows while four writer
 * threads (two at READ COMMITTED, two at REPEATABLE READ) run inserts, updates of the indexed
 * column, key updates, deletes and re-inserts of deleted keys for the whole backfill. Afterwards
 * the index table must equal the ground truth exactly. Meanwhile a watchdog samples {@code
 * pg_stat_activity} every 200 ms: no Backfill transaction may be older than 2 s, and every Backfill
 * session must be named {@code backfill:<reorg id>}.
 *
 * <p><b>When the writers stop.</b> Every writer transaction first reads the reorg's state (its
 * first statement, so at REPEATABLE READ it is the transaction's snapshot), and decides from it:
 *
 * <ul>
 *   <li>{@code write-only} or {@code backfilling}: any kind of DML;
 *   <li>{@code verifying}: only updates of the email or of {@code n}, which change neither the row
 *       count nor any row's key, so that {@code rows_done} (the verified count) must equal {@code
 *       count(*)} exactly while verification and repair still run under concurrent writes;
 *   <li>{@code public} (or {@code failed}, {@code aborted}): stop.
 * </ul>
 *
 * A transaction that read {@code backfilling} started before the finalizer's switch to {@code
 * verifying} committed, so the finalizer's wait for older transactions covers it: no row-count
 * changing write can commit once verification has begun.
 */
class ConcurrentDmlITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final int ROWS = 200_000;
    private static final int WRITERS = 4;

    /** Initial ids are 10, 20, ..., 2,000,000; new ids are drawn from 1..ID_SPACE. */
    private static final int ID_SPACE = 2_400_000;

    /** Safety limits for a writer; in a passing run each writer stops on seeing public. */
    private static final int MAX_TRANSACTIONS_PER_WRITER = 50_000;

    private static final long WRITER_TIME_LIMIT_MS = 90_000;

    private static final double MAX_TRANSACTION_AGE_S = 2.0;
    private static final long SAMPLE_PERIOD_MS = 200;

    /** The kinds of writer statements. */
    enum Kind {
        INSERT,
        UPDATE_EMAIL,
        UPDATE_EMAIL_NULL,
        UPDATE_KEY,
        UPDATE_N,
        DELETE,
        REINSERT
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void indexEqualsGroundTruthUnderConcurrentDml(long seed) throws Exception {
        String seedText = "seed " + seed;
        String db = "concurrent_dml_" + seed;
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n int)",
                        // Sparse ids, ~5% NULL emails, unique non-NULL emails.
                        "INSERT INTO accounts SELECT g * 10, CASE WHEN g % 20 = 0 THEN NULL ELSE"
                                + " 'u' || g || '@example.com' END, g FROM generate_series(1, "
                                + ROWS
                                + ") g",
                        "ANALYZE accounts");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        db,
                        "accounts",
                        "accounts_email",
                        "email",
                        true,
                        "  parallelism: 2\n  batch-size: 500\n  split-rows: 20000\n"
                                + "  checkpoint-interval: 1s\n"
                                // The writers are an application at work, so the adaptive
                                // throttle would slow the backfill by its own reading of the
                                // probe, and the writers could reach their limits before
                                // public: the pace is set here instead, the same on every run.
                                + "  throttle: off\n"
                                // Seed 3 paces the readers: the writers then meet many more
                                // batches read long before they commit, the case that exposed
                                // the tombstone-and-revive race of the write-only sink.
                                + (seed == 3 ? "  max-rows-per-second: 30000\n" : ""));
        String reorgId = spec.reorgId();

        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).as(seedText).isEqualTo(ReorgSetup.Status.PREPARED);

        PGSimpleDataSource pg = TestingPostgres.get().dataSource(db);
        AtomicBoolean stop = new AtomicBoolean();
        Watchdog watchdog = new Watchdog(pg);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        List<Writer> writers = new ArrayList<>();
        List<Future<?>> running = new ArrayList<>();
        long started = System.nanoTime();
        Throwable jobError = null;
        try {
            sampler.scheduleAtFixedRate(
                    watchdog::sample, 0, SAMPLE_PERIOD_MS, TimeUnit.MILLISECONDS);
            for (int w = 0; w < WRITERS; w++) {
                // Writers 0 and 2 at READ COMMITTED, 1 and 3 at REPEATABLE READ.
                Writer writer = new Writer(pg, reorgId, seed, w, w % 2 == 1, stop);
                writers.add(writer);
                running.add(pool.submit(writer));
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(spec.tuning().parallelism());
            env.enableCheckpointing(spec.tuning().checkpointInterval().toMillis());
            BackfillPipeline.build(env, out.plan);
            JobClient job = env.executeAsync(BackfillPipeline.jobName(out.plan));
            try {
                job.getJobExecutionResult().get(3, TimeUnit.MINUTES);
            } catch (Exception e) {
                jobError = e;
            }
            for (Future<?> f : running) {
                // Writers stop by themselves on seeing public; after a failed job, make them stop.
                if (jobError != null) {
                    stop.set(true);
                }
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
            sampler.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
            sampler.awaitTermination(30, TimeUnit.SECONDS);
            watchdog.close();
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        System.out.println(summary(seed, elapsedMs, writers, watchdog));

        assertThat(jobError).as(seedText + ": the Flink job failed").isNull();

        // The writers ran during the backfill, at both isolation levels, and met no surprise.
        for (Writer w : writers) {
            assertThat(w.unexpected).as(seedText + ", " + w.name + ": unexpected errors").isEmpty();
            assertThat(w.committedWhileBackfilling)
                    .as(seedText + ", " + w.name + ": transactions committed while backfilling")
                    .isPositive();
            assertThat(w.sawPublic)
                    .as(
                            seedText
                                    + ", "
                                    + w.name
                                    + ": ran until the reorg was public (not stopped by a limit)")
                    .isTrue();
        }
        Map<Kind, Long> totals = new EnumMap<>(Kind.class);
        for (Writer w : writers) {
            w.statements.forEach((k, v) -> totals.merge(k, v, Long::sum));
        }
        for (Kind k : Kind.values()) {
            assertThat(totals.getOrDefault(k, 0L))
                    .as(seedText + ": committed statements of kind " + k)
                    .isPositive();
        }

        // The index table equals the ground truth exactly, in both directions.
        assertThat(
                        except(
                                ds,
                                "SELECT email, id FROM accounts",
                                "SELECT email, id FROM accounts_email"))
                .as(seedText + ": rows without their exact entry")
                .isZero();
        assertThat(
                        except(
                                ds,
                                "SELECT email, id FROM accounts_email",
                                "SELECT email, id FROM accounts"))
                .as(seedText + ": entries without their row (stale or deleted)")
                .isZero();
        long rows = count(ds, "SELECT count(*) FROM accounts");
        assertThat(count(ds, "SELECT count(*) FROM accounts_email"))
                .as(seedText + ": entries")
                .isEqualTo(rows);
        Catalog.Reorg r = TestingReorgs.reorg(ds, reorgId);
        assertThat(r.state)
                .as(seedText + ": state (error: " + r.error + ")")
                .isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).as(seedText + ": rows_done").isEqualTo(rows);
        // No repair: the batches and the triggers alone made the index exact; the batches wrote
        // at most what they scanned, the rest skipped by the compare-and-set.
        long[] batches = TestingReorgs.assertExactRunUnderWrites(ds, reorgId);
        System.out.println(
                seedText
                        + ": batches scanned "
                        + batches[0]
                        + ", wrote "
                        + batches[1]
                        + ", skipped "
                        + (batches[0] - batches[1]));

        // Contract 3: no Backfill transaction older than 2 s; all sessions named backfill:<id>.
        assertThat(watchdog.samples).as(seedText + ": watchdog samples").isPositive();
        assertThat(watchdog.errors).as(seedText + ": watchdog errors").isEmpty();
        assertThat(watchdog.sessionsSeen)
                .as(seedText + ": Backfill sessions seen by the watchdog")
                .isPositive();
        assertThat(watchdog.transactionsSeen)
                .as(seedText + ": open Backfill transactions seen by the watchdog")
                .isPositive();
        assertThat(watchdog.tooOld)
                .as(seedText + ": Backfill transactions older than " + MAX_TRANSACTION_AGE_S + " s")
                .isEmpty();
        assertThat(watchdog.applicationNames)
                .as(seedText + ": application names of Backfill sessions")
                .containsExactly("backfill:" + reorgId);
    }

    private static String summary(long seed, long elapsedMs, List<Writer> writers, Watchdog wd) {
        StringBuilder sb = new StringBuilder();
        sb.append("ConcurrentDmlITCase seed ")
                .append(seed)
                .append(": ")
                .append(elapsedMs)
                .append(" ms from the writers' start to their stop\n");
        for (Writer w : writers) {
            sb.append("  ")
                    .append(w.name)
                    .append(": ")
                    .append(w.committed)
                    .append(" transactions committed (")
                    .append(w.committedWhileBackfilling)
                    .append(" while backfilling, ")
                    .append(w.committedWhileVerifying)
                    .append(" while verifying), statements ")
                    .append(w.statements)
                    .append(", rolled back ")
                    .append(w.rolledBack)
                    .append(w.unexpected.isEmpty() ? "" : ", UNEXPECTED " + w.unexpected)
                    .append('\n');
        }
        sb.append("  watchdog: ")
                .append(wd.samples)
                .append(" samples, ")
                .append(wd.sessionsSeen)
                .append(" Backfill sessions seen, ")
                .append(wd.transactionsSeen)
                .append(" in a transaction, oldest ")
                .append(String.format("%.3f", wd.maxAge))
                .append(" s, names ")
                .append(wd.applicationNames);
        for (String x : wd.slow) {
            sb.append("\n    over ").append(MAX_TRANSACTION_AGE_S / 2).append(" s: ").append(x);
        }
        for (String x : wd.tooOld) {
            sb.append("\n    TOO OLD: ").append(x);
        }
        return sb.toString();
    }

    /**
     * One writer thread: short transactions of random DML with a seeded {@link Random}. Expected
     * application-level failures (serialization failure, deadlock, a new key that is taken) are
     * rolled back and counted; anything else is recorded as unexpected and stops the writer.
     */
    static final class Writer implements Runnable {
        final String name;
        private final PGSimpleDataSource ds;
        private final String reorgId;
        private final boolean repeatableRead;
        private final AtomicBoolean stop;
        private final Random rnd;
        private final String emailPrefix;

        /** Keys this writer deleted (committed), with their last email, for re-inserts. */
        private final Deque<Object[]> deleted = new ArrayDeque<>();

        long committed;
        long committedWhileBackfilling;
        long committedWhileVerifying;
        boolean sawPublic;
        final Map<Kind, Long> statements = new EnumMap<>(Kind.class);

        /**
         * Rolled-back transactions by SQLSTATE and constraint: serialization failures, deadlocks,
         * and unique violations on {@code accounts_pkey} (a random new key that another row has).
         * Emails are never reused, so a 23505 on the index table ({@code accounts_email_unique})
         * can only be the trigger anomaly that {@link TriggerRaceITCase} reproduces (a REPEATABLE
         * READ writer deleting the old entry under a snapshot that misses a batch's entry): it is
         * not rolled back and counted here but recorded as unexpected, so the test asserts zero.
         */
        final Map<String, Long> rolledBack = new TreeMap<>();

        final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        private long emails;

        Writer(
                PGSimpleDataSource base,
                String reorgId,
                long seed,
                int index,
                boolean repeatableRead,
                AtomicBoolean stop) {
            this.name = "writer-" + index + (repeatableRead ? " (RR)" : " (RC)");
            this.ds = copy(base, "concurrent-dml-writer-" + index);
            this.reorgId = reorgId;
            this.repeatableRead = repeatableRead;
            this.stop = stop;
            this.rnd = new Random(seed * 1_000 + index);
            this.emailPrefix = "s" + seed + "w" + index + "-";
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WRITER_TIME_LIMIT_MS);
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                c.setTransactionIsolation(
                        repeatableRead
                                ? Connection.TRANSACTION_REPEATABLE_READ
                                : Connection.TRANSACTION_READ_COMMITTED);
                int transactions = 0;
                while (!stop.get()
                        && transactions < MAX_TRANSACTIONS_PER_WRITER
                        && System.nanoTime() < deadline) {
                    transactions++;
                    if (!transaction(c)) {
                        return;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                unexpected.add(e.toString());
            }
        }

        /** One transaction; false when the writer should stop. */
        private boolean transaction(Connection c) throws SQLException {
            List<Object[]> deletedHere = new ArrayList<>();
            List<Object[]> reinsertedHere = new ArrayList<>();
            Map<Kind, Long> done = new EnumMap<>(Kind.class);
            String state;
            try {
                // The first statement: at REPEATABLE READ it takes the transaction's snapshot.
                state = state(c);
                if (!state.equals("write-only")
                        && !state.equals("backfilling")
                        && !state.equals("verifying")) {
                    c.rollback();
                    sawPublic = state.equals("public");
                    if (!sawPublic) {
                        unexpected.add("reorg state " + state);
                    }
                    return false;
                }
                boolean anyKind = !state.equals("verifying");
                int n = rnd.nextInt(10) < 2 ? 2 + rnd.nextInt(2) : 1;
                for (int i = 0; i < n; i++) {
                    Kind kind =
                            anyKind
                                    ? anyKind()
                                    : rnd.nextInt(5) == 0 ? Kind.UPDATE_N : Kind.UPDATE_EMAIL;
                    if (statement(c, kind, deletedHere, reinsertedHere)) {
                        done.merge(kind, 1L, Long::sum);
                    }
                }
                c.commit();
            } catch (SQLException e) {
                rollbackQuietly(c);
                String sqlState = e.getSQLState();
                if ("40001".equals(sqlState)
                        || "40P01".equals(sqlState)
                        || ("23505".equals(sqlState) && constraint(e).equals(" accounts_pkey"))) {
                    String key = sqlState + constraint(e);
                    rolledBack.merge(key, 1L, Long::sum);
                    // The keys a rolled-back re-insert took are still free.
                    for (Object[] k : reinsertedHere) {
                        deleted.addLast(k);
                    }
                    return true;
                }
                unexpected.add(sqlState + ": " + e.getMessage());
                return false;
            }
            committed++;
            if (state.equals("backfilling")) {
                committedWhileBackfilling++;
            } else if (state.equals("verifying")) {
                committedWhileVerifying++;
            }
            done.forEach((k, v) -> statements.merge(k, v, Long::sum));
            deleted.addAll(deletedHere);
            while (deleted.size() > 1_000) {
                deleted.pollFirst();
            }
            return true;
        }

        private Kind anyKind() {
            int p = rnd.nextInt(100);
            if (p < 20) {
                return Kind.INSERT;
            } else if (p < 40) {
                return Kind.UPDATE_EMAIL;
            } else if (p < 45) {
                return Kind.UPDATE_EMAIL_NULL;
            } else if (p < 60) {
                return Kind.UPDATE_KEY;
            } else if (p < 65) {
                return Kind.UPDATE_N;
            } else if (p < 85) {
                return Kind.DELETE;
            } else {
                return Kind.REINSERT;
            }
        }

        /** Runs one statement; true when it changed a row. */
        private boolean statement(
                Connection c, Kind kind, List<Object[]> deletedHere, List<Object[]> reinsertedHere)
                throws SQLException {
            // Some existing row: the first at or after a random point of the initial key space.
            String target = "(SELECT id FROM accounts WHERE id >= ? ORDER BY id LIMIT 1)";
            long from = 1 + rnd.nextInt(ROWS * 10);
            switch (kind) {
                case INSERT:
                    return insert(c, 1 + rnd.nextInt(ID_SPACE), freshEmail(0.05));
                case REINSERT:
                    {
                        Object[] k = deleted.pollFirst();
                        if (k == null) {
                            return insert(c, 1 + rnd.nextInt(ID_SPACE), freshEmail(0.05));
                        }
                        reinsertedHere.add(k);
                        // Half of them with the email the row had, half with a fresh one.
                        String email = rnd.nextBoolean() ? (String) k[1] : freshEmail(0.05);
                        return insert(c, (Long) k[0], email);
                    }
                case UPDATE_EMAIL:
                case UPDATE_EMAIL_NULL:
                    try (PreparedStatement ps =
                            c.prepareStatement(
                                    "UPDATE accounts SET email = ? WHERE id = " + target)) {
                        ps.setString(1, kind == Kind.UPDATE_EMAIL_NULL ? null : freshEmail(0));
                        ps.setLong(2, from);
                        return ps.executeUpdate() > 0;
                    }
                case UPDATE_KEY:
                    {
                        // A new key that no initial row has (not a multiple of 10).
                        long id = 1 + rnd.nextInt(ID_SPACE);
                        if (id % 10 == 0) {
                            id++;
                        }
                        try (PreparedStatement ps =
                                c.prepareStatement(
                                        "UPDATE accounts SET id = ? WHERE id = " + target)) {
                            ps.setLong(1, id);
                            ps.setLong(2, from);
                            return ps.executeUpdate() > 0;
                        }
                    }
                case UPDATE_N:
                    try (PreparedStatement ps =
                            c.prepareStatement(
                                    "UPDATE accounts SET n = n + 1 WHERE id = " + target)) {
                        ps.setLong(1, from);
                        return ps.executeUpdate() > 0;
                    }
                case DELETE:
                    try (PreparedStatement ps =
                            c.prepareStatement(
                                    "DELETE FROM accounts WHERE id = "
                                            + target
                                            + " RETURNING id, email")) {
                        ps.setLong(1, from);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (rs.next()) {
                                deletedHere.add(new Object[] {rs.getLong(1), rs.getString(2)});
                                return true;
                            }
                            return false;
                        }
                    }
                default:
                    throw new IllegalStateException(kind.toString());
            }
        }

        private boolean insert(Connection c, long id, String email) throws SQLException {
            try (PreparedStatement ps =
                    c.prepareStatement("INSERT INTO accounts (id, email, n) VALUES (?, ?, ?)")) {
                ps.setLong(1, id);
                ps.setString(2, email);
                ps.setInt(3, rnd.nextInt(1000));
                return ps.executeUpdate() > 0;
            }
        }

        /** A value no other row ever had (or NULL with probability {@code nulls}). */
        private String freshEmail(double nulls) {
            if (nulls > 0 && rnd.nextDouble() < nulls) {
                return null;
            }
            return emailPrefix + (++emails) + "@example.com";
        }

        private String state(Connection c) throws SQLException {
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT state FROM backfill.reorgs WHERE id = ?")) {
                ps.setString(1, reorgId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : "none";
                }
            }
        }

        private static String constraint(SQLException e) {
            if (e instanceof org.postgresql.util.PSQLException) {
                var m = ((org.postgresql.util.PSQLException) e).getServerErrorMessage();
                if (m != null && m.getConstraint() != null) {
                    return " " + m.getConstraint();
                }
            }
            return "";
        }
    }

    /** Samples Backfill's sessions in pg_stat_activity; run on a single scheduled thread. */
    static final class Watchdog {
        private final PGSimpleDataSource ds;
        private Connection connection;

        volatile long samples;
        volatile long sessionsSeen;
        volatile long transactionsSeen;
        volatile double maxAge;
        final Set<String> applicationNames = ConcurrentHashMap.newKeySet();
        final List<String> tooOld = Collections.synchronizedList(new ArrayList<>());

        /** Transactions older than half the limit: printed, for the record. */
        final List<String> slow = Collections.synchronizedList(new ArrayList<>());

        final List<String> errors = Collections.synchronizedList(new ArrayList<>());

        Watchdog(PGSimpleDataSource base) {
            this.ds = copy(base, "concurrent-dml-watchdog");
        }

        void sample() {
            try {
                if (connection == null) {
                    connection = ds.getConnection();
                }
                try (PreparedStatement ps =
                                connection.prepareStatement(
                                        "SELECT application_name,"
                                                + " extract(epoch FROM now() - xact_start)::float8,"
                                                + " pid, state,"
                                                + " extract(epoch FROM now() - state_change)::float8,"
                                                + " wait_event_type, wait_event, left(query, 200)"
                                                + " FROM pg_stat_activity"
                                                + " WHERE datname = current_database()"
                                                + " AND application_name LIKE 'backfill:%'");
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        sessionsSeen++;
                        applicationNames.add(rs.getString(1));
                        double age = rs.getDouble(2);
                        if (rs.wasNull()) {
                            continue;
                        }
                        transactionsSeen++;
                        maxAge = Math.max(maxAge, age);
                        if (age > MAX_TRANSACTION_AGE_S / 2) {
                            String seen =
                                    String.format(
                                            "%s (pid %d) in a transaction for %.3f s, %s for"
                                                    + " %.3f s (wait %s/%s): %s",
                                            rs.getString(1),
                                            rs.getInt(3),
                                            age,
                                            rs.getString(4),
                                            rs.getDouble(5),
                                            rs.getString(6),
                                            rs.getString(7),
                                            rs.getString(8));
                            (age > MAX_TRANSACTION_AGE_S ? tooOld : slow).add(seen);
                        }
                    }
                }
                samples++;
            } catch (SQLException | RuntimeException e) {
                errors.add(e.toString());
            }
        }

        void close() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // best effort
                }
            }
        }
    }

    /** A data source for the same database with its own application_name. */
    private static PGSimpleDataSource copy(PGSimpleDataSource base, String applicationName) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(base.getURL());
        ds.setUser(base.getUser());
        ds.setApplicationName(applicationName);
        return ds;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the error being handled is what matters
        }
    }
}
