package dev.backfill.op.addindex;

import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.op.AddIndex;
import dev.backfill.op.Operation;
import dev.backfill.op.ReorgSteps;
import dev.backfill.op.WritePath;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The add-index steps: the index table, its tombstones where the write-only sink can use them, the
 * triggers that keep it exact, and on a partitioned table the guards that keep a global index exact
 * under partition DDL.
 */
@Internal
public final class AddIndexSteps implements ReorgSteps {
    private final IndexTable index;

    public AddIndexSteps(IndexTable index) {
        this.index = index;
    }

    @Override
    public Operation operation() {
        return new AddIndex(index.name(), index.indexedNames());
    }

    /** {@link WritePath#ROWS}: the entries are the rows' values. */
    @Override
    public WritePath writePath() {
        return WritePath.ROWS;
    }

    @Override
    public String target() {
        return index.displayName();
    }

    @Override
    public String definition() {
        return index.name() + "\n" + index.indexedNames() + "\n" + index.unique();
    }

    @Override
    public void checkTargetFree(Connection c) throws SQLException {
        if (TableInfo.relationExists(c, index.quotedName())) {
            throw new TableInfo.TableException(
                    "cannot create index table "
                            + index.displayName()
                            + ": a relation of that name already exists");
        }
    }

    /** Only {@link #checkTargetFree}: what else prepare refuses, it finds in its DDL. */
    @Override
    public void checkPrepare(Connection c) throws SQLException {
        checkTargetFree(c);
    }

    @Override
    public void createTarget(Connection c) throws SQLException {
        checkTargetFree(c);
        try (Statement st = c.createStatement()) {
            for (String sql : IndexSql.createIndexTable(index)) {
                st.execute(sql);
            }
            // The write-only sink's tombstones (Tombstones), unless the table cannot have them.
            boolean tombstones = index.writeOnlyEligible();
            if (tombstones) {
                for (String sql : IndexSql.addTombstones(index)) {
                    st.execute(sql);
                }
            }
            for (String sql : IndexSql.createTriggers(index, tombstones)) {
                st.execute(sql);
            }
            for (String sql : IndexSql.enableAlwaysTriggers(index)) {
                st.execute(sql);
            }
            if (index.table().partitioned()) {
                createPartitionGuards(st);
            }
        }
    }

    /**
     * The leaf TRUNCATE triggers and the event triggers that keep a global index exact under
     * partition DDL ({@link IndexSql#createPartitionGuards}). Event triggers need a superuser;
     * without them ATTACH, DETACH and DROP of a partition would silently bypass the index, so
     * prepare refuses the table instead.
     */
    private void createPartitionGuards(Statement st) throws SQLException {
        for (String sql : IndexSql.createPartitionGuards(index)) {
            try {
                st.execute(sql);
            } catch (SQLException e) {
                if (SqlErrors.isInsufficientPrivilege(e)
                        && sql.startsWith("CREATE EVENT TRIGGER")) {
                    throw new TableInfo.TableException(
                            "add-index on the partitioned table "
                                    + index.table().displayName()
                                    + " needs a superuser: it creates event triggers ("
                                    + index.ddlEventTrigger()
                                    + ", "
                                    + index.dropEventTrigger()
                                    + ") that keep the global index "
                                    + index.displayName()
                                    + " exact under ATTACH, DETACH and DROP of partitions, and"
                                    + " PostgreSQL lets only superusers create them ("
                                    + e.getMessage()
                                    + "); run the reorg as a superuser");
                }
                throw e;
            }
        }
    }
}
