package dev.backfill.op.modifycolumn;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Identifiers;
import dev.backfill.db.Retry;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.model.JobSpec;
import dev.backfill.op.Finishing;
import dev.backfill.op.ReorgPlan;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The cut-over of a modify-column reorg, {@code ready} → {@code public}: ONE short transaction
 * under {@code lock_timeout}, retried with backoff, that takes the table's ACCESS EXCLUSIVE lock
 * and swaps the columns and their indexes. Nothing in it reads or rewrites rows, so the lock is
 * held for milliseconds; while it waits for the lock, {@code lock_timeout} bounds how long it
 * blocks other sessions queued behind it. Run by the finalizer ({@code cutover: auto}) and by
 * {@code scripts/backfill cutover} ({@code cutover: manual}).
 *
 * <p>In order: lock the table; drop the old column's indexes and constraints that were rebuilt on
 * the shadow column (a primary key first, so its NOT NULL can go); drop the trigger; move the
 * default and NOT NULL; rename the old column to {@code _backfill_old_<column>} and the shadow
 * column to the column's name; promote the rebuilt indexes (constraints {@code USING INDEX}, old
 * names); carry the comment, the column privileges and a serial's sequence over; mark the reorg
 * {@code public}.
 */
@Internal
public final class Cutover {
    private static final Logger LOG = LoggerFactory.getLogger(Cutover.class);

    private Cutover() {}

    /**
     * The command {@code scripts/backfill cutover --job FILE}: the cut-over of a {@code ready}
     * reorg ({@code cutover: manual}). Returns false when it is public already. {@code c} has the
     * catalog's schema in place.
     */
    static boolean command(Connection c, JobSpec spec, ModifyColumnType type)
            throws SQLException, InterruptedException {
        Reorg r = reorg(c, spec, "cut over");
        if (r.state == State.PUBLIC) {
            return false;
        }
        if (r.state != State.READY) {
            throw new TableInfo.TableException(
                    "reorg "
                            + spec.reorgId()
                            + " is "
                            + r.state.value()
                            + "; cutover needs state ready (run the job first:"
                            + " scripts/backfill --job FILE)");
        }
        // The cut-over checks the column's dependents itself, under its lock.
        TableInfo table = TableInfo.load(c, spec.schema(), spec.table());
        ModifyColumnSteps steps = type.resolve(c, spec, table, false);
        ReorgPlan plan = new ReorgPlan(spec, table, steps);
        c.commit();
        return run(c, plan, steps);
    }

    /** The reorg a command ({@code what}: cut over, clean up) is asked for, from the catalog. */
    static Reorg reorg(Connection c, JobSpec spec, String what) throws SQLException {
        Reorg r =
                Catalog.find(c, spec.reorgId())
                        .orElseThrow(
                                () ->
                                        new TableInfo.TableException(
                                                "there is no reorg "
                                                        + spec.reorgId()
                                                        + " in backfill.reorgs to "
                                                        + what));
        c.commit();
        return r;
    }

    /**
     * The finalizer's publish step ({@link ModifyColumnSteps#publish}): with {@code cutover: auto}
     * the cut-over at once, a failure of which fails the reorg (a lost connection aside: the
     * finalizer starts again); with {@code manual}, the reorg waits in {@code ready}.
     */
    static void publish(Finishing f, ModifyColumnSteps steps)
            throws SQLException, InterruptedException {
        if (steps.spec().cutover() == JobSpec.ModifyColumnSpec.Cutover.AUTO) {
            try {
                run(f.connection(), f.plan(), steps);
            } catch (SQLException e) {
                if (SqlErrors.isConnectionError(e)) {
                    throw e;
                }
                // The lock could not be had within the retries, or the swap itself failed: the
                // reorg stays abortable; running the job again retries the cut-over.
                throw f.fail("cut-over failed: " + e.getMessage());
            }
        } else {
            LOG.info(
                    "reorg {} is ready: verified, indexes rebuilt; the write-only trigger keeps"
                            + " {} in step until `scripts/backfill cutover` swaps the columns",
                    f.plan().reorgId(),
                    steps.shadow().shadowName());
        }
    }

