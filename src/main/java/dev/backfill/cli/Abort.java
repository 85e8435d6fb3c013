package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Identifiers;
import dev.backfill.db.Retry;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.ShadowColumn;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * {@code scripts/backfill abort --job FILE}: rolls a reorg back in any state before {@code public},
 * {@code failed} and {@code ready} included, like TiDB's rollback of a cancelled DDL job. It first
 * wins the state: a compare-and-set to {@code aborted} under the reorg's row lock ({@link
 * Catalog#abort}), which the finalizer's publish and the cut-over take too, so that exactly one of
 * them wins; when the reorg turned public first, abort drops nothing and says so. A running Flink
 * job sees {@code aborted} and stops within seconds. Then abort drops what the reorg added in one
 * short DDL transaction under {@code lock_timeout} (retried): for add-index the event triggers and
 * leaf TRUNCATE triggers of a partitioned table first (so that the other drops do not set them
 * off), then the triggers, their functions and the index table; for modify-column the trigger, its
 * function, the NOT NULL check and the shadow column with the indexes rebuilt on it. Then it
 * removes the reorg's split rows. Afterwards the table's definition and data are exactly as before
 * the reorg. The reorg's catalog row stays, {@code aborted}, as a record.
 */
@Internal
public final class Abort {
    private static final Logger LOG = LoggerFactory.getLogger(Abort.class);

    /** What abort found and did. */
    public enum Outcome {
        ABORTED,
        ALREADY_ABORTED
    }

    private Abort() {}

    /**
     * Aborts the spec's reorg. {@code spec}'s database must be resolved. Throws {@link
     * TableInfo.TableException} (bad input) when the reorg does not exist or is public.
     */
    public static Outcome run(JobSpec spec) throws SQLException, InterruptedException {
        Retry retry = Retry.defaults();
        try (Connection c =
                Connections.open(Connections.dataSource(spec.database(), spec.reorgId()))) {
            Catalog.ensureSchema(c);
            c.commit();
            Reorg r = Catalog.find(c, spec.reorgId()).orElse(null);
            c.commit();
            if (r == null) {
                throw new TableInfo.TableException(
                        "there is no reorg " + spec.reorgId() + " in backfill.reorgs to abort");
            }
            if (r.state == State.PUBLIC) {
                throw publicRefused(spec, "is public");
            }
            // Win the state first: a compare-and-set under the reorg's row lock, which a publish
            // or a cut-over holds too. Only after winning does abort drop anything.
            Catalog.AbortResult won =
                    retry.call(
                            "marking reorg " + spec.reorgId() + " aborted",
                            () -> {
                                try {
                                    Catalog.AbortResult a = Catalog.abort(c, spec.reorgId());
                                    c.commit();
                                    return a;
                                } catch (SQLException | RuntimeException e) {
                                    c.rollback();
                                    throw e;
                                }
                            });
            if (!won.won && won.found == State.PUBLIC) {
                LOG.warn(
                        "reorg {} became public before abort could take it; abort dropped nothing",
                        spec.reorgId());
                throw publicRefused(
                        spec,
                        "became public (published or cut over) before abort could take it, so"
                                + " abort dropped nothing");
            }
            boolean already = !won.won;
            List<String> drops = dropStatements(c, spec);
            c.commit();
            DdlLockWait wait =
                    new DdlLockWait(
                            "dropping the triggers and the index table of reorg " + spec.reorgId(),
                            spec.schema() == null
                                    ? Identifiers.quote(spec.table())
                                    : Identifiers.qualified(spec.schema(), spec.table()),
                            spec.tuning().lockTimeout().toMillis());
            retry.call(
                    "dropping the triggers and the index table of reorg "
                            + spec.reorgId()
                            + " (lock_timeout "
                            + spec.tuning().lockTimeout().toMillis()
                            + " ms)",
                    () -> {
                        try (Statement st = c.createStatement()) {
                            wait.setLocal(c);
                            for (String sql : drops) {
                                st.execute(sql);
                            }
                            Catalog.deleteProgress(c, spec.reorgId());
                            c.commit();
                            return null;
                        } catch (SQLException e) {
                            c.rollback();
                            wait.afterFailure(c, e);
                            throw e;
                        }
                    });
            LOG.info("reorg {} aborted (was {})", spec.reorgId(), won.found.value());
            return already ? Outcome.ALREADY_ABORTED : Outcome.ABORTED;
        }
    }

    /** The refusal of a public reorg; {@code what} says how it is public. */
    private static TableInfo.TableException publicRefused(JobSpec spec, String what) {
        return new TableInfo.TableException(
                "reorg "
                        + spec.reorgId()
                        + " "
                        + what
                        + "; abort works only before public"
                        + (spec.operation() == JobSpec.Operation.MODIFY_COLUMN
                                ? " (the old column stays as _backfill_old_"
                                        + spec.modifyColumn().column()
                                        + " until scripts/backfill cleanup)"
                                : " (drop the index table yourself if you no longer want it)"));
    }

    /** The drops; when the table itself is gone, only what does not hang off it. */
    private static List<String> dropStatements(Connection c, JobSpec spec) throws SQLException {
        if (spec.operation() == JobSpec.Operation.MODIFY_COLUMN) {
            return dropShadowStatements(c, spec);
        }
        TableInfo table;
        try {
            table = TableInfo.load(c, spec.schema(), spec.table());
        } catch (TableInfo.TableException e) {
            LOG.warn(
                    "reorg {}: {}; dropping only what does not hang off it",
                    spec.reorgId(),
                    e.getMessage());
            table = null;
        }
        if (table != null) {
            IndexTable index =
                    IndexTable.resolve(
                            table,
                            spec.addIndex().name(),
                            List.of(),
                            spec.addIndex().unique(),
                            spec.reorgId());
            return concat(IndexSql.dropPartitionGuards(spec.reorgId()), IndexSql.dropAll(index));
        }
        return concat(
                IndexSql.dropPartitionGuards(spec.reorgId()),
                IndexSql.dropDetached(spec.schema(), spec.addIndex().name(), spec.reorgId()));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * A modify-column's drops: the trigger, its function, the NOT NULL check and the shadow column
     * (which takes the indexes rebuilt on it along). When the table is gone, only the function.
     */
    private static List<String> dropShadowStatements(Connection c, JobSpec spec)
            throws SQLException {
        JobSpec.ModifyColumnSpec m = spec.modifyColumn();
        TableInfo table;
        try {
            table = TableInfo.load(c, spec.schema(), spec.table());
        } catch (TableInfo.TableException e) {
            LOG.warn(
                    "reorg {}: {}; dropping only the trigger function",
                    spec.reorgId(),
                    e.getMessage());
            return List.of(ColumnSql.dropShadowFunction(spec.reorgId()));
        }
        TableInfo.Column column =
                table.column(m.column())
                        .orElse(new TableInfo.Column(m.column(), m.type(), false, false));
        try {
            return ColumnSql.dropShadow(
                    new ShadowColumn(table, column, m.type(), null, spec.reorgId()));
        } catch (IllegalArgumentException e) {
            throw new TableInfo.TableException(e.getMessage());
        }
    }
}
