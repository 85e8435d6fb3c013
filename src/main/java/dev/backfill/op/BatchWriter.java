package dev.backfill.op;

import dev.backfill.model.WriteBatch;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The operation's part of the sink's write (the operation SPI, made by {@link
 * ReorgSteps#batchWriter()}): write one batch inside the sink's transaction, and explain a failure
 * of that write in the reorg's words. One instance per sink-writer instance; it holds whatever the
 * operation needs to know about the sink's connection (e.g. whether an index table has tombstones).
 * The sink keeps everything else: the connection and its transaction, the watermark
 * compare-and-set, the commit, retries, progress, metrics and failpoints.
 */
@PublicEvolving
public interface BatchWriter {

    /**
     * Called once for each new connection of the sink, inside its first transaction (the sink
     * commits it), after the session's settings: reads what the writes on this connection depend
     * on.
     */
    void connected(Connection c) throws SQLException;

    /**
     * Writes one non-empty batch inside the sink's open transaction on {@code c} (neither commits
     * nor rolls back). Returns the rows written (the entries inserted, or the values written); the
     * sink counts the rest of the batch's rows as skipped.
     */
    int write(Connection c, WriteBatch batch) throws SQLException;

    /**
     * Whether {@code e}, an error of the batch's transaction ({@link #write}, the watermark update
     * or the commit), is a failure of this operation that {@link #explain} names (e.g. a duplicate
     * value on a unique index); otherwise the sink retries it or fails as for any error. Looks at
     * {@code e} only.
     */
    boolean explains(SQLException e);

    /**
     * Explains a failure of the batch's transaction for which {@link #explains} holds, after the
     * sink has rolled the batch back; may read on {@code c}, each read in its own transaction.
     * Returns the message the reorg fails with: the sink marks the reorg {@code failed} with it and
     * throws {@code ReorgFailedException("reorg <id> failed: " + message)}. Throws a retryable
     * {@link SQLException} when the failure has vanished since (e.g. the other row of a duplicate
     * was deleted): the sink's retry then writes the batch again.
     */
    String explain(Connection c, WriteBatch batch, SQLException e) throws SQLException;
}
