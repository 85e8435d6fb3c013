package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Retry;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.model.JobSpec;
import dev.backfill.op.Operations;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.Cutover;
import dev.backfill.op.modifycolumn.ShadowColumn;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The modify-column commands after the backfill: {@code scripts/backfill cutover --job FILE} (a
 * reorg with {@code cutover: manual}, waiting in state {@code ready}) and {@code scripts/backfill
 * cleanup --job FILE} (drops {@code _backfill_old_<column>} once the reorg is {@code public}).
 */
@Internal
public final class ColumnCommands {
    private ColumnCommands() {}

    /** What a command did, for the client's message. */
    public enum Outcome {
        DONE,
        NOTHING_TO_DO
    }

    /**
     * Runs the cut-over of a {@code ready} modify-column reorg ({@link Cutover}). Returns
     * NOTHING_TO_DO when it is public already. {@code spec}'s database must be resolved.
     */
    public static Outcome cutover(JobSpec spec) throws SQLException, InterruptedException {
        try (Connection c = open(spec)) {
            Reorg r = reorg(c, spec, "cut over");
            if (r.state == State.PUBLIC) {
                return Outcome.NOTHING_TO_DO;
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
            ReorgPlan plan = ReorgSetup.resolve(c, spec, false);
            c.commit();
            return Cutover.run(c, plan) ? Outcome.DONE : Outcome.NOTHING_TO_DO;
        }
    }

    /**
     * Drops the old column kept by the cut-over, in one short transaction under {@code
     * lock_timeout} (retried). Returns NOTHING_TO_DO when it is gone already.
     */
    public static Outcome cleanup(JobSpec spec) throws SQLException, InterruptedException {
        try (Connection c = open(spec)) {
            Reorg r = reorg(c, spec, "clean up");
            if (r.state != State.PUBLIC) {
                throw new TableInfo.TableException(
                        "reorg "
                                + spec.reorgId()
                                + " is "
                                + r.state.value()
                                + "; cleanup drops the old column after the cut-over, when the"
                                + " reorg is public");
            }
            TableInfo table = TableInfo.load(c, spec.schema(), spec.table());
            JobSpec.ModifyColumnSpec m = spec.modifyColumn();
            ShadowColumn sc =
                    ShadowColumn.resolve(table, m.column(), m.type(), null, spec.reorgId());
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement(TableSql.columnExists())) {
                ps.setString(1, table.quotedName());
                ps.setString(2, sc.oldName());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            c.commit();
            if (!exists) {
                return Outcome.NOTHING_TO_DO;
            }
            long timeout = spec.tuning().lockTimeout().toMillis();
            DdlLockWait wait =
                    new DdlLockWait(
                            "dropping column " + sc.oldName() + " of " + table.displayName(),
                            table.quotedName(),
                            timeout);
            Retry.defaults()
                    .call(
                            "dropping column "
                                    + sc.oldName()
                                    + " of "
                                    + table.displayName()
                                    + " (lock_timeout "
                                    + timeout
                                    + " ms)",
                            () -> {
                                try (Statement st = c.createStatement()) {
                                    wait.setLocal(c);
                                    // Still public, under the row lock, in the drop's transaction.
                                    State now = Catalog.lock(c, spec.reorgId()).state;
                                    if (now != State.PUBLIC) {
                                        throw new TableInfo.TableException(
                                                "reorg "
                                                        + spec.reorgId()
                                                        + " is "
                                                        + now.value()
                                                        + "; cleanup needs state public");
                                    }
                                    st.execute(ColumnSql.dropOldColumn(sc));
                                    c.commit();
                                    return null;
                                } catch (SQLException e) {
                                    c.rollback();
                                    wait.afterFailure(c, e);
                                    throw e;
                                }
                            });
            return Outcome.DONE;
        }
    }

    private static Connection open(JobSpec spec) throws SQLException {
        Connection c = Connections.open(Connections.dataSource(spec.database(), spec.reorgId()));
        try {
            Catalog.ensureSchema(c);
            c.commit();
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    private static Reorg reorg(Connection c, JobSpec spec, String what) throws SQLException {
        if (!Operations.of(spec).hasCutover()) {
            throw new TableInfo.TableException(
                    "only a modify-column reorg can be asked to "
                            + what
                            + "; reorg "
                            + spec.reorgId()
                            + " is "
                            + spec.operation().key());
        }
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
}
