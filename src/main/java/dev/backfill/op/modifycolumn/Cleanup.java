package dev.backfill.op.modifycolumn;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Retry;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.model.JobSpec;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The command {@code scripts/backfill cleanup --job FILE}: drops {@code _backfill_old_<column>},
 * kept by the {@link Cutover}, once the reorg is {@code public}.
 */
@Internal
final class Cleanup {
    private Cleanup() {}

    /**
     * Drops the old column kept by the cut-over, in one short transaction under {@code
     * lock_timeout} (retried). Returns false when it is gone already. {@code c} has the catalog's
     * schema in place.
     */
    static boolean run(Connection c, JobSpec spec) throws SQLException, InterruptedException {
        Reorg r = Cutover.reorg(c, spec, "clean up");
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
        JobSpec.ModifyColumnSpec m = ModifyColumnType.part(spec);
        ShadowColumn sc = ShadowColumn.resolve(table, m.column(), m.type(), null, spec.reorgId());
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
            return false;
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
        return true;
    }
}