    /**
     * Cuts over. Returns false when the reorg was already public. Throws {@link
     * TableInfo.TableException} when the reorg is not {@code ready}, and the last lock timeout when
     * the lock could not be had within the retries.
     */
    static boolean run(Connection c, ReorgPlan plan, ModifyColumnSteps steps)
            throws SQLException, InterruptedException {
        ShadowColumn sc = steps.shadow();
        long timeout = plan.spec().tuning().lockTimeout().toMillis();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            boolean done;
            try {
                done = attempt(c, plan, steps, timeout);
            } catch (TriggerOrder.LaterTriggerException e) {
                throw failForTrigger(c, plan, e);
            }
            if (done) {
                LOG.info(
                        "reorg {}: cut over: {} is {} now; the old column is {} until cleanup",
                        plan.reorgId(),
                        sc.column().name(),
                        sc.type(),
                        sc.oldName());
            }
            return done;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** The cut-over transaction, retried with backoff while the lock cannot be had. */
    private static boolean attempt(
            Connection c, ReorgPlan plan, ModifyColumnSteps steps, long timeout)
            throws SQLException, InterruptedException {
        DdlLockWait wait =
                new DdlLockWait(
                        "cut-over of reorg " + plan.reorgId(),
                        steps.shadow().table().quotedName(),
                        timeout);
        return Retry.defaults()
                .call(
                        "cut-over of reorg "
                                + plan.reorgId()
                                + " (lock_timeout "
                                + timeout
                                + " ms)",
                        () -> {
                            try {
                                boolean d = once(c, plan, steps, wait);
                                c.commit();
                                return d;
                            } catch (SQLException e) {
                                c.rollback();
                                wait.afterFailure(c, e);
                                throw e;
                            } catch (RuntimeException e) {
                                c.rollback();
                                throw e;
                            }
                        });
    }

    /**
     * A BEFORE trigger that fires after the shadow trigger was found under the lock (the cut-over
     * transaction is rolled back). Rows written while it existed may have a stale shadow value,
     * which the verification before {@code ready} could not see, so the reorg is failed ({@link
     * Catalog#fail}, a compare-and-set): running the job again verifies the whole shadow column
     * before it can become ready again. Returns the exception to throw.
     */
    private static TriggerOrder.LaterTriggerException failForTrigger(
            Connection c, ReorgPlan plan, TriggerOrder.LaterTriggerException e)
            throws SQLException, InterruptedException {
        String message =
                e.getMessage()
                        + ". Rows written meanwhile may have a stale new value, so the reorg is"
                        + " failed: after renaming or dropping the trigger, run the job again"
                        + " (scripts/backfill --job FILE), which verifies the new column again, or"
                        + " abort the reorg";
        boolean failed =
                Retry.defaults()
                        .call(
                                "failing reorg " + plan.reorgId(),
                                () -> {
                                    boolean f = Catalog.fail(c, plan.reorgId(), message);
                                    c.commit();
                                    return f;
                                });
        LOG.error("{}", message);
        return new TriggerOrder.LaterTriggerException(
                failed ? message : e.getMessage() + " (the reorg is no longer ready)");
    }

    private static boolean once(
            Connection c, ReorgPlan plan, ModifyColumnSteps steps, DdlLockWait wait)
            throws SQLException {
        ShadowColumn sc = steps.shadow();
        String table = sc.table().quotedName();
        String column = sc.column().name();
        wait.setLocal(c);
        Reorg r = Catalog.lock(c, plan.reorgId());
        if (r.state == State.PUBLIC) {
            return false;
        }
        if (r.state != State.READY) {
            throw new TableInfo.TableException(
                    "reorg "
                            + plan.reorgId()
                            + " is "
                            + r.state.value()
                            + "; the cut-over needs state ready (verified, indexes rebuilt)");
        }
        try (Statement st = c.createStatement()) {
            st.execute(ColumnSql.lockExclusive(sc));
        }
        // Under the lock, nothing can be created on the table any more: check again what was
        // checked before ready (issue #9, defects 6 and 7).
        checkDependents(c, plan, steps);
        TriggerOrder.check(c, sc, "cut-over of reorg " + plan.reorgId());
        String defaultExpr = null;
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.columnDefault())) {
            ps.setString(1, table);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    defaultExpr = rs.getString(1);
                }
            }
        }
        List<String> carry = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.columnCarryOver())) {
            for (int i = 0; i < 3; i++) {
                ps.setString(2 * i + 1, table);
                ps.setString(2 * i + 2, column);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    switch (rs.getString(1)) {
                        case "comment":
                            carry.add(ColumnSql.commentColumn(sc, rs.getString(2)));
                            break;
                        case "grant":
                            carry.add(
                                    ColumnSql.grantColumn(
                                            sc,
                                            rs.getString(2),
                                            rs.getString(3),
                                            rs.getString(4) != null));
                            break;
                        default:
                            carry.add(ColumnSql.ownSequence(sc, rs.getString(2)));
                    }
                }
            }
        }
        List<ShadowIndexes.Planned> indexes = ShadowIndexes.plan(c, sc);
        for (ShadowIndexes.Planned p : indexes) {
            String temp = Identifiers.qualified(sc.table().schema(), p.tempName());
            try (PreparedStatement ps = c.prepareStatement(TableSql.indexValid())) {
                ps.setString(1, temp);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) {
                        throw new TableInfo.TableException(
                                "reorg "
                                        + plan.reorgId()
                                        + ": index "
                                        + p.indexName()
                                        + " has no valid rebuilt index "
                                        + p.tempName()
                                        + " on the new column (was an index added since the"
                                        + " reorg became ready? run the job again to rebuild)");
                    }
                }
            }
        }
        List<String> swap = new ArrayList<>();
        for (ShadowIndexes.Planned p : indexes) {
            swap.addAll(p.dropOld());
        }
        swap.addAll(ColumnSql.swapColumns(sc, defaultExpr));
        for (ShadowIndexes.Planned p : indexes) {
            swap.addAll(p.promote());
        }
        swap.addAll(carry);
        try (Statement st = c.createStatement()) {
            for (String sql : swap) {
                st.execute(sql);
            }
        }
        if (!Catalog.transition(c, plan.reorgId(), List.of(State.READY), State.PUBLIC)) {
            // Cannot happen: the row has been locked since it was read as ready.
            throw new SQLException(
                    "reorg " + plan.reorgId() + " left state ready under the cut-over's row lock");
        }
        return true;
    }

    /**
     * {@link ColumnDependents} again, under the cut-over's lock: a view, CHECK constraint, policy,
     * trigger... created on the old column since the reorg became ready would stay bound to {@code
     * _backfill_old_<column>}, which nothing writes after the cut-over. Refuses naming it; nothing
     * has changed then, the reorg keeps its state.
     */
    private static void checkDependents(Connection c, ReorgPlan plan, ModifyColumnSteps steps)
            throws SQLException {
        ShadowColumn sc = steps.shadow();
        List<String> found = ColumnDependents.find(c, sc.table(), sc.column().name());
        if (!found.isEmpty()) {
            boolean manual = steps.spec().cutover() == JobSpec.ModifyColumnSpec.Cutover.MANUAL;
            throw new TableInfo.TableException(
                    "cut-over of reorg "
                            + plan.reorgId()
                            + " refused: column "
                            + sc.column().name()
                            + " of "
                            + sc.table().displayName()
                            + " is used by "
                            + String.join(", ", found)
                            + ", created since the reorg was prepared; after the cut-over it would"
                            + " stay bound to the old column "
                            + sc.oldName()
                            + ". Nothing was changed. Drop it (recreate it after the cut-over), then "
                            + (manual
                                    ? "run scripts/backfill cutover --job FILE again (the reorg"
                                            + " stays ready)"
                                    : "run the job again")
                            + ", or abort the reorg");
        }
    }
}
