package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.Finalizer;
import dev.backfill.reorg.ReorgSetup;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #9, defect 5: every state change is a compare-and-set, so abort and publish (the add-index
 * finalizer's {@code verifying → public}, the modify-column cut-over's {@code ready → public}) can
 * never both win. Two deterministic interleavings replay the lost update that the old abort (read
 * the state, then set {@code aborted} unconditionally) allowed: abort reads the state, the publish
 * commits, then abort writes. Then each race is run 30 times with both sides released by a barrier;
 * after each round exactly one side won and the database matches the catalog: {@code public} ⇒ the
 * index table (or the swapped column) is there; {@code aborted} ⇒ nothing of the reorg is left.
 */
class StateRaceITCase {
    private static final int ROUNDS = 30;
    private static final int ROWS = 20;
    private static final Duration WAIT = Duration.ofSeconds(60);

    // ------------------------------------------------------------------ deterministic

    /**
     * Abort reads {@code verifying}, then the finalizer's publish (the same compare-and-set, run
     * here on a connection that holds the reorg's row lock) commits {@code public}. Abort must lose
     * and drop nothing.
     */
    @Test
    void abortThatReadVerifyingLosesToAPublishCommittedBeforeItsWrite() throws Exception {
        DataSource ds = TestingReorgs.database("race_det_ai");
        ReorgSetup.Outcome setup = prepareAddIndex(ds, "race_det_ai", "t0");
        String id = setup.plan.reorgId();
        exec(ds, "UPDATE backfill.reorgs SET state = 'verifying' WHERE id = '" + id + "'");

        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection holder = ds.getConnection()) {
            holder.setAutoCommit(false);
            Catalog.lock(holder, id);
            int holderPid = pid(holder);
            Future<Abort.Outcome> abort =
                    pool.submit(() -> Abort.run(addIndexSpec("race_det_ai", "t0")));
            awaitBlockedBy(ds, holderPid, "abort waits for the reorg's row lock");

            assertThat(
                            Catalog.transition(
                                    holder,
                                    id,
                                    List.of(Catalog.State.VERIFYING),
                                    Catalog.State.PUBLIC))
                    .isTrue();
            holder.commit();

            assertThatThrownBy(() -> abort.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(TableInfo.TableException.class)
                    .hasMessageContaining("became public")
                    .hasMessageContaining("abort dropped nothing");
        } finally {
            pool.shutdownNow();
        }
        assertThat(TestingReorgs.reorg(ds, id).state).isEqualTo(Catalog.State.PUBLIC);
        assertAddIndexPublic(ds, "t0");
    }

