package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Identifiers;
import dev.backfill.db.Retry;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.model.Failpoints;
import dev.backfill.model.JobSpec;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.modifycolumn.ColumnDependents;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.ShadowColumn;
import dev.backfill.op.modifycolumn.ShadowIndexes;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The last steps of a modify-column reorg, run once after every split has committed (issue #4,
 * steps 3 to 5): wait out older transactions, verify the shadow column, rebuild the column's
 * indexes on it with {@code CREATE INDEX CONCURRENTLY}, prove NOT NULL with a validated CHECK, then
 * {@code ready}; with {@code cutover: auto} the {@link Cutover} follows at once. Every step is
 * idempotent, so a restarted job (or a lost connection) runs the sequence again from the start.
 * Called by {@link FinalizerOperator} inside the Flink job.
 */
@Internal
public final class ColumnFinalizer {
    private static final Logger LOG = LoggerFactory.getLogger(ColumnFinalizer.class);

    private ColumnFinalizer() {}

    /** Runs the steps; returns the verification result, or null when there was nothing to do. */
    public static Verifier.ShadowResult finish(ReorgPlan plan)
            throws SQLException, InterruptedException {
        return finish(plan, rows -> {});
    }

    /**
     * {@link #finish(ReorgPlan)}, telling {@code repaired} the rows of each repaired range once its
     * transaction committed (the {@code rowsRepaired} metric of {@link FinalizerOperator}).
     */
    public static Verifier.ShadowResult finish(ReorgPlan plan, LongConsumer repaired)
            throws SQLException, InterruptedException {
        return Retry.defaults()
                .call(
                        "finalizing reorg " + plan.reorgId(),
                        () -> {
                            try {
                                return finishOnce(plan, repaired);
                            } catch (Finalizer.ConnectionLost e) {
                                throw e.cause;
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new SQLException("interrupted while finalizing", e);
                            }
                        });
    }

