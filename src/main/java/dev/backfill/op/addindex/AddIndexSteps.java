package dev.backfill.op.addindex;

import dev.backfill.db.Catalog;
import dev.backfill.db.Retry;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.op.BatchWriter;
import dev.backfill.op.Finishing;
import dev.backfill.op.Operation;
import dev.backfill.op.PrepareStatements;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.ReorgSteps;
import dev.backfill.op.Verification;
import dev.backfill.op.WritePath;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

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
                if (SqlErrors.isInsufficientPrivilege(e) && IndexSql.createsEventTrigger(sql)) {
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

    // --- writer ---

    /** The index entries' writer ({@link IndexEntryWriter}). */
    @Override
    public BatchWriter batchWriter() {
        return new IndexEntryWriter(index);
    }

    // --- cli ---
    private static final long serialVersionUID = 1L;

    /** The index table the reorg builds. */
    public IndexTable index() {
        return index;
    }

    @Override
    public String describePrepared() {
        return "created " + index.displayName() + " and its triggers";
    }

    @Override
    public String describePublic(long rowsVerified, String jobFile) {
        return "verified: every one of "
                + rowsVerified
                + " rows has its entry in "
                + index.displayName()
                + " and no entry lacks its row";
    }

    /** Never: an add-index is public once verified, without a cut-over. */
    @Override
    public String describeCutOver(String jobFile) {
        throw noCutover();
    }

    /** Never: an add-index is public once verified, without a cut-over. */
    @Override
    public String describeReady(String jobFile) {
        throw noCutover();
    }

    /** Never: an add-index is public once verified, without a cut-over. */
    @Override
    public boolean cutOver(Connection c, ReorgPlan plan) {
        throw noCutover();
    }

    private IllegalStateException noCutover() {
        return new IllegalStateException(
                "add-index "
                        + index.displayName()
                        + " has no cut-over: it is public once verified");
    }

    /** What {@link #createTarget} runs, in its order. */
    @Override
    public PrepareStatements prepareStatements() {
        List<String> ddl = new ArrayList<>(IndexSql.createIndexTable(index));
        boolean tombstones = index.writeOnlyEligible();
        if (tombstones) {
            ddl.addAll(IndexSql.addTombstones(index));
        }
        return new PrepareStatements(
                "SHARE ROW EXCLUSIVE on "
                        + index.table().displayName()
                        + " for the CREATE TRIGGERs",
                ddl,
                IndexSql.createTriggers(index, tombstones),
                IndexSql.enableAlwaysTriggers(index),
                index.table().partitioned() ? IndexSql.createPartitionGuards(index) : List.of());
    }

    // --- final ---

    /** {@code public}: the index table is published by the finalizer's own move. */
    @Override
    public Catalog.State verifiedState() {
        return Catalog.State.PUBLIC;
    }

    /**
     * An index table built by the write-only sink ({@link Tombstones}): its deleting triggers back
     * now, so that after the wait for older transactions no write can leave a tombstone; after the
     * wait, its tombstones purged and its marker dropped.
     */
    @Override
    public Finishing.Step beforeVerifying(Finishing f) throws SQLException, InterruptedException {
        Connection c = f.connection();
        Retry retry = f.retry();
        String reorgId = f.plan().reorgId();
        boolean tombstones =
                retry.call(
                        "reading the index table of reorg " + reorgId,
                        () -> {
                            boolean p = Tombstones.present(c, index);
                            c.commit();
                            return p;
                        });
        if (!tombstones) {
            return () -> {};
        }
        boolean switched =
                retry.call(
                        "switching the triggers of reorg " + reorgId,
                        () -> Tombstones.switchTriggers(c, index));
        if (!switched) {
            throw f.stoppedNow();
        }
        return () -> {
            retry.call(
                    "purging the tombstones of reorg " + reorgId, () -> Tombstones.purge(c, index));
            if (!Tombstones.dropMarker(
                    c, index, f.plan().spec().tuning().lockTimeout().toMillis(), retry)) {
                throw f.stoppedNow();
            }
        };
    }

    @Override
    public String verifying() {
        return index.displayName() + " against " + index.table().displayName();
    }

    @Override
    public Verification.Result verify(
            DataSource ds, int workers, RowRateLimiter pace, Connection c, long chunkRows)
            throws SQLException {
        return IndexVerifier.verify(ds, workers, pace, c, index, chunkRows);
    }

    @Override
    public long repair(
            Connection c,
            List<Verification.Range> ranges,
            String reorgId,
            Verification.RepairListener listener)
            throws SQLException {
        return IndexVerifier.repair(c, index, ranges, reorgId, listener);
    }

    @Override
    public String repairUnit() {
        return "entries";
    }

    /** The last result, as the reorg is published. */
    @Override
    public boolean logsFirstResult() {
        return false;
    }

    /**
     * A difference left after the repair fails the reorg with the result (counts and first keys),
     * recorded as the publishing step's outcome.
     */
    @Override
    public void afterVerification(Finishing f, Verification.Result result)
            throws SQLException, InterruptedException {
        if (result.ok()) {
            return;
        }
        Connection c = f.connection();
        String reorgId = f.plan().reorgId();
        boolean failed =
                f.retry()
                        .call(
                                "publishing reorg " + reorgId,
                                () -> {
                                    boolean ok = Catalog.fail(c, reorgId, result.toString());
                                    c.commit();
                                    return ok;
                                });
        if (!failed) {
            throw f.stoppedNow();
        }
        throw new ReorgFailedException("reorg " + reorgId + " " + result);
    }

    /** Nothing: the move to {@code public} published the index table. */
    @Override
    public void publish(Finishing f) {}
}
