package dev.backfill.op.addindex;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Retry;
import dev.backfill.model.Failpoints;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The write-only add-index sink's tombstones (issue #10): whether an index table has the marker,
 * and the finalizer's steps that leave it as the locking path would have built it. While the
 * backfill runs, the triggers never remove an entry's tuple: a DELETE or the old key of a re-key
 * upserts a tombstone (key, NULL values, marker true), so a batch insert with {@code ON CONFLICT
 * (key) DO NOTHING} and no re-read is exact ({@link IndexSql#addIndexBatchWriteOnly}). After the
 * last batch the finalizer runs, in order:
 *
 * <ol>
 *   <li>{@link #switchTriggers}: the trigger functions become today's deleting form ({@code CREATE
 *       OR REPLACE}, no table lock);
 *   <li>the wait for older transactions ({@code Finalizer.startVerifying}): no write that could
 *       still run the tombstone form is left;
 *   <li>{@link #purge}: tombstones deleted in short transactions of {@link #PURGE_BATCH};
 *   <li>{@link #dropMarker}: the revive trigger and the marker column dropped, under {@code
 *       lock_timeout} and {@link DdlLockWait}.
 * </ol>
 *
 * Each step is idempotent and the state is derivable from the table: the marker column is there
 * until the last step, so a finalizer that restarts anywhere in the sequence runs it again from the
 * switch; once the column is gone, there is nothing left to do. An index table prepared before this
 * change has no marker: its batches lock and its finalizer skips all of this.
 */
@Internal
public final class Tombstones {
    private static final Logger LOG = LoggerFactory.getLogger(Tombstones.class);

    /** Tombstones deleted per purge transaction. */
    public static final int PURGE_BATCH = 1000;

    /** Test-only failpoint: after each purge transaction committed. */
    public static final String PURGE_STEP = "tombstones.purge-step";

    private Tombstones() {}

    /** Whether the index table exists and has the marker column (the write-only form). */
    public static boolean present(Connection c, IndexTable index) throws SQLException {
        if (!index.writeOnlyEligible()) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement(IndexSql.tombstoneColumnExists())) {
            ps.setString(1, index.quotedName());
            ps.setString(2, IndexTable.TOMBSTONE);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Whether the reorg may still go on: locks its catalog row until the transaction ends, as the
     * cut-over and abort do, so that an abort (which drops the same functions and table) runs
     * either wholly before or wholly after this step's DDL, never interleaved with it (concurrent
     * DDL on one function fails with "tuple concurrently updated"). False when it was aborted or
     * failed meanwhile; the transaction is then rolled back.
     */
    private static boolean stillRunning(Connection c, IndexTable index) throws SQLException {
        Catalog.Reorg r = Catalog.lock(c, index.reorgId());
        if (r.state.stopped()) {
            c.rollback();
            return false;
        }
        return true;
    }

    /**
     * Step 1: the deleting trigger functions, in one transaction under the reorg row's lock.
     * Returns false (and changes nothing) when the reorg was aborted or failed meanwhile.
     */
    public static boolean switchTriggers(Connection c, IndexTable index) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (!stillRunning(c, index)) {
                return false;
            }
            for (String sql : IndexSql.switchToDeletingTriggers(index)) {
                st.execute(sql);
            }
            c.commit();
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
        LOG.info(
                "reorg {}: triggers switched to the deleting form; tombstones are purged next",
                index.reorgId());
        return true;
    }

    /**
     * Step 3: deletes every tombstone, {@link #PURGE_BATCH} a transaction, until none is left.
     * Returns the number deleted. Run only after the switch and the wait for older transactions, so
     * no new tombstone appears meanwhile; a tombstone that a concurrent write revives is skipped
     * (see {@link IndexSql#purgeTombstones}).
     */
    public static long purge(Connection c, IndexTable index) throws SQLException {
        long total = 0;
        String delete = IndexSql.purgeTombstones(index, PURGE_BATCH);
        try (PreparedStatement del = c.prepareStatement(delete);
                PreparedStatement any = c.prepareStatement(IndexSql.anyTombstone(index))) {
            while (true) {
                int n = del.executeUpdate();
                c.commit();
                total += n;
                Failpoints.hit(PURGE_STEP);
                if (n == 0) {
                    boolean left;
                    try (ResultSet rs = any.executeQuery()) {
                        rs.next();
                        left = rs.getBoolean(1);
                    }
                    c.commit();
                    if (!left) {
                        break;
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
        LOG.info("reorg {}: purged {} tombstones", index.reorgId(), total);
        return total;
    }

    /**
     * Step 4: drops the revive trigger and the marker column (and its partial index) in one
     * transaction under {@code lock_timeout} and the reorg row's lock, retried with backoff ({@link
     * DdlLockWait} logs whom it waited for). Returns false (and changes nothing) when the reorg was
     * aborted or failed meanwhile.
     */
    public static boolean dropMarker(
            Connection c, IndexTable index, long lockTimeoutMillis, Retry retry)
            throws SQLException, InterruptedException {
        DdlLockWait wait =
                new DdlLockWait(
                        "dropping the tombstone marker of " + index.displayName(),
                        index.quotedName(),
                        lockTimeoutMillis);
        boolean dropped =
                retry.call(
                        "dropping the tombstone marker of " + index.displayName(),
                        () -> {
                            try (Statement st = c.createStatement()) {
                                wait.setLocal(c);
                                if (!stillRunning(c, index)) {
                                    return false;
                                }
                                for (String sql : IndexSql.dropTombstones(index)) {
                                    st.execute(sql);
                                }
                                c.commit();
                                return true;
                            } catch (SQLException e) {
                                Connections.rollbackQuietly(c);
                                wait.afterFailure(c, e);
                                throw e;
                            }
                        });
        if (dropped) {
            LOG.info("reorg {}: tombstone marker dropped", index.reorgId());
        }
        return dropped;
    }
}