    /**
     * The cut-over holds the reorg's row lock and waits for the table's lock (a reader holds it);
     * abort reads {@code ready} and waits for the row; then the reader ends and the cut-over
     * commits. Abort must lose and leave the swapped column alone.
     */
    @Test
    void abortThatReadReadyLosesToACutoverThatHoldsTheRow() throws Exception {
        DataSource ds = TestingReorgs.database("race_det_mc");
        JobSpec spec = modifyColumnSpec("race_det_mc", "t0", "60s");
        prepareReady(ds, spec, "t0");

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection reader = ds.getConnection()) {
            reader.setAutoCommit(false);
            single(reader, "SELECT count(*) FROM t0"); // ACCESS SHARE until commit
            int readerPid = pid(reader);
            Future<ColumnCommands.Outcome> cutover =
                    pool.submit(() -> ColumnCommands.cutover(spec));
            int cutoverPid = awaitBlockedBy(ds, readerPid, "the cut-over waits for the table lock");
            Future<Abort.Outcome> abort = pool.submit(() -> Abort.run(spec));
            awaitBlockedBy(ds, cutoverPid, "abort waits for the row the cut-over holds");

            reader.commit();

            assertThat(cutover.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isEqualTo(ColumnCommands.Outcome.DONE);
            assertThatThrownBy(() -> abort.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(TableInfo.TableException.class)
                    .hasMessageContaining("became public")
                    .hasMessageContaining("abort dropped nothing");
        } finally {
            pool.shutdownNow();
        }
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        assertCutOver(ds, "t0");
    }

    // ------------------------------------------------------------------ races

    @Test
    void abortAndTheAddIndexPublishNeverBothWin() throws Exception {
        DataSource ds = TestingReorgs.database("race_ai");
        AtomicInteger published = new AtomicInteger();
        AtomicInteger aborted = new AtomicInteger();
        for (int round = 0; round < ROUNDS; round++) {
            String table = "t" + round;
            ReorgSetup.Outcome setup = prepareAddIndex(ds, "race_ai", table);
            Race race =
                    race(
                            () -> Abort.run(addIndexSpec("race_ai", table)),
                            () -> Finalizer.finish(setup.plan),
                            () -> true);
            Catalog.State state = TestingReorgs.reorg(ds, setup.plan.reorgId()).state;
            String where = "round " + round + ": " + race;
            if (race.abortError == null) {
                // Abort won: the finalizer did not publish, nothing of the reorg is left.
                assertThat(race.otherError).as(where).isNotNull();
                assertThat(state).as(where).isEqualTo(Catalog.State.ABORTED);
                assertAddIndexGone(ds, table, where);
                aborted.incrementAndGet();
            } else {
                assertThat(race.abortError)
                        .as(where)
                        .isInstanceOf(TableInfo.TableException.class)
                        .hasMessageContaining("public");
                assertThat(race.otherError).as(where).isNull();
                assertThat(state).as(where).isEqualTo(Catalog.State.PUBLIC);
                assertAddIndexPublic(ds, table);
                published.incrementAndGet();
            }
        }
        assertThat(published.get() + aborted.get()).isEqualTo(ROUNDS);
        System.out.printf(
                "add-index race: publish won %d, abort won %d of %d%n",
                published.get(), aborted.get(), ROUNDS);
    }

    @Test
    void abortAndTheModifyColumnCutoverNeverBothWin() throws Exception {
        DataSource ds = TestingReorgs.database("race_mc");
        AtomicInteger cut = new AtomicInteger();
        AtomicInteger aborted = new AtomicInteger();
        for (int round = 0; round < ROUNDS; round++) {
            String table = "t" + round;
            JobSpec spec = modifyColumnSpec("race_mc", table, "5s");
            prepareReady(ds, spec, table);
            // Abort is quicker to its compare-and-set than the cut-over (which resolves the table
            // first), so in odd rounds abort is released only once the cut-over's session has a
            // transaction id, i.e. has locked the reorg's row (or committed).
            Callable<Boolean> start =
                    round % 2 == 0 ? () -> true : () -> hasXid(ds, spec.reorgId());
            Race race = race(() -> Abort.run(spec), () -> ColumnCommands.cutover(spec), start);
            Catalog.State state = TestingReorgs.reorg(ds, spec.reorgId()).state;
            String where = "round " + round + ": " + race;
            if (race.abortError == null) {
                assertThat(race.otherError)
                        .as(where)
                        .isInstanceOf(TableInfo.TableException.class)
                        .hasMessageContaining("aborted");
                assertThat(state).as(where).isEqualTo(Catalog.State.ABORTED);
                assertColumnUnchanged(ds, table, where);
                aborted.incrementAndGet();
            } else {
                assertThat(race.abortError)
                        .as(where)
                        .isInstanceOf(TableInfo.TableException.class)
                        .hasMessageContaining("public");
                assertThat(race.otherError).as(where).isNull();
                assertThat(state).as(where).isEqualTo(Catalog.State.PUBLIC);
                assertCutOver(ds, table);
                cut.incrementAndGet();
            }
        }
        assertThat(cut.get() + aborted.get()).isEqualTo(ROUNDS);
        System.out.printf(
                "modify-column race: cut-over won %d, abort won %d of %d%n",
                cut.get(), aborted.get(), ROUNDS);
    }

    /** What each side of one race threw (null: it completed). */
    private static final class Race {
        Throwable abortError;
        Throwable otherError;

        @Override
        public String toString() {
            return "abort: "
                    + (abortError == null ? "won" : abortError)
                    + ", publish: "
                    + (otherError == null ? "won" : otherError);
        }
    }

    /**
     * Runs both sides at once, released together by a barrier; abort then also waits (polling
     * without pause) until {@code abortStartsWhen} holds, or the publish side has ended. Waits for
     * both.
     */
    private static Race race(
            Callable<?> abort, Callable<?> publish, Callable<Boolean> abortStartsWhen)
            throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> p =
                    pool.submit(
                            () -> {
                                barrier.await();
                                return publish.call();
                            });
            Future<?> a =
                    pool.submit(
                            () -> {
                                barrier.await();
                                while (!p.isDone() && !abortStartsWhen.call()) {
                                    Thread.onSpinWait();
                                }
                                return abort.call();
                            });
            Race r = new Race();
            r.abortError = outcome(a);
            r.otherError = outcome(p);
            return r;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Throwable outcome(Future<?> f) throws Exception {
        try {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    // ------------------------------------------------------------------ setup

    private static JobSpec addIndexSpec(String db, String table) {
        return JobSpecParser.parse(
                "reorg: "
                        + db
                        + "-"
                        + table
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: "
                        + table
                        + "\nadd-index:\n  name: "
                        + table
                        + "_v\n  columns: [v]\n  unique: false\n",
                db + ".yaml",
                Map.of());
    }

    /** A table of ROWS rows, a prepared add-index reorg, its index table filled by SQL. */
    private static ReorgSetup.Outcome prepareAddIndex(DataSource ds, String db, String table)
            throws Exception {
        exec(
                ds,
                "CREATE TABLE " + table + " (id bigint PRIMARY KEY, v text)",
                "INSERT INTO "
                        + table
                        + " SELECT n, 'v' || n FROM generate_series(1, "
                        + ROWS
                        + ") n");
        ReorgSetup.Outcome out = ReorgSetup.run(addIndexSpec(db, table));
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        exec(ds, "INSERT INTO " + table + "_v SELECT v, id FROM " + table);
        return out;
    }

    static JobSpec modifyColumnSpec(String db, String table, String lockTimeout) {
        return JobSpecParser.parse(
                "reorg: "
                        + db
                        + "-"
                        + table
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: "
                        + table
                        + "\nmodify-column:\n  column: v\n  type: bigint\n  cutover: manual\n"
                        + "tuning:\n  lock-timeout: "
                        + lockTimeout
                        + "\n",
                db + ".yaml",
                Map.of());
    }

    /**
     * A table of ROWS rows whose integer column v is being changed to bigint: prepared, the shadow
     * filled by its own trigger (an UPDATE of every row), verified by the finalizer: {@code ready}.
     */
    static void prepareReady(DataSource ds, JobSpec spec, String table) throws Exception {
        exec(
                ds,
                "CREATE TABLE " + table + " (id bigint PRIMARY KEY, v integer NOT NULL)",
                "CREATE INDEX ON " + table + " (v)",
                "INSERT INTO "
                        + table
                        + " SELECT n, n * 7 FROM generate_series(1, "
                        + ROWS
                        + ") n");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        exec(ds, "UPDATE " + table + " SET v = v");
        Finalizer.finish(out.plan);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
    }

    // ------------------------------------------------------------------ checks

    private static void assertAddIndexPublic(DataSource ds, String table) throws SQLException {
        assertThat(count(ds, "SELECT count(*) FROM " + table + "_v")).isEqualTo(ROWS);
        assertThat(triggers(ds, table)).isNotEmpty();
    }

    private static void assertAddIndexGone(DataSource ds, String table, String where)
            throws SQLException {
        assertThat(strings(ds, "SELECT to_regclass('" + table + "_v')::text"))
                .as(where)
                .containsExactly((String) null);
        assertThat(triggers(ds, table)).as(where).isEmpty();
        assertThat(count(ds, "SELECT count(*) FROM " + table)).as(where).isEqualTo(ROWS);
    }

    /** Public: v is bigint, the old column is kept, no trigger of ours is left. */
    static void assertCutOver(DataSource ds, String table) throws SQLException {
        assertThat(columns(ds, table))
                .containsExactly("_backfill_old_v integer", "id bigint", "v bigint");
        assertThat(triggers(ds, table)).isEmpty();
        assertThat(count(ds, "SELECT count(*) FROM " + table + " WHERE v = id * 7"))
                .isEqualTo(ROWS);
    }

    /** Aborted: v is integer as before, no shadow column, no trigger. */
    private static void assertColumnUnchanged(DataSource ds, String table, String where)
            throws SQLException {
        assertThat(columns(ds, table)).as(where).containsExactly("id bigint", "v integer");
        assertThat(triggers(ds, table)).as(where).isEmpty();
    }

    static List<String> columns(DataSource ds, String table) throws SQLException {
        return strings(
                ds,
                "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute"
                        + " WHERE attrelid = '"
                        + table
                        + "'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname");
    }

    static List<String> triggers(DataSource ds, String table) throws SQLException {
        return strings(
                ds,
                "SELECT tgname FROM pg_trigger WHERE tgrelid = '"
                        + table
                        + "'::regclass AND NOT tgisinternal ORDER BY tgname");
    }

    // ------------------------------------------------------------------ helpers

    static int pid(Connection c) throws SQLException {
        return (int) single(c, "SELECT pg_backend_pid()");
    }

    static long single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Waits until a backend is blocked by {@code pid}; returns the blocked backend's pid. */
    static int awaitBlockedBy(DataSource ds, int pid, String what) throws Exception {
        int[] blocked = new int[1];
        TestingReorgs.await(
                what,
                WAIT,
                () -> {
                    try (Connection c = ds.getConnection();
                            PreparedStatement ps =
                                    c.prepareStatement(
                                            "SELECT pid FROM pg_stat_activity"
                                                    + " WHERE ? = ANY (pg_blocking_pids(pid))")) {
                        ps.setInt(1, pid);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (rs.next()) {
                                blocked[0] = rs.getInt(1);
                                return true;
                            }
                            return false;
                        }
                    }
                });
        return blocked[0];
    }

    /** Whether a session of the reorg (application_name backfill:id) has a transaction id. */
    private static boolean hasXid(DataSource ds, String reorgId) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?"
                                        + " AND backend_xid IS NOT NULL")) {
            ps.setString(1, Connections.applicationName(reorgId));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    static void exec(DataSource ds, String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
