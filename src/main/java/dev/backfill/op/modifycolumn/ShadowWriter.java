package dev.backfill.op.modifycolumn;

import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.KeySql;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.model.Key;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.BatchParams;
import dev.backfill.op.BatchWriter;
import dev.backfill.op.WritePath;
import dev.backfill.op.convert.Converter;

import org.apache.flink.util.Preconditions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The modify-column write: the shadow column of the batch's rows, compare-and-set against the value
 * read ({@link ColumnSql#modifyColumnBatch}), or on the {@linkplain WritePath#RANGE range path} one
 * {@code UPDATE} over the batch's key range ({@link ColumnSql#modifyColumnRange}). A value that
 * cannot be converted fails the reorg naming the row's key.
 */
final class ShadowWriter implements BatchWriter {
    private final ShadowColumn shadow;
    private final Converter converter; // null when SQL computes the new value
    private final WritePath path;

    ShadowWriter(ShadowColumn shadow, Converter converter, WritePath path) {
        this.shadow = Preconditions.checkNotNull(shadow);
        this.converter = converter;
        this.path = Preconditions.checkNotNull(path);
    }

    /** Nothing: the shadow's writes depend on no state of the connection. */
    @Override
    public void connected(Connection c) {}

    /**
     * Returns the rows written; rows whose shadow already had the value, and rows changed or
     * deleted since they were read, are skipped.
     */
    @Override
    public int write(Connection c, WriteBatch batch) throws SQLException {
        if (path == WritePath.RANGE) {
            return writeRange(c, batch);
        }
        TableInfo table = shadow.table();
        String physical = table.scanSource(batch.source().physicalTable());
        boolean converted = converter != null;
        try (PreparedStatement ps =
                c.prepareStatement(ColumnSql.modifyColumnBatch(shadow, physical, converted))) {
            int p = BatchParams.bindKeys(c, ps, batch, table.keyColumns().size(), 1);
            int n = batch.size();
            String[] read = new String[n];
            String[] written = new String[n];
            for (int r = 0; r < n; r++) {
                read[r] = batch.expected().get(r)[0];
                written[r] = converted ? batch.output().get(r)[0] : null;
            }
            ps.setArray(p++, BatchParams.textArray(c, read));
            if (converted) {
                ps.setArray(p, BatchParams.textArray(c, written));
            }
            return ps.executeUpdate();
        }
    }

    /**
     * The write of the {@linkplain WritePath#RANGE range path}: one {@code UPDATE} over the batch's
     * key range {@code (after, to]} ({@link ColumnSql#modifyColumnRange}). Returns the rows
     * written; the rest of the page's rows already had the value.
     */
    private int writeRange(Connection c, WriteBatch batch) throws SQLException {
        String physical = shadow.table().scanSource(batch.source().physicalTable());
        Key after = batch.source().after();
        Key to = batch.source().to();
        try (PreparedStatement ps =
                c.prepareStatement(
                        ColumnSql.modifyColumnRange(shadow, physical, after != null, to != null))) {
            int p = 1;
            for (int twice = 0; twice < 2; twice++) { // the range, then its CASE guard
                if (after != null) {
                    p = KeyCodec.bind(ps, p, after);
                }
                if (to != null) {
                    p = KeyCodec.bind(ps, p, to);
                }
            }
            return ps.executeUpdate();
        }
    }

    /** A conversion error (class 22): a new value that cannot be computed. */
    @Override
    public boolean explains(SQLException e) {
        return SqlErrors.isConversionError(e);
    }

    /** Names the row whose value does not convert ({@link #conversionFailure}). */
    @Override
    public String explain(Connection c, WriteBatch batch, SQLException e) throws SQLException {
        return conversionFailure(c, batch, e);
    }

    /**
     * Names the row of a batch whose new value cannot be computed (pushdown: the {@code using}
     * expression or the cast failed in SQL): {@code cannot convert column '<c>' of row <key>: value
     * '<v>' <error>}. The rows are evaluated one by one, each in its own statement: the batch's
     * rows, or on the range path every row now in its key range (the value named is then the row's
     * current one). When no row fails any more (the row changed meanwhile), throws a retryable
     * error.
     */
    private String conversionFailure(Connection c, WriteBatch batch, SQLException cause)
            throws SQLException {
        String physical = shadow.table().scanSource(batch.source().physicalTable());
        String column = shadow.column().name();
        String message = null;
        // The range path wrote every row of its range, not only the page's: search them all.
        List<Key> keys = path == WritePath.RANGE ? keysInRange(c, batch) : batch.keys();
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.convertRow(shadow, physical))) {
            for (int r = 0; r < keys.size() && message == null; r++) {
                KeyCodec.bind(ps, 1, keys.get(r));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    c.commit();
                } catch (SQLException e) {
                    Connections.rollbackQuietly(c);
                    if (!SqlErrors.isConversionError(e)) {
                        throw e;
                    }
                    String v =
                            path == WritePath.RANGE
                                    ? currentValue(c, physical, keys.get(r))
                                    : batch.expected().get(r)[0];
                    message =
                            "cannot convert column '"
                                    + column
                                    + "' of row "
                                    + keys.get(r)
                                    + ": value "
                                    + (v == null ? "NULL" : "'" + v + "'")
                                    + " "
                                    + reason(e);
                }
            }
        }
        if (message == null) {
            throw SqlErrors.serializationFailure(
                    "conversion error that vanished: " + cause.getMessage(), cause);
        }
        return message;
    }

    /**
     * The keys in a range batch's range now, {@code (after, to]}, in key order: the rows its UPDATE
     * evaluated (the page's keys and any row inserted into the range since).
     */
    private List<Key> keysInRange(Connection c, WriteBatch batch) throws SQLException {
        List<Column> key = shadow.table().keyColumns();
        Key after = batch.source().after();
        String sql =
                KeySql.readPage(
                        shadow.table().scanSource(batch.source().physicalTable()),
                        key,
                        List.of(),
                        after != null);
        List<Key> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            if (after != null) {
                p = KeyCodec.bind(ps, p, after);
            }
            p = KeyCodec.bind(ps, p, batch.source().to());
            ps.setInt(p, Integer.MAX_VALUE);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(KeyCodec.read(rs, 1, key));
                }
            }
            c.commit();
            return keys;
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
    }

    /** The source column's value of one row now, as text ({@link ColumnSql#rowValue}). */
    private String currentValue(Connection c, String physical, Key key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.rowValue(shadow, physical))) {
            KeyCodec.bind(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                String v = rs.next() ? rs.getString(1) : null;
                c.commit();
                return v;
            }
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
    }

    /** PostgreSQL's message without its {@code ERROR: } prefix, for the reorg's error. */
    private static String reason(SQLException e) {
        return "does not convert: " + SqlErrors.serverMessage(e);
    }
}