    private static Verifier.ShadowResult finishOnce(ReorgPlan plan, LongConsumer repaired)
            throws SQLException, InterruptedException {
        Retry retry =
                Retry.defaults()
                        .withListener(
                                (attempt, e) -> {
                                    if (SqlErrors.isConnectionError(e)) {
                                        throw new Finalizer.ConnectionLost(e);
                                    }
                                });
        ShadowColumn sc = plan.shadow();
        try (Connection c = Connections.open(plan.dataSource())) {
            Reorg r = retry.call("reading reorg " + plan.reorgId(), () -> Finalizer.reorg(c, plan));
            if (r.state == State.PUBLIC) {
                LOG.info("reorg {} is already public", plan.reorgId());
                return null;
            }
            if (r.state.stopped()) {
                throw Finalizer.stopped(r);
            }
            Verifier.ShadowResult result = null;
            if (r.state != State.READY) {
                Finalizer.startVerifying(c, retry, plan);
                Failpoints.hit(Failpoints.FINALIZER_BEFORE_VERIFY);
                LOG.info("reorg {}: backfill complete, verifying {}", plan.reorgId(), sc);
                boolean nullCheck = plan.spec().modifyColumn().using() == null;
                result =
                        retry.call(
                                "verifying reorg " + plan.reorgId(),
                                () -> verifyShadow(c, plan, sc, nullCheck));
                LOG.info("reorg {}: {}", plan.reorgId(), result);
                if (!result.ok() && plan.spec().verify() == JobSpec.Verify.STRICT) {
                    throw Finalizer.failStrict(c, retry, plan, result.toString());
                }
                if (!result.ok()) {
                    Verifier.ShadowResult first = result;
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
                                            Verifier.repairShadow(
                                                    c,
                                                    sc,
                                                    first.badRanges,
                                                    plan.reorgId(),
                                                    (range, rows) -> repaired.accept(rows)));
                    result =
                            retry.call(
                                    "verifying reorg " + plan.reorgId() + " after the repair",
                                    () -> verifyShadow(c, plan, sc, nullCheck));
                    LOG.warn(
                            "reorg {}: repaired {} values; now {}",
                            plan.reorgId(),
                            changed,
                            result);
                }
                if (!result.ok()) {
                    throw fail(c, retry, plan, result.toString());
                }
                try {
                    ColumnDependents.check(c, sc.table(), sc.column().name());
                    c.commit();
                } catch (TableInfo.TableException e) {
                    throw fail(c, retry, plan, e.getMessage());
                }
                rebuildIndexes(c, retry, plan);
                if (sc.column().notNull()) {
                    proveNotNull(c, retry, plan);
                }
                long rows = result.rows;
                boolean ready =
                        retry.call(
                                "marking reorg " + plan.reorgId() + " ready",
                                () -> {
                                    boolean ok =
                                            Catalog.transition(
                                                    c,
                                                    plan.reorgId(),
                                                    List.of(State.VERIFYING),
                                                    State.READY);
                                    if (ok) {
                                        Catalog.setRowsDone(c, plan.reorgId(), rows);
                                    }
                                    c.commit();
                                    return ok;
                                });
                if (!ready) {
                    throw Finalizer.stopped(Finalizer.reorg(c, plan));
                }
            }
            if (plan.spec().modifyColumn().cutover() == JobSpec.ModifyColumnSpec.Cutover.AUTO) {
                try {
                    Cutover.run(c, plan);
                } catch (SQLException e) {
                    if (SqlErrors.isConnectionError(e)) {
                        throw e;
                    }
                    // The lock could not be had within the retries, or the swap itself failed: the
                    // reorg stays abortable; running the job again retries the cut-over.
                    throw fail(c, retry, plan, "cut-over failed: " + e.getMessage());
                }
            } else {
                LOG.info(
                        "reorg {} is ready: verified, indexes rebuilt; the write-only trigger keeps"
                                + " {} in step until `scripts/backfill cutover` swaps the columns",
                        plan.reorgId(),
                        sc.shadowName());
            }
            return result;
        }
    }

    /**
     * Rebuilds every index that covers the column on the shadow column, CONCURRENTLY, under its
     * temporary name, after dropping INVALID leftovers of an earlier attempt; a valid one from an
     * earlier attempt is kept. A unique index whose new values collide fails the reorg.
     */
    /**
     * Verifies the shadow column on as many connections as the backfill had writers, or paced on
     * one as the add-index verification is ({@link Finalizer#verificationPace}).
     */
    private static Verifier.ShadowResult verifyShadow(
            Connection c, ReorgPlan plan, ShadowColumn sc, boolean nullCheck) throws SQLException {
        RowRateLimiter pace = Finalizer.verificationPace(c, plan);
        return Verifier.verifyShadow(
                plan.dataSource(),
                pace == null ? plan.spec().tuning().parallelism() : 1,
                pace,
                c,
                sc,
                Verifier.CHUNK_ROWS,
                nullCheck);
    }

    private static void rebuildIndexes(Connection c, Retry retry, ReorgPlan plan)
            throws SQLException, InterruptedException {
        ShadowColumn sc = plan.shadow();
        List<ShadowIndexes.Planned> planned;
        try {
            planned = ShadowIndexes.plan(c, sc);
            c.commit();
        } catch (TableInfo.TableException e) {
            throw fail(c, retry, plan, e.getMessage());
        }
        c.setAutoCommit(true);
        try {
            List<String> dropped =
                    retry.call(
                            "dropping invalid indexes of reorg " + plan.reorgId(),
                            () -> ShadowIndexes.dropInvalid(c, sc));
            if (!dropped.isEmpty()) {
                LOG.info(
                        "reorg {}: dropped INVALID indexes left by an earlier attempt: {}",
                        plan.reorgId(),
                        dropped);
            }
            for (ShadowIndexes.Planned p : planned) {
                if (valid(c, Identifiers.qualified(sc.table().schema(), p.tempName()))) {
                    continue;
                }
                LOG.info(
                        "reorg {}: rebuilding index {} on {} as {}",
                        plan.reorgId(),
                        p.indexName(),
                        sc.shadowName(),
                        p.tempName());
                try {
                    retry.call(
                            "rebuilding index " + p.indexName() + " of reorg " + plan.reorgId(),
                            () -> {
                                ShadowIndexes.dropInvalid(c, sc);
                                try (Statement st = c.createStatement()) {
                                    st.execute(p.create());
                                }
                                return null;
                            });
                } catch (SQLException e) {
                    if (SqlErrors.isUniqueViolation(e)) {
                        ShadowIndexes.dropInvalid(c, sc);
                        throw fail(
                                c,
                                retry,
                                plan,
                                "cannot rebuild unique index "
                                        + p.indexName()
                                        + " on the new column: "
                                        + e.getMessage());
                    }
                    throw e;
                }
            }
        } finally {
            c.setAutoCommit(false);
        }
    }

    private static boolean valid(Connection c, String index) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.indexValid())) {
            ps.setString(1, index);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * NOT NULL without a long lock: {@code CHECK (shadow IS NOT NULL) NOT VALID} (a brief lock,
     * under lock_timeout), then {@code VALIDATE}, which scans without blocking reads or writes.
     */
    private static void proveNotNull(Connection c, Retry retry, ReorgPlan plan)
            throws SQLException, InterruptedException {
        ShadowColumn sc = plan.shadow();
        List<String> steps = ColumnSql.prepareNotNull(sc);
        long timeout = plan.spec().tuning().lockTimeout().toMillis();
        for (int i = 0; i < steps.size(); i++) {
            String sql = steps.get(i);
            boolean add = i == 0;
            DdlLockWait wait =
                    new DdlLockWait(
                            (add ? "adding" : "validating")
                                    + " the NOT NULL check of reorg "
                                    + plan.reorgId(),
                            sc.table().quotedName(),
                            timeout);
            try {
                retry.call(
                        (add ? "adding" : "validating")
                                + " the NOT NULL check of reorg "
                                + plan.reorgId(),
                        () -> {
                            try (Statement st = c.createStatement()) {
                                wait.setLocal(c);
                                if (add && constraintExists(c, sc)) {
                                    c.commit();
                                    return null;
                                }
                                st.execute(sql);
                                c.commit();
                                return null;
                            } catch (SQLException e) {
                                c.rollback();
                                wait.afterFailure(c, e);
                                throw e;
                            }
                        });
            } catch (SQLException e) {
                if (SqlErrors.isCheckViolation(e)) {
                    throw fail(
                            c,
                            retry,
                            plan,
                            "column "
                                    + sc.column().name()
                                    + " is NOT NULL but its new value is NULL in some rows: "
                                    + e.getMessage());
                }
                throw e;
            }
        }
    }

    private static boolean constraintExists(Connection c, ShadowColumn sc) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.constraintExists())) {
            ps.setString(1, sc.table().quotedName());
            ps.setString(2, sc.notNullConstraint());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
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
}
