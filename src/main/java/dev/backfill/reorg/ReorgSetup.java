package dev.backfill.reorg;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.Identifiers;
import dev.backfill.db.SingleExpression;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.convert.Converter;
import dev.backfill.op.convert.Converters;
import dev.backfill.op.modifycolumn.ColumnDependents;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.ShadowColumn;

import org.apache.flink.annotation.Internal;

import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Everything the client does before submitting the Flink job: read the catalog, resolve the table
 * against the live schema (failing before any DDL on a bad table, column or key), and either
 * prepare a new reorg or find the one to resume. Used by {@code job.BackfillJob} and the tests.
 */
@Internal
public final class ReorgSetup {
    /** What the client found. */
    public enum Status {
        /** Prepared now: write-only, ready for the backfill. */
        PREPARED,
        /** Already in the catalog and not finished: the job resumes it. */
        RESUMING,
        /** Already public: nothing to do. */
        ALREADY_PUBLIC,
        /** A modify-column, verified and waiting for the cut-over: no backfill to run. */
        READY
    }

    /** The outcome: the plan (null when already public) and the status. */
    public static final class Outcome {
        public final ReorgPlan plan;
        public final Status status;
        public final Reorg existing;

        Outcome(ReorgPlan plan, Status status, Reorg existing) {
            this.plan = plan;
            this.status = status;
            this.existing = existing;
        }
    }

    private ReorgSetup() {}

    /** Sets the reorg up. {@code spec}'s database must be resolved (not {@code embedded}). */
    public static Outcome run(JobSpec spec) throws SQLException, InterruptedException {
        PGSimpleDataSource ds = Connections.dataSource(spec.database(), spec.reorgId());
        try (Connection c = Connections.open(ds)) {
            Catalog.ensureSchema(c);
            c.commit();
            Optional<Reorg> existing = Catalog.find(c, spec.reorgId());
            c.commit();
            if (existing.isPresent() && existing.get().state == State.PUBLIC) {
                return new Outcome(null, Status.ALREADY_PUBLIC, existing.get());
            }
            if (existing.isPresent() && existing.get().state == State.ABORTED) {
                throw new TableInfo.TableException(
                        "reorg "
                                + spec.reorgId()
                                + " was aborted; give this spec another `reorg:` id to run it again");
            }
            ReorgPlan plan = resolve(c, spec);
            c.commit();
            Outcome out;
            if (existing.isPresent() && existing.get().state == State.READY) {
                Prepare.checkSameDefinition(existing.get(), plan);
                return new Outcome(plan, Status.READY, existing.get());
            }
            if (existing.isPresent()) {
                Prepare.checkSameDefinition(existing.get(), plan);
                // Fail early, on the client, when a job is running this reorg right now (its
                // enumerator holds the runner lock, which remains the real guard).
                if (!Catalog.tryLockRunner(c, spec.reorgId())) {
                    throw new TableInfo.TableException(
                            "reorg "
                                    + spec.reorgId()
                                    + " is already being run by another job (runner lock held by "
                                    + Catalog.runnerLockHolder(c, spec.reorgId())
                                    + ")");
                }
                Catalog.unlockRunner(c, spec.reorgId());
                out = new Outcome(plan, Status.RESUMING, existing.get());
            } else {
                Prepare.run(c, plan);
                out = new Outcome(plan, Status.PREPARED, null);
            }
            // Each run starts with the spec's knobs; UPDATEs of backfill.reorgs change them live.
            Catalog.setKnobs(
                    c, spec.reorgId(), spec.tuning().maxRowsPerSecond(), spec.tuning().batchSize());
            Catalog.setThrottleKnobs(c, spec.reorgId(), spec.tuning().throttle());
            c.commit();
            return out;
        }
    }

    /** Resolves the spec against the live schema; changes nothing. */
    public static ReorgPlan resolve(Connection c, JobSpec spec) throws SQLException {
        return resolve(c, spec, true);
    }

