package dev.backfill.op;

import dev.backfill.db.Retry;
import dev.backfill.model.ReorgFailedException;

import org.apache.flink.annotation.PublicEvolving;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What the finalizer ({@code reorg.Finalizer}, the one lifecycle template over {@link ReorgSteps})
 * hands an operation's finishing steps: the reorg, the finalizer's connection and its retry (which
 * ends the attempt when the connection is lost: the finalizer then starts again on a new one), and
 * the two ways it stops a reorg.
 */
@PublicEvolving
public interface Finishing {

    /** The reorg being finished. */
    ReorgPlan plan();

    /** The finalizer's connection, out of autocommit between the steps. */
    Connection connection();

    /** The finalizer's retry for one step. */
    Retry retry();

    /**
     * Marks the reorg failed with {@code message}, logs it at ERROR, and returns the exception that
     * stops the job ({@code reorg <id> failed: <message>}).
     */
    ReorgFailedException fail(String message) throws SQLException, InterruptedException;

    /**
     * The exception that says the reorg is stopped (aborted or failed), as the catalog has it now.
     */
    ReorgFailedException stoppedNow() throws SQLException, InterruptedException;

    /** A step of an operation's finishing, run on the finalizer's connection. */
    @FunctionalInterface
    interface Step {
        void run() throws SQLException, InterruptedException;
    }
}
