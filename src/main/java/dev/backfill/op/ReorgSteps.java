package dev.backfill.op;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The operation SPI: what a reorg's lifecycle does that depends on its operation. One
 * implementation per operation, in the operation's own package ({@code op.addindex}, {@code
 * op.modifycolumn}); {@link ReorgPlan#steps()} gives the one of a plan, which ships it inside the
 * job graph (so an implementation is serializable). The lifecycle code (prepare today; the sink,
 * the finalizer, abort and the CLI's plan next) calls these instead of asking which operation it
 * runs.
 */
@PublicEvolving
public interface ReorgSteps extends Serializable {

    /** The per-row work that runs in the Flink job between the source and the sink. */
    Operation operation();

    /** How the batches travel from the reader to the database ({@link WritePath}). */
    WritePath writePath();

    /** What the reorg builds, for messages: the index table, or the column's change. */
    String target();

    /**
     * The operation's part of the reorg's identity: the text that, after the table and the
     * operation's key, goes into the definition hash that tells whether a spec of the same reorg id
     * builds the same thing. It must never change for a given spec: catalog rows written before
     * hold its hash.
     */
    String definition();

    /**
     * Fails with a {@code TableInfo.TableException} when what prepare creates is taken already.
     * Reads only; used by prepare and by {@code plan}.
     */
    void checkTargetFree(Connection c) throws SQLException;

    /**
     * The checks prepare makes, without its DDL: {@link #checkTargetFree}, and whatever else would
     * make prepare refuse the reorg. Fails with a {@code TableInfo.TableException} that says why,
     * in prepare's words. Reads only (a failed check rolls back); used by {@code plan}.
     */
    void checkPrepare(Connection c) throws SQLException;

    /**
     * Prepare's DDL, inside prepare's transaction (its {@code lock_timeout} set, its commit and
     * retry the caller's): the target and the triggers that keep it exact from the commit on.
     * Checks {@link #checkTargetFree} first.
     */
    void createTarget(Connection c) throws SQLException;

    // --- writer ---

    /**
     * A new writer of this operation's batches, for one sink-writer instance: the sink writes each
     * batch and explains its failures through it ({@link BatchWriter}).
     */
    BatchWriter batchWriter();

    // --- cli ---

    /**
     * The CLI's words for what prepare created, e.g. {@code created demo.orders_email and its
     * triggers}; the CLI adds the table.
     */
    String describePrepared();

    /**
     * The CLI's line (without its {@code backfill: } prefix) when a run made the reorg public after
     * verifying {@code rowsVerified} rows; {@code jobFile} names the spec in a follow-up command.
     */
    String describePublic(long rowsVerified, String jobFile);

    /**
     * The CLI's words after its cut-over of a reorg that was {@code ready} (verified): what is
     * public now and what is kept until {@code cleanup}. Only for an operation that has a cut-over
     * ({@link OperationType#hasCutover()}).
     */
    String describeCutOver(String jobFile);

    /**
     * The CLI's words for a reorg that is {@code ready} and waits for the {@code cutover} command.
     * Only for an operation that has a cut-over ({@link OperationType#hasCutover()}).
     */
    String describeReady(String jobFile);

    /** Prepare's statements, as {@code plan} prints them. */
    PrepareStatements prepareStatements();
}
