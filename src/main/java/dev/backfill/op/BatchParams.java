package dev.backfill.op;

import dev.backfill.model.WriteBatch;

import org.apache.flink.annotation.Internal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Binds a batch's columns as {@code text[]} parameters, one array per column with one element per
 * row, for the operations' {@link BatchWriter}s ({@code unnest(...)} on the server side).
 */
@Internal
public final class BatchParams {
    private BatchParams() {}

    /**
     * Binds one text[] per key column ({@code keyColumns} of them) from parameter {@code first};
     * returns the next parameter index.
     */
    public static int bindKeys(
            Connection c, PreparedStatement ps, WriteBatch batch, int keyColumns, int first)
            throws SQLException {
        int n = batch.size();
        int p = first;
        for (int k = 0; k < keyColumns; k++) {
            String[] col = new String[n];
            for (int r = 0; r < n; r++) {
                col[r] = batch.keys().get(r).textValues().get(k);
            }
            ps.setArray(p++, textArray(c, col));
        }
        return p;
    }

    /** A {@code text[]} of {@code values}. */
    public static Array textArray(Connection c, String[] values) throws SQLException {
        return c.createArrayOf("text", values);
    }
}
