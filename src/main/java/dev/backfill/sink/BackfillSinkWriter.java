package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.Retry;
import dev.backfill.db.SessionSql;
import dev.backfill.db.SqlErrors;
import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.model.Failpoints;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.BatchWriter;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.WritePath;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Writes each batch in ONE short transaction, like TiDB's BackfillDataInTxn: the operation's write
 * ({@link BatchWriter}: e.g. lock the batch's rows, re-validate them against the values read and
 * insert the index entries idempotently, or write the shadow column with a compare-and-set),
 * advance the split's watermark and counters in {@code backfill.progress} with a compare-and-set
 * from the batch's starting watermark, commit.
 *
 * <p>Exactly-once comes from that last step, not from Flink transactions: a batch whose starting
 * watermark is no longer the stored one was committed before (a replay after a restore) and is
 * rolled back whole. No transaction is held across checkpoints, so no row lock and no snapshot
 * outlives a batch. Transient errors are retried by {@link Retry}; a failure the operation explains
 * ({@link BatchWriter#explain}: a duplicate value on a unique index, with TiDB's message, or a
 * value that does not convert) fails the reorg with its message.
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
    private final BatchWriter writer;
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
    private long reportBatches;
    private long reportRows;

    public BackfillSinkWriter(ReorgPlan plan, int subtask, MetricGroup metrics) {
        this.plan = plan;
        this.writer = plan.steps().batchWriter();
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
                inserted = writer.write(c, batch);
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
            if (writer.explains(e)) {
                throw explained(batch, e);
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

    /**
     * Fails the reorg with the operation's explanation of {@code cause} ({@link
     * BatchWriter#explain}), or, when the failure has vanished by now, throws the retryable error
     * the operation gives.
     */
    private ReorgFailedException explained(WriteBatch batch, SQLException cause)
            throws SQLException {
        Connection c = connection();
        String message = writer.explain(c, batch, cause);
        failReorg(c, message);
        return new ReorgFailedException("reorg " + plan.reorgId() + " failed: " + message);
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
                st.execute(
                        SessionSql.setLockTimeout(plan.spec().tuning().lockTimeout().toMillis()));
                if (!plan.spec().tuning().synchronousCommit()) {
                    st.execute(SessionSql.synchronousCommitOff());
                }
                st.execute(SessionSql.markSinkSession());
            }
            writer.connected(connection);
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
