package dev.backfill.op.addindex;

import dev.backfill.db.Connections;
import dev.backfill.db.SqlErrors;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.BatchParams;
import dev.backfill.op.BatchWriter;

import org.apache.flink.util.Preconditions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The add-index write: a batch's index entries, inserted idempotently ({@code ON CONFLICT DO
 * NOTHING}) after locking the batch's rows and re-validating them against the values read ({@link
 * IndexSql#addIndexBatch}); or, for an index table with tombstones ({@link Tombstones}), only the
 * entries as read, {@code ON CONFLICT (key) DO NOTHING}, without re-reading or locking ({@link
 * IndexSql#addIndexBatchWriteOnly}). A duplicate value on a unique index fails the reorg with
 * TiDB's message.
 */
final class IndexEntryWriter implements BatchWriter {
    private final IndexTable index;
    // The index table has the tombstone marker: batches insert without re-reading (Tombstones).
    private boolean writeOnly;

    IndexEntryWriter(IndexTable index) {
        this.index = Preconditions.checkNotNull(index);
    }

    @Override
    public void connected(Connection c) throws SQLException {
        writeOnly = Tombstones.present(c, index);
    }

    /** Returns the entries inserted. */
    @Override
    public int write(Connection c, WriteBatch batch) throws SQLException {
        String physical = index.table().scanSource(batch.source().physicalTable());
        String sql =
                writeOnly
                        ? IndexSql.addIndexBatchWriteOnly(index)
                        : IndexSql.addIndexBatch(index, physical);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bindBatch(c, ps, batch);
            return ps.executeUpdate();
        }
    }

    /** A unique violation of the index table's values constraint: a duplicate value. */
    @Override
    public boolean explains(SQLException e) {
        return SqlErrors.isUniqueViolation(e) && isValuesConstraint(e);
    }

    /** Names the duplicate value and its two rows ({@link IndexSql#addIndexDuplicates}). */
    @Override
    public String explain(Connection c, WriteBatch batch, SQLException e) throws SQLException {
        return duplicate(c, batch, e);
    }

    /** Binds one text[] per key column, then one per indexed column (the values as read). */
    private void bindBatch(Connection c, PreparedStatement ps, WriteBatch batch)
            throws SQLException {
        int n = batch.size();
        int p = BatchParams.bindKeys(c, ps, batch, index.table().keyColumns().size(), 1);
        int valCols = index.indexed().size();
        for (int v = 0; v < valCols; v++) {
            String[] col = new String[n];
            for (int r = 0; r < n; r++) {
                col[r] = batch.expected().get(r)[v];
            }
            ps.setArray(p++, BatchParams.textArray(c, col));
        }
    }

    private boolean isValuesConstraint(SQLException e) {
        return index.valuesConstraint().equals(SqlErrors.constraintName(e));
    }

    /**
     * Explains a unique violation, or, when the conflicting entry is gone by now (a concurrent
     * delete), throws a retryable error.
     */
    private String duplicate(Connection c, WriteBatch batch, SQLException cause)
            throws SQLException {
        String message = null;
        String physical = index.table().scanSource(batch.source().physicalTable());
        try (PreparedStatement ps =
                c.prepareStatement(
                        writeOnly
                                ? IndexSql.addIndexDuplicates(index, physical)
                                : IndexSql.addIndexDuplicates(index))) {
            bindBatch(c, ps, batch);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    message =
                            "duplicate entry '"
                                    + rs.getString(1)
                                    + "' for key '"
                                    + index.name()
                                    + "' (rows "
                                    + rs.getString(2)
                                    + " and "
                                    + rs.getString(3)
                                    + ")";
                }
            }
            c.commit();
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
        if (message == null) {
            // The other entry is gone (deleted meanwhile): the retry will succeed or find the new
            // one.
            throw SqlErrors.serializationFailure(
                    "unique violation that vanished: " + cause.getMessage(), cause);
        }
        return message;
    }
}
