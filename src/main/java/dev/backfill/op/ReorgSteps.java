package dev.backfill.op;

import dev.backfill.db.Catalog;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.PublicEvolving;

import javax.sql.DataSource;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

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
     * ({@link OperationType#cutover}).
     */
    String describeCutOver(String jobFile);

    /**
     * The CLI's words for a reorg that is {@code ready} and waits for the {@code cutover} command.
     * Only for an operation that has a cut-over ({@link OperationType#cutover}).
     */
    String describeReady(String jobFile);

    /** Prepare's statements, as {@code plan} prints them. */
    PrepareStatements prepareStatements();

    // --- final ---

    /**
     * The state the finalizer moves a verified reorg to from {@code verifying}: {@code public}, or
     * {@code ready} when publishing is a step of its own ({@link #publish}). A reorg the finalizer
     * finds in this state skips the verification and goes on to {@link #publish}.
     */
    Catalog.State verifiedState();

    /**
     * What the finalizer does before it marks the reorg {@code verifying} and waits out the older
     * transactions; returns what it does after that wait, before it verifies. Add-index built by
     * the write-only sink: the deleting triggers back, then the tombstones purged and the marker
     * dropped.
     */
    Finishing.Step beforeVerifying(Finishing f) throws SQLException, InterruptedException;

    /** What the verification compares, for the finalizer's "backfill complete, verifying" line. */
    String verifying();

    /**
     * Verifies the whole target in key ranges of about {@code chunkRows} rows, each in its own
     * snapshot ({@link Verification}), on {@code c} and {@code workers - 1} more connections of
     * {@code ds}, paced by {@code pace} when not null. Reads only.
     */
    Verification.Result verify(
            DataSource ds, int workers, RowRateLimiter pace, Connection c, long chunkRows)
            throws SQLException;

    /**
     * Repairs the target in the given ranges under row locks, each range in its own transaction
     * that also adds its changed rows to the reorg's {@code rows_repaired} ({@link
     * Verification#repairRanges}). Returns the rows changed.
     */
    long repair(
            Connection c,
            List<Verification.Range> ranges,
            String reorgId,
            Verification.RepairListener listener)
            throws SQLException;

    /** What a repair changes, for the finalizer's "repaired N ..." line: entries, values. */
    String repairUnit();

    /**
     * Whether the finalizer logs the first verification's result at once, before a repair, rather
     * than the last one's as the reorg moves on: each operation's log reads as it always has.
     */
    boolean logsFirstResult();

    /**
     * What must hold after the verification (and the repair) before the reorg leaves {@code
     * verifying}; fails the reorg and throws when it does not. Add-index: nothing left to repair.
     * Modify-column: that too, then the column's dependents, its indexes rebuilt on the shadow
     * column, and the NOT NULL proof.
     */
    void afterVerification(Finishing f, Verification.Result result)
            throws SQLException, InterruptedException;

    /**
     * Publishes a reorg in {@link #verifiedState()}: nothing when that is {@code public}
     * (add-index); the cut-over of a modify-column with {@code cutover: auto}.
     */
    void publish(Finishing f) throws SQLException, InterruptedException;

    /**
     * The cut-over of a reorg that stopped in {@code ready} although its spec says {@code cutover:
     * auto} (a job that ended after verification): what {@link #publish} would have run. Returns
     * false when the reorg was public already. An operation that is public once verified has no
     * cut-over and throws {@link IllegalStateException}.
     */
    boolean cutOver(Connection c, ReorgPlan plan) throws SQLException, InterruptedException;
}
