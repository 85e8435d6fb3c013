package dev.backfill.op.modifycolumn;

import dev.backfill.db.Identifiers;
import dev.backfill.db.SingleExpression;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.OperationType;
import dev.backfill.op.convert.Converter;
import dev.backfill.op.convert.Converters;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The modify-column operation in the registry: resolves the spec's shadow column (and converter)
 * against the live table, and drops it from the spec alone for abort.
 */
@Internal
public final class ModifyColumnType implements OperationType {
    private static final Logger LOG = LoggerFactory.getLogger(ModifyColumnType.class);

    /**
     * The spec's modify-column part. {@code spec} must be a modify-column spec ({@link
     * JobSpec.Operation#MODIFY_COLUMN}).
     */
    static JobSpec.ModifyColumnSpec part(JobSpec spec) {
        if (spec.operationSpec() instanceof JobSpec.ModifyColumnSpec m) {
            return m;
        }
        throw new IllegalArgumentException(
                "reorg "
                        + spec.reorgId()
                        + " is "
                        + spec.operation().key()
                        + ", not modify-column");
    }

    /**
     * A modify-column against the live schema: the column exists and is an ordinary column, the new
     * type is a type, the converter (if any) accepts the type and options, and nothing that depends
     * on the column blocks an online change ({@link ColumnDependents}). Changes nothing.
     */
    @Override
    public ModifyColumnSteps resolve(
            Connection c, JobSpec spec, TableInfo table, boolean checkDependents)
            throws SQLException {
        JobSpec.ModifyColumnSpec m = part(spec);
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
        return new ModifyColumnSteps(spec.reorgId(), m, shadow, converter);
    }

    /**
     * The trigger, its function, the NOT NULL check and the shadow column (which takes the indexes
     * rebuilt on it along). When the table is gone, only the function.
     */
    @Override
    public List<String> dropStatements(Connection c, JobSpec spec) throws SQLException {
        JobSpec.ModifyColumnSpec m = part(spec);
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

    @Override
    public String describeDropped(JobSpec spec) {
        return "its trigger and the shadow column of " + part(spec).column();
    }

    @Override
    public String describeKeptAfterPublic(JobSpec spec) {
        return " (the old column stays as _backfill_old_"
                + part(spec).column()
                + " until scripts/backfill cleanup)";
    }

    /** Yes: the backfill writes the shadow column of every row. */
    @Override
    public boolean updatesRowsInPlace() {
        return true;
    }

    /** The cut-over of a {@code ready} reorg ({@link Cutover}). */
    @Override
    public boolean cutover(Connection c, JobSpec spec) throws SQLException, InterruptedException {
        return Cutover.command(c, spec, this);
    }

    @Override
    public String describeCutoverCommand(JobSpec spec) {
        JobSpec.ModifyColumnSpec m = part(spec);
        return spec.tableName()
                + "."
                + m.column()
                + " is "
                + m.type()
                + " now; the old column is kept as _backfill_old_"
                + m.column()
                + " until scripts/backfill cleanup";
    }

    /** Drops the old column kept by the cut-over ({@link Cleanup}). */
    @Override
    public boolean cleanup(Connection c, JobSpec spec) throws SQLException, InterruptedException {
        return Cleanup.run(c, spec);
    }

    @Override
    public String describeCleanup(JobSpec spec, boolean dropped) {
        String column = part(spec).column();
        return dropped
                ? "dropped _backfill_old_"
                        + column
                        + " (its space is reclaimed as rows are rewritten; VACUUM"
                        + " FULL or pg_repack reclaims it at once)"
                : "_backfill_old_" + column + " is already gone; nothing to do";
    }

    @Override
    public boolean cutsOverAutomatically(JobSpec spec) {
        return part(spec).cutover() == JobSpec.ModifyColumnSpec.Cutover.AUTO;
    }
}