    /**
     * {@link #resolve(Connection, JobSpec)}; without {@code checkDependents} a modify-column's
     * {@link ColumnDependents} are not checked here: for the cut-over, which checks them under its
     * own lock and refuses with its own message.
     */
    public static ReorgPlan resolve(Connection c, JobSpec spec, boolean checkDependents)
            throws SQLException {
        TableInfo table = TableInfo.load(c, spec.schema(), spec.table());
        if (spec.operation() == JobSpec.Operation.MODIFY_COLUMN) {
            return resolveModifyColumn(c, spec, table, checkDependents);
        }
        IndexTable index =
                IndexTable.resolve(
                        table,
                        spec.addIndex().name(),
                        spec.addIndex().columns(),
                        spec.addIndex().unique(),
                        spec.reorgId());
        for (TableInfo.Column column : index.indexed()) {
            checkOrderable(c, table, column);
        }
        return new ReorgPlan(spec, table, index);
    }

    /**
     * Refuses, naming the column and its type, an indexed column whose type has no B-tree ordering
     * (json, xml...): PostgreSQL cannot index it, and its error would name neither the column nor
     * the spec's field. Changes nothing.
     */
    private static void checkOrderable(Connection c, TableInfo table, TableInfo.Column column)
            throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement(IndexSql.orderProbe(table.quotedName(), column.name()))) {
            ps.executeQuery().close();
        } catch (SQLException e) {
            if (!SqlErrors.isUndefinedFunction(e)) {
                throw e;
            }
            c.rollback();
            throw new TableInfo.TableException(
                    "add-index.columns: column "
                            + column.name()
                            + " of table "
                            + table.displayName()
                            + " has type "
                            + column.type()
                            + ", which has no B-tree ordering (no default btree operator class);"
                            + " it cannot be indexed");
        }
    }

    /**
     * A modify-column against the live schema: the column exists and is an ordinary column, the new
     * type is a type, the converter (if any) accepts the type and options, and nothing that depends
     * on the column blocks an online change ({@link ColumnDependents}). Changes nothing.
     */
    private static ReorgPlan resolveModifyColumn(
            Connection c, JobSpec spec, TableInfo table, boolean checkDependents)
            throws SQLException {
        JobSpec.ModifyColumnSpec m = spec.modifyColumn();
        TableInfo.Column column =
                table.column(m.column())
                        .orElseThrow(
                                () ->
                                        new TableInfo.TableException(
                                                "modify-column.column: column "
                                                        + m.column()
                                                        + " does not exist in table "
                                                        + table.displayName()
                                                        + "; its columns are "
                                                        + table.columns().stream()
                                                                .map(TableInfo.Column::name)
                                                                .toList()));
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.columnKind())) {
            ps.setString(1, table.quotedName());
            ps.setString(2, column.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getString(1) != null) {
                    throw new TableInfo.TableException(
                            "modify-column.column: column "
                                    + column.name()
                                    + " of "
                                    + table.displayName()
                                    + " is "
                                    + rs.getString(1)
                                    + "; changing it online is future work");
                }
            }
        }
        // From here on only the server's spelling of the type goes into SQL.
        String type = ShadowColumn.resolveType(c, m.type(), "modify-column.type");
        Converter converter = null;
        String using = m.using();
        if (m.converter() != null) {
            try {
                converter = Converters.create(m.converter(), type, m.converterOptions());
                using = converter.sqlUsing(Identifiers.quote(column.name()));
            } catch (IllegalArgumentException e) {
                throw new TableInfo.TableException("modify-column.converter: " + e.getMessage());
            }
        }
        String usingProblem = m.using() == null ? null : SingleExpression.problem(m.using());
        if (usingProblem != null) {
            throw new TableInfo.TableException(
                    "modify-column.using: '" + m.using() + "' " + usingProblem);
        }
        ShadowColumn shadow;
        try {
            shadow = new ShadowColumn(table, column, type, using, spec.reorgId());
        } catch (IllegalArgumentException e) {
            throw new TableInfo.TableException("modify-column: " + e.getMessage());
        }
        if (checkDependents) {
            ColumnDependents.check(c, table, column.name());
        }
        return new ReorgPlan(spec, table, shadow, converter);
    }
}
