package dev.backfill.reorg;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.Retry;
import dev.backfill.db.SessionSql;
import dev.backfill.db.SqlErrors;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.model.ThrottleSettings;
import dev.backfill.op.Finishing;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.ReorgSteps;
import dev.backfill.op.Verification;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The last steps of a reorg, run once after every split has committed: the one lifecycle template
 * over the operation SPI ({@link ReorgSteps}). It waits out older transactions, verifies, repairs,
 * verifies again, then moves the reorg to the operation's verified state ({@code public}, or {@code
 * ready} before a modify-column's cut-over) and publishes (or {@code failed} with the counts and
 * the first offending keys). What is verified, how a range is repaired and what publishing means
 * are the operation's ({@code IndexVerifier} and the index table's tombstones for add-index; {@code
 * ShadowVerifier}, the rebuilt indexes, the NOT NULL proof and {@code Cutover} for modify-column).
 * Every step is idempotent, so a restarted job (or a lost connection) runs the sequence again from
 * the start. Plain logic, called by {@code sink.FinalizerOperator} inside the Flink job (so it also
 * runs with {@code flink run -d}) and by tests.
 *
 * <p><b>Why it waits.</b> Row locks do not close one race: a REPEATABLE READ writer whose snapshot
 * predates a batch's commit can delete (or re-key) a row that the batch has just indexed; its
 * trigger then deletes under the old snapshot, misses the batch's entry, and leaves it stale.
 * PostgreSQL raises serialization failures only for rows that were modified, not for rows that were
 * merely locked, so no lock strength prevents it. The triggers close it themselves: they claim the
 * old entry before deleting it, so such a writer gets a serialization failure (40001) instead (see
 * {@code IndexSql.createTriggers} and {@code TriggerRaceITCase}). The wait is the second line: like
 * {@code CREATE INDEX CONCURRENTLY} waiting for old snapshots, the finalizer first waits until
 * every transaction that started before the last batch committed has ended, so that no transaction
 * can hold a snapshot that misses a batch's entry; only then does it verify.
 *
 * <p><b>Tombstones.</b> An index table built by the write-only sink (with the marker column, see
 * {@code Tombstones}) first gets its deleting triggers back (before the wait, so that no write
 * older than the wait can leave a tombstone), then, after the wait, its tombstones purged and its
 * marker dropped, so verification and {@code public} see the index table the locking path builds
 * ({@link ReorgSteps#beforeVerifying}).
 *
 * <p><b>The repair hides nothing</b> (issue #9). Without a fault the first verification finds
 * nothing; each repaired range is added to {@code backfill.reorgs.rows_repaired} in its own
 * transaction, logged at WARN as a bug to report, and told to the {@code rowsRepaired} metric. With
 * {@code verify: strict} the first difference fails the reorg instead, and nothing is repaired.
 */
@Internal
public final class Finalizer {
    private static final Logger LOG = LoggerFactory.getLogger(Finalizer.class);
    private static final Duration WAIT_POLL = Duration.ofMillis(200);
    private static final Duration WAIT_LOG_EVERY = Duration.ofSeconds(10);

    private Finalizer() {}

    /**
     * Verifies and publishes. Returns the final verification result, or null when there was nothing
     * to verify (already public, or a modify-column already ready that only needed its cut-over).
     * Throws {@link ReorgFailedException} when verification fails after the repair, or the reorg
     * was aborted or failed meanwhile.
     */
    public static Verification.Result finish(ReorgPlan plan)
            throws SQLException, InterruptedException {
        return finish(plan, Verification.CHUNK_ROWS);
    }

    /**
     * {@link #finish(ReorgPlan)}, telling {@code repaired} the rows of each repaired range once its
     * transaction committed (the {@code rowsRepaired} metric of {@code sink.FinalizerOperator}).
     */
    public static Verification.Result finish(ReorgPlan plan, LongConsumer repaired)
            throws SQLException, InterruptedException {
        return finish(plan, Verification.CHUNK_ROWS, repaired);
    }

    static Verification.Result finish(ReorgPlan plan, long chunkRows)
            throws SQLException, InterruptedException {
        return finish(plan, chunkRows, rows -> {});
    }

    static Verification.Result finish(ReorgPlan plan, long chunkRows, LongConsumer repaired)
            throws SQLException, InterruptedException {
        // Every step is idempotent, so after a lost connection (a terminated backend, a restarted
        // server) the whole sequence starts again on a new one.
        Retry outer = Retry.defaults();
        return outer.call(
                "finalizing reorg " + plan.reorgId(),
                () -> {
                    try {
                        return finishOnce(plan, chunkRows, repaired);
                    } catch (ConnectionLost e) {
                        throw e.cause;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SQLException("interrupted while finalizing", e);
                    }
                });
    }

    /** Ends the inner retries of one attempt when its connection is gone. */
    static final class ConnectionLost extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final SQLException cause;

        ConnectionLost(SQLException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    private static Verification.Result finishOnce(
            ReorgPlan plan, long chunkRows, LongConsumer repaired)
            throws SQLException, InterruptedException {
        Retry retry =
                Retry.defaults()
                        .withListener(
                                (attempt, e) -> {
                                    if (SqlErrors.isConnectionError(e)) {
                                        throw new ConnectionLost(e);
                                    }
                                });
        ReorgSteps steps = plan.steps();
        try (Connection c = Connections.open(plan.dataSource())) {
            Finishing f = new Attempt(plan, c, retry);
            Reorg r = retry.call("reading reorg " + plan.reorgId(), () -> reorg(c, plan));
            if (r.state == State.PUBLIC) {
                LOG.info("reorg {} is already public", plan.reorgId());
                return null;
            }
            if (r.state.stopped()) {
                throw stopped(r);
            }
            Verification.Result result = null;
            State verified = steps.verifiedState();
            if (r.state != verified) {
                Finishing.Step afterWait = steps.beforeVerifying(f);
                startVerifying(c, retry, plan);
                afterWait.run();
                Failpoints.hit(Failpoints.FINALIZER_BEFORE_VERIFY);
                LOG.info(
                        "reorg {}: backfill complete, verifying {}",
                        plan.reorgId(),
                        steps.verifying());
                result = verifyAndRepair(c, retry, plan, steps, chunkRows, repaired);
                steps.afterVerification(f, result);
                long rows = result.rows;
                boolean moved =
                        retry.call(
                                verified == State.PUBLIC
                                        ? "publishing reorg " + plan.reorgId()
                                        : "marking reorg "
                                                + plan.reorgId()
                                                + " "
                                                + verified.value(),
                                () -> {
                                    boolean ok =
                                            Catalog.transition(
                                                    c,
                                                    plan.reorgId(),
                                                    List.of(State.VERIFYING),
                                                    verified);
                                    if (ok) {
                                        Catalog.setRowsDone(c, plan.reorgId(), rows);
                                    }
                                    c.commit();
                                    return ok;
                                });
                if (!moved) {
                    throw stoppedNow(c, retry, plan);
                }
            }
            steps.publish(f);
            return result;
        }
    }

    /**
     * Verifies; on a difference, fails the reorg ({@code verify: strict}) or repairs the ranges
     * that differ and verifies again. Returns the last result, logged.
     */
    private static Verification.Result verifyAndRepair(
            Connection c,
            Retry retry,
            ReorgPlan plan,
            ReorgSteps steps,
            long chunkRows,
            LongConsumer repaired)
            throws SQLException, InterruptedException {
        Verification.Result first =
                retry.call(
                        "verifying reorg " + plan.reorgId(),
                        () -> verify(c, plan, steps, chunkRows));
        if (steps.logsFirstResult()) {
            LOG.info("reorg {}: {}", plan.reorgId(), first);
        }
        Verification.Result result = first;
        if (!first.ok()) {
            if (plan.spec().verify() == JobSpec.Verify.STRICT) {
                throw failStrict(c, retry, plan, first.toString());
            }
            LOG.warn(
                    "reorg {}: {}; repairing {} ranges under row locks. In a run without"
                            + " faults this is a bug in Backfill: please report it",
                    plan.reorgId(),
                    first,
                    first.badRanges.size());
            long changed =
                    retry.call(
                            "repairing reorg " + plan.reorgId(),
                            () ->
                                    steps.repair(
                                            c,
                                            first.badRanges,
                                            plan.reorgId(),
                                            (range, rows) -> repaired.accept(rows)));
            result =
                    retry.call(
                            "verifying reorg " + plan.reorgId() + " after the repair",
                            () -> verify(c, plan, steps, chunkRows));
            LOG.warn(
                    "reorg {}: repaired {} {}; now {}",
                    plan.reorgId(),
                    changed,
                    steps.repairUnit(),
                    result);
        }
        if (!steps.logsFirstResult()) {
            LOG.info("reorg {}: {}", plan.reorgId(), result);
        }
        return result;
    }

    /**
     * Verifies on as many connections as the backfill had writers, or paced on one (see {@link
     * #verificationPace}).
     */
    private static Verification.Result verify(
            Connection c, ReorgPlan plan, ReorgSteps steps, long chunkRows) throws SQLException {
        RowRateLimiter pace = verificationPace(c, plan);
        return steps.verify(
                plan.dataSource(),
                pace == null ? plan.spec().tuning().parallelism() : 1,
                pace,
                c,
                chunkRows);
    }

    /**
     * The verification's pace: when the adaptive throttle is on and its last decision (the
     * readers', at the end of the backfill) capped the rate, the verification keeps to that rate in
     * rows checked per second, on one connection; null (full speed, on {@code parallelism}
     * connections) when the throttle is off or had let the rate go. The verification reads what the
     * backfill wrote, so a database the throttle had to protect at the end of the backfill is not
     * handed the whole table at once right after it.
     */
    static RowRateLimiter verificationPace(Connection c, ReorgPlan plan) throws SQLException {
        ThrottleSettings live =
                Catalog.throttleKnobs(c, plan.reorgId()).orElse(plan.spec().tuning().throttle());
        if (!live.enabled()) {
            return null;
        }
        Long rate = Catalog.find(c, plan.reorgId()).map(r -> r.throttleRate).orElse(null);
        if (rate == null || rate <= 0) {
            return null;
        }
        LOG.info(
                "reorg {}: the throttle capped the backfill at {} rows/s at its end; verifying at"
                        + " that rate on one connection",
                plan.reorgId(),
                rate);
        return new RowRateLimiter(rate, 1);
    }

    /** One attempt's {@link Finishing}: its connection and retry. */
    private static final class Attempt implements Finishing {
        private final ReorgPlan plan;
        private final Connection c;
        private final Retry retry;

        Attempt(ReorgPlan plan, Connection c, Retry retry) {
            this.plan = plan;
            this.c = c;
            this.retry = retry;
        }

        @Override
        public ReorgPlan plan() {
            return plan;
        }

        @Override
        public Connection connection() {
            return c;
        }

        @Override
        public Retry retry() {
            return retry;
        }

        @Override
        public ReorgFailedException fail(String message) throws SQLException, InterruptedException {
            return Finalizer.fail(c, retry, plan, message);
        }

        @Override
        public ReorgFailedException stoppedNow() throws SQLException, InterruptedException {
            return Finalizer.stoppedNow(c, retry, plan);
        }
    }

    /**
     * Marks the reorg {@code verifying} and waits out the transactions older than that moment (see
     * {@link #waitForOlderTransactions}): the start of every finalizer, add-index and
     * modify-column.
     */
    static void startVerifying(Connection c, Retry retry, ReorgPlan plan)
            throws SQLException, InterruptedException {
        retry.call(
                "marking reorg " + plan.reorgId() + " verifying",
                () -> {
                    boolean moved =
                            Catalog.transition(
                                    c,
                                    plan.reorgId(),
                                    List.of(State.BACKFILLING, State.WRITE_ONLY),
                                    State.VERIFYING);
                    c.commit();
                    if (!moved) {
                        // Lost the compare-and-set: fine when a restarted finalizer finds its own
                        // earlier verifying; an abort or a failure meanwhile stops it here.
                        Reorg r = reorg(c, plan);
                        if (r.state != State.VERIFYING) {
                            throw stopped(r);
                        }
                    }
                    return null;
                });
        Timestamp backfillEnd = retry.call("reading the clock", () -> now(c));
        waitForOlderTransactions(c, backfillEnd, plan);
    }

    /**
     * {@code verify: strict}: fails the reorg with {@code result} (the count and the first
     * differing keys) instead of repairing, and returns the exception that stops the job; nothing
     * was changed. When the reorg was aborted meanwhile, says so instead.
     */
    static ReorgFailedException failStrict(Connection c, Retry retry, ReorgPlan plan, String result)
            throws SQLException, InterruptedException {
        if (c.getAutoCommit()) {
            c.setAutoCommit(false);
        }
        String message =
                result
                        + "; verify: strict fails the reorg instead of repairing (in a run without"
                        + " faults a difference is a bug in Backfill: please report it)";
        boolean failed =
                retry.call(
                        "failing reorg " + plan.reorgId(),
                        () -> {
                            boolean ok = Catalog.fail(c, plan.reorgId(), message);
                            c.commit();
                            return ok;
                        });
        if (!failed) {
            return stopped(retry.call("reading reorg " + plan.reorgId(), () -> reorg(c, plan)));
        }
        LOG.error("reorg {} failed: {}", plan.reorgId(), message);
        return new ReorgFailedException("reorg " + plan.reorgId() + " failed: " + message);
    }

    /** Marks the reorg failed and returns the exception that stops the job. */
    private static ReorgFailedException fail(
            Connection c, Retry retry, ReorgPlan plan, String message)
            throws SQLException, InterruptedException {
        if (c.getAutoCommit()) {
            c.setAutoCommit(false);
        }
        retry.call(
                "failing reorg " + plan.reorgId(),
                () -> {
                    Catalog.fail(c, plan.reorgId(), message);
                    c.commit();
                    return null;
                });
        LOG.error("reorg {} failed: {}", plan.reorgId(), message);
        return new ReorgFailedException("reorg " + plan.reorgId() + " failed: " + message);
    }

    /** {@link #stopped(Reorg)} for the reorg as the catalog has it now. */
    private static ReorgFailedException stoppedNow(Connection c, Retry retry, ReorgPlan plan)
            throws SQLException, InterruptedException {
        return stopped(retry.call("reading reorg " + plan.reorgId(), () -> reorg(c, plan)));
    }

    static ReorgFailedException stopped(Reorg r) {
        return new ReorgFailedException(
                "reorg "
                        + r.id
                        + " is "
                        + r.state.value()
                        + (r.error != null ? ": " + r.error : ""));
    }

    static Reorg reorg(Connection c, ReorgPlan plan) throws SQLException {
        Reorg x =
                Catalog.find(c, plan.reorgId())
                        .orElseThrow(
                                () ->
                                        new SQLException(
                                                "reorg "
                                                        + plan.reorgId()
                                                        + " is not in the catalog"));
        c.commit();
        return x;
    }

    static Timestamp now(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.clockTimestamp());
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            Timestamp t = rs.getTimestamp(1);
            c.commit();
            return t;
        }
    }

    /**
     * Waits until no client transaction in this database that started before {@code since} is still
     * open, like {@code CREATE INDEX CONCURRENTLY} waiting for older snapshots. Logs whom it waits
     * for every few seconds, and stops (with an exception) when the reorg is aborted or failed
     * meanwhile. Each poll is one autocommit statement that reads both, so no transaction of ours
     * stays open while waiting.
     */
    static void waitForOlderTransactions(Connection c, Timestamp since, ReorgPlan plan)
            throws SQLException, InterruptedException {
        long loggedAt = 0;
        long start = System.nanoTime();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(true);
        try (PreparedStatement ps = c.prepareStatement(SessionSql.olderTransactions())) {
            ps.setString(1, plan.reorgId());
            ps.setTimestamp(2, since);
            while (true) {
                List<String> older = new ArrayList<>();
                String state = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        state = rs.getString(1);
                        if (rs.getObject(2) != null) {
                            older.add(
                                    "pid "
                                            + rs.getInt(2)
                                            + " ("
                                            + rs.getString(3)
                                            + ", since "
                                            + rs.getTimestamp(4)
                                            + ")");
                        }
                    }
                }
                if (State.ABORTED.value().equals(state) || State.FAILED.value().equals(state)) {
                    throw new ReorgFailedException(
                            "reorg "
                                    + plan.reorgId()
                                    + " was "
                                    + state
                                    + " while waiting to verify");
                }
                if (older.isEmpty()) {
                    if (loggedAt != 0) {
                        LOG.info("reorg {}: older transactions have ended", plan.reorgId());
                    }
                    return;
                }
                long now = System.nanoTime();
                if (loggedAt == 0 || now - loggedAt > WAIT_LOG_EVERY.toNanos()) {
                    LOG.info(
                            "reorg {}: waiting {} s for {} transactions older than the last"
                                    + " batch before verifying: {}",
                            plan.reorgId(),
                            (now - start) / 1_000_000_000L,
                            older.size(),
                            older);
                    loggedAt = now;
                }
                Thread.sleep(WAIT_POLL.toMillis()); // polling pg_stat_activity for the condition
            }
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
