package dev.backfill.op.addindex;

import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.OperationType;
import dev.backfill.op.ReorgSteps;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The add-index operation in the registry: resolves the spec's index table against the live table
 * (every indexed column orderable), and drops it from the spec alone for abort.
 */
@Internal
public final class AddIndexType implements OperationType {
    private static final Logger LOG = LoggerFactory.getLogger(AddIndexType.class);

    /**
     * The spec's add-index part. {@code spec} must be an add-index spec ({@link
     * JobSpec.Operation#ADD_INDEX}).
     */
    static JobSpec.AddIndexSpec part(JobSpec spec) {
        if (spec.operationSpec() instanceof JobSpec.AddIndexSpec a) {
            return a;
        }
        throw new IllegalArgumentException(
                "reorg " + spec.reorgId() + " is " + spec.operation().key() + ", not add-index");
    }

    @Override
    public ReorgSteps resolve(Connection c, JobSpec spec, TableInfo table, boolean checkDependents)
            throws SQLException {
        IndexTable index =
                IndexTable.resolve(
                        table,
                        part(spec).name(),
                        part(spec).columns(),
                        part(spec).unique(),
                        spec.reorgId());
        for (TableInfo.Column column : index.indexed()) {
            checkOrderable(c, table, column);
        }
        return new AddIndexSteps(index);
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
     * The partition guards (event triggers first), then the triggers, their functions and the index
     * table; when the table itself is gone, only what does not hang off it.
     */
    @Override
    public List<String> dropStatements(Connection c, JobSpec spec) throws SQLException {
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
                            part(spec).name(),
                            List.of(),
                            part(spec).unique(),
                            spec.reorgId());
            return concat(IndexSql.dropPartitionGuards(spec.reorgId()), IndexSql.dropAll(index));
        }
        return concat(
                IndexSql.dropPartitionGuards(spec.reorgId()),
                IndexSql.dropDetached(spec.schema(), part(spec).name(), spec.reorgId()));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Override
    public String describeDropped(JobSpec spec) {
        return "its triggers and " + spec.tableName().replaceAll("[^.]*$", "") + part(spec).name();
    }

    @Override
    public String describeKeptAfterPublic(JobSpec spec) {
        return " (drop the index table yourself if you no longer want it)";
    }

    /** No: the entries go into the index table; the table's rows are only read. */
    @Override
    public boolean updatesRowsInPlace() {
        return false;
    }

    /** Refuses: an index table is public once verified, with no cut-over. */
    @Override
    public boolean cutover(Connection c, JobSpec spec) throws SQLException {
        throw noCutover(spec, "cut over");
    }

    @Override
    public String describeCutoverCommand(JobSpec spec) {
        throw new IllegalStateException("add-index has no cut-over");
    }

    /** Refuses: an add-index keeps nothing for a cleanup. */
    @Override
    public boolean cleanup(Connection c, JobSpec spec) throws SQLException {
        throw noCutover(spec, "clean up");
    }

    @Override
    public String describeCleanup(JobSpec spec, boolean dropped) {
        throw new IllegalStateException("add-index has no cleanup");
    }

    @Override
    public boolean cutsOverAutomatically(JobSpec spec) {
        return false;
    }

    private static TableInfo.TableException noCutover(JobSpec spec, String what) {
        return new TableInfo.TableException(
                "only a modify-column reorg can be asked to "
                        + what
                        + "; reorg "
                        + spec.reorgId()
                        + " is "
                        + spec.operation().key());
    }
}
