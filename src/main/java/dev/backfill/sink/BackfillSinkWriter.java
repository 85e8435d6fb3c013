package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.KeySql;
import dev.backfill.db.Retry;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.model.Failpoints;
import dev.backfill.model.Key;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.WritePath;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.addindex.Tombstones;
import dev.backfill.op.modifycolumn.ColumnSql;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes each batch in ONE short transaction, like TiDB's BackfillDataInTxn: lock the batch's rows
 * and re-validate them against the values read (compare-and-set), insert the entries idempotently
 * ({@code ON CONFLICT DO NOTHING}) — or, for an index table with tombstones ({@link Tombstones}),
 * only insert the entries as read, {@code ON CONFLICT (key) DO NOTHING}, without re-reading or
 * locking ({@link IndexSql#addIndexBatchWriteOnly}) — advance the split's watermark and counters in
 * {@code backfill.progress} with a compare-and-set from the batch's starting watermark, commit.
 *
 * <p>Exactly-once comes from that last step, not from Flink transactions: a batch whose starting
 * watermark is no longer the stored one was committed before (a replay after a restore) and is
 * rolled back whole. No transaction is held across checkpoints, so no row lock and no snapshot
 * outlives a batch. Transient errors are retried by {@link Retry}; a duplicate value on a unique
 * index fails the reorg with TiDB's message.
 *
 * <p>Metrics (task, writer operator): counters {@code rowsWritten} (entries or values written),
 * {@code rowsSkipped} (rows of committed batches not written: already right, or changed since they
 * were read), {@code batchesCommitted}, {@code batchesRetried} (batches that needed at least one
 * retry), {@code rowsRedone} (rows of replayed batches rolled back whole), {@code batchesByRange}
 * (batches written by one statement over their key range, {@link WritePath#RANGE}); the histogram
 * {@code batchCommitMillis} and the gauge {@code rowsPerSecond} with the progress logs, in {@link
 * WriterProgress}.
 */
@Internal
public final class BackfillSinkWriter implements CommittingSinkWriter<WriteBatch, BatchReport> {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillSinkWriter.class);

    private final ReorgPlan plan;
    private final IndexTable index;
    private final int subtask;
    private final Retry retry = Retry.defaults();
    private final Counter rowsWritten;
    private final Counter rowsSkipped;
    private final Counter batchesCommitted;
    private final Counter batchesRetried;
    private final Counter rowsRedone;
    private final Counter batchesByRange;
    private final WritePath path;

    private final WriterProgress progress;
    private boolean committed; // the current batch was committed (not redone)

    private Connection connection;
    // The index table has the tombstone marker: batches insert without re-reading (Tombstones).
    private boolean writeOnly;
    private long reportBatches;
    private long reportRows;

    public BackfillSinkWriter(ReorgPlan plan, int subtask, MetricGroup metrics) {
        this.plan = plan;
        this.index = plan.isModifyColumn() ? null : plan.index();
        this.subtask = subtask;
        KeyCodec.warmUp();
        this.rowsWritten = metrics.counter("rowsWritten");
        this.rowsSkipped = metrics.counter("rowsSkipped");
        this.batchesCommitted = metrics.counter("batchesCommitted");
        this.batchesRetried = metrics.counter("batchesRetried");
        this.rowsRedone = metrics.counter("rowsRedone");
        this.batchesByRange = metrics.counter(BackfillMetrics.BATCHES_BY_RANGE);
        this.path = WritePath.of(plan);
        this.progress = new WriterProgress(plan.reorgId(), subtask, metrics);
    }

    @Override
    public void write(WriteBatch batch, Context context) throws IOException, InterruptedException {
        long start = System.nanoTime();
        int[] retries = {0};
        committed = false;
        try {
            retry.call(
                    "batch " + describe(batch),
                    () -> commit(batch),
                    (attempt, e) -> {
                        if (retries[0]++ == 0) {
                            batchesRetried.inc(); // batches, not attempts
                        }
                        if (SqlErrors.isConnectionError(e)) {
                            resetConnection();
                        }
                    });
        } catch (SQLException e) {
            throw new IOException(
                    "reorg "
                            + plan.reorgId()
                            + ": batch "
                            + describe(batch)
                            + " failed: "
                            + e.getMessage(),
                    e);
        }
        if (committed) {
            progress.committed(batch, retries[0], start, System.nanoTime());
        }
    }

    private static String describe(WriteBatch b) {
        return b.splitId() + " (" + b.source().from() + ", " + b.source().to() + "]";
    }

    /** One attempt: one transaction. Returns the entries inserted. */
    private Integer commit(WriteBatch batch) throws SQLException {
        Connection c = connection();
        if (batch.failure() != null) {
            failReorg(c, batch.failure());
            throw new ReorgFailedException(
                    "reorg " + plan.reorgId() + " failed: " + batch.failure());
        }
        int inserted = 0;
        try {
            if (batch.size() > 0) {
                inserted = plan.isModifyColumn() ? writeShadow(c, batch) : insertEntries(c, batch);
            }
            boolean advanced =
                    Catalog.advance(
                            c,
                            plan.reorgId(),
                            batch.splitId(),
                            batch.source().from(),
                            batch.source().to(),
                            batch.size(),
                            inserted,
                            batch.source().last());
            if (!advanced) {
                c.rollback();
                rowsRedone.inc(batch.size());
                LOG.info(
                        "reorg {}: batch {} was already committed; skipped",
                        plan.reorgId(),
                        describe(batch));
                return 0;
            }
            Failpoints.hit(Failpoints.WRITER_BEFORE_COMMIT);
            c.commit();
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            if (SqlErrors.isUniqueViolation(e) && isValuesConstraint(e)) {
                throw duplicate(batch, e);
            }
            if (plan.isModifyColumn() && SqlErrors.isConversionError(e)) {
                throw conversionFailure(batch, e);
            }
            if (!SqlErrors.isRetryable(e)) {
                throw abortedOr(e);
            }
            throw e;
        } catch (RuntimeException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
        Failpoints.hit(Failpoints.WRITER_AFTER_COMMIT);
        batchesCommitted.inc();
        if (path == WritePath.RANGE && batch.size() > 0) {
            batchesByRange.inc();
        }
        rowsWritten.inc(inserted);
        rowsSkipped.inc(batch.size() - inserted);
        reportBatches++;
        reportRows += inserted;
        committed = true; // write() then logs it (split done, every 30,000 rows, slow or retried)
        return inserted;
    }

    private int insertEntries(Connection c, WriteBatch batch) throws SQLException {
        String physical = plan.table().scanSource(batch.source().physicalTable());
        String sql =
                writeOnly
                        ? IndexSql.addIndexBatchWriteOnly(index)
                        : IndexSql.addIndexBatch(index, physical);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bindBatch(c, ps, batch);
            return ps.executeUpdate();
        }
    }

    /**
     * The modify-column write: the shadow column of the batch's rows, compare-and-set against the
     * value read ({@link ColumnSql#modifyColumnBatch}). Returns the rows written; rows whose shadow
     * already had the value, and rows changed or deleted since they were read, are skipped.
     */
    private int writeShadow(Connection c, WriteBatch batch) throws SQLException {
        if (path == WritePath.RANGE) {
            return writeShadowRange(c, batch);
        }
        String physical = plan.table().scanSource(batch.source().physicalTable());
        boolean converted = plan.converter() != null;
        try (PreparedStatement ps =
                c.prepareStatement(
                        ColumnSql.modifyColumnBatch(plan.shadow(), physical, converted))) {
            int p = bindKeys(c, ps, batch, 1);
            int n = batch.size();
            String[] read = new String[n];
            String[] written = new String[n];
            for (int r = 0; r < n; r++) {
                read[r] = batch.expected().get(r)[0];
                written[r] = converted ? batch.output().get(r)[0] : null;
            }
            ps.setArray(p++, textArray(c, read));
            if (converted) {
                ps.setArray(p, textArray(c, written));
            }
            return ps.executeUpdate();
        }
    }

    /**
     * The modify-column write of the {@linkplain WritePath#RANGE range path}: one {@code UPDATE}
     * over the batch's key range {@code (after, to]} ({@link ColumnSql#modifyColumnRange}). Returns
     * the rows written; the rest of the page's rows already had the value.
     */
    private int writeShadowRange(Connection c, WriteBatch batch) throws SQLException {
        String physical = plan.table().scanSource(batch.source().physicalTable());
        Key after = batch.source().after();
        Key to = batch.source().to();
        try (PreparedStatement ps =
                c.prepareStatement(
                        ColumnSql.modifyColumnRange(
                                plan.shadow(), physical, after != null, to != null))) {
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

    /**
     * Names the row of a batch whose new value cannot be computed (pushdown: the {@code using}
     * expression or the cast failed in SQL) and fails the reorg with {@code cannot convert column
     * '<c>' of row <key>: value '<v>' <error>}. The rows are evaluated one by one, each in its own
     * statement: the batch's rows, or on the range path every row now in its key range (the value
     * named is then the row's current one). When no row fails any more (the row changed meanwhile),
     * asks for a retry.
     */
    private SQLException conversionFailure(WriteBatch batch, SQLException cause)
            throws SQLException {
        Connection c = connection();
        String physical = plan.table().scanSource(batch.source().physicalTable());
        String column = plan.shadow().column().name();
        String message = null;
        // The range path wrote every row of its range, not only the page's: search them all.
        List<Key> keys = path == WritePath.RANGE ? keysInRange(c, batch) : batch.keys();
        try (PreparedStatement ps =
                c.prepareStatement(ColumnSql.convertRow(plan.shadow(), physical))) {
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
            return SqlErrors.serializationFailure(
                    "conversion error that vanished: " + cause.getMessage(), cause);
        }
        failReorg(c, message);
        throw new ReorgFailedException("reorg " + plan.reorgId() + " failed: " + message);
    }

    /**
     * The keys in a range batch's range now, {@code (after, to]}, in key order: the rows its UPDATE
     * evaluated (the page's keys and any row inserted into the range since).
     */
    private List<Key> keysInRange(Connection c, WriteBatch batch) throws SQLException {
        List<Column> key = plan.table().keyColumns();
        Key after = batch.source().after();
        String sql =
                KeySql.readPage(
                        plan.table().scanSource(batch.source().physicalTable()),
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
        try (PreparedStatement ps =
                c.prepareStatement(ColumnSql.rowValue(plan.shadow(), physical))) {
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

    /** Binds one text[] per key column from {@code first}; returns the next parameter index. */
    private int bindKeys(Connection c, PreparedStatement ps, WriteBatch batch, int first)
            throws SQLException {
        int keyCols = plan.table().keyColumns().size();
        int n = batch.size();
        int p = first;
        for (int k = 0; k < keyCols; k++) {
            String[] col = new String[n];
            for (int r = 0; r < n; r++) {
                col[r] = batch.keys().get(r).textValues().get(k);
            }
            ps.setArray(p++, textArray(c, col));
        }
        return p;
    }

    /** Binds one text[] per key column, then one per indexed column (the values as read). */
    private void bindBatch(Connection c, PreparedStatement ps, WriteBatch batch)
            throws SQLException {
        int n = batch.size();
        int p = bindKeys(c, ps, batch, 1);
        int valCols = index.indexed().size();
        for (int v = 0; v < valCols; v++) {
            String[] col = new String[n];
            for (int r = 0; r < n; r++) {
                col[r] = batch.expected().get(r)[v];
            }
            ps.setArray(p++, textArray(c, col));
        }
    }

    private static Array textArray(Connection c, String[] values) throws SQLException {
        return c.createArrayOf("text", values);
    }

    private boolean isValuesConstraint(SQLException e) {
        return index != null && index.valuesConstraint().equals(SqlErrors.constraintName(e));
    }

    /**
     * Explains a unique violation and fails the reorg, or, when the conflicting entry is gone by
     * now (a concurrent delete), asks for a retry.
     */
    private SQLException duplicate(WriteBatch batch, SQLException cause) throws SQLException {
        Connection c = connection();
        String message = null;
        String physical = plan.table().scanSource(batch.source().physicalTable());
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
            return SqlErrors.serializationFailure(
                    "unique violation that vanished: " + cause.getMessage(), cause);
        }
        failReorg(c, message);
        throw new ReorgFailedException("reorg " + plan.reorgId() + " failed: " + message);
    }

    private void failReorg(Connection c, String message) throws SQLException {
        Catalog.fail(c, plan.reorgId(), message);
        c.commit();
        LOG.error("reorg {} failed: {}", plan.reorgId(), message);
    }

    /**
     * A fatal error during an abort (the index table dropped under a running batch) is reported as
     * the abort it is; any other fatal error is returned as it is.
     */
    private SQLException abortedOr(SQLException e) {
        try {
            Connection c = connection();
            Catalog.Reorg r = Catalog.find(c, plan.reorgId()).orElse(null);
            c.commit();
            if (r == null || r.state == State.ABORTED) {
                throw new ReorgFailedException(
                        "reorg " + plan.reorgId() + " was aborted; the job stops");
            }
        } catch (SQLException ignored) {
            // report the original error
        }
        return e;
    }

    /**
     * Every batch commits in write(); nothing is buffered. Without {@code synchronous-commit}, the
     * batches' commits may still be in the server's WAL buffers: before a checkpoint completes (and
     * at the end of input) one transaction with an xid commits with {@code synchronous_commit =
     * on}, and its WAL flush covers every commit before it. So a checkpoint never records a reader
     * position beyond batches that a server crash could lose; a crash between checkpoints loses at
     * most batches that the restored readers redo, their watermark going with them.
     */
    @Override
    public void flush(boolean endOfInput) throws IOException {
        if (plan.spec().tuning().synchronousCommit() || connection == null) {
            return;
        }
        try {
            retry.call(
                    "making the committed batches durable",
                    () -> {
                        Catalog.flushWal(connection());
                        return null;
                    },
                    (attempt, e) -> {
                        if (SqlErrors.isConnectionError(e)) {
                            resetConnection();
                        }
                    });
        } catch (SQLException e) {
            throw new IOException(
                    "reorg "
                            + plan.reorgId()
                            + ": making the committed batches durable failed: "
                            + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the committed batches durable", e);
        }
    }

    @Override
    public List<BatchReport> prepareCommit() {
        BatchReport r = new BatchReport(subtask, reportBatches, reportRows);
        reportBatches = 0;
        reportRows = 0;
        return List.of(r);
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = Connections.open(plan.dataSource());
            try (Statement st = connection.createStatement()) {
                st.execute("SET lock_timeout = " + plan.spec().tuning().lockTimeout().toMillis());
                if (!plan.spec().tuning().synchronousCommit()) {
                    st.execute("SET synchronous_commit = off");
                }
                st.execute(ColumnSql.markSinkSession());
            }
            writeOnly = index != null && Tombstones.present(connection, index);
            connection.commit();
        }
        return connection;
    }

    private void resetConnection() {
        Connections.closeQuietly(connection);
        connection = null;
    }

    @Override
    public void close() {
        resetConnection();
    }
}
