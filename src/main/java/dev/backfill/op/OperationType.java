package dev.backfill.op;

import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * An operation as the registry ({@link Operations}) knows it: what the lifecycle does from the spec
 * alone, before (or without) a plan. It resolves a spec against the live schema into the
 * operation's {@link ReorgSteps}, and it says what abort drops when the table may no longer
 * resolve. One implementation per operation, in the operation's own package.
 */
@PublicEvolving
public interface OperationType {

    /**
     * The spec against the live schema: fails with a {@code TableInfo.TableException} naming the
     * spec's field when the table cannot take the reorg. Changes nothing.
     *
     * @param checkDependents false only for the cut-over, which checks what depends on the column
     *     under its own lock and refuses with its own message
     */
    ReorgSteps resolve(Connection c, JobSpec spec, TableInfo table, boolean checkDependents)
            throws SQLException;

    /**
     * Abort's drops of what prepare created, from the spec alone: when the table no longer
     * resolves, only what does not hang off it. Reads only; the caller runs the statements.
     */
    List<String> dropStatements(Connection c, JobSpec spec) throws SQLException;

    /** Abort's words for what it dropped, e.g. {@code its triggers and demo.orders_email}. */
    String describeDropped(JobSpec spec);

    /**
     * What stays when abort comes too late (the reorg is public), as a parenthesis that follows
     * abort's refusal, with its leading space.
     */
    String describeKeptAfterPublic(JobSpec spec);

    /**
     * Whether the backfill updates the table's rows in place (and so leaves dead tuples the CLI
     * reports on).
     */
    boolean updatesRowsInPlace();

    /**
     * The command {@code cutover} on {@code c} (the catalog's schema in place): checks the reorg's
     * state and runs its cut-over. Returns false when there was nothing to do (the reorg is public
     * already). An operation without a cut-over refuses with a {@code TableInfo.TableException}.
     */
    boolean cutover(Connection c, JobSpec spec) throws SQLException, InterruptedException;

    /**
     * The CLI's words after its {@code cutover} command cut over: what is public now and what is
     * kept until {@code cleanup}. Only for an operation that has a cut-over.
     */
    String describeCutoverCommand(JobSpec spec);

    /**
     * The command {@code cleanup} on {@code c} (the catalog's schema in place): once the reorg is
     * public, drops what its cut-over kept. Returns false when it is gone already. An operation
     * without a cut-over refuses with a {@code TableInfo.TableException}.
     */
    boolean cleanup(Connection c, JobSpec spec) throws SQLException, InterruptedException;

    /**
     * The CLI's words for the {@code cleanup} command's result: {@code dropped} true when it
     * dropped, false when there was nothing to do. Only for an operation that has a cut-over.
     */
    String describeCleanup(JobSpec spec, boolean dropped);

    /**
     * Whether a reorg found {@code ready} cuts over at once when the job runs again ({@code
     * cutover: auto}) rather than waiting for the {@code cutover} command.
     */
    boolean cutsOverAutomatically(JobSpec spec);
}
