package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.model.JobSpec;
import dev.backfill.op.OperationType;
import dev.backfill.op.Operations;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The commands after the backfill, {@code scripts/backfill cutover --job FILE} (a reorg with {@code
 * cutover: manual}, waiting in state {@code ready}) and {@code scripts/backfill cleanup --job FILE}
 * (drops what the cut-over kept once the reorg is {@code public}): a connection to the catalog,
 * then the operation's own work ({@link OperationType#cutover}, {@link OperationType#cleanup}).
 */
@Internal
public final class ColumnCommands {
    private ColumnCommands() {}

    /** What a command did, for the client's message. */
    public enum Outcome {
        DONE,
        NOTHING_TO_DO
    }

    /**
     * Runs the cut-over of a {@code ready} reorg. Returns NOTHING_TO_DO when it is public already.
     * {@code spec}'s database must be resolved.
     */
    public static Outcome cutover(JobSpec spec) throws SQLException, InterruptedException {
        try (Connection c = open(spec)) {
            return outcome(Operations.of(spec).cutover(c, spec));
        }
    }

    /**
     * Drops what the cut-over kept, in one short transaction under {@code lock_timeout} (retried).
     * Returns NOTHING_TO_DO when it is gone already.
     */
    public static Outcome cleanup(JobSpec spec) throws SQLException, InterruptedException {
        try (Connection c = open(spec)) {
            return outcome(Operations.of(spec).cleanup(c, spec));
        }
    }

    private static Outcome outcome(boolean done) {
        return done ? Outcome.DONE : Outcome.NOTHING_TO_DO;
    }

    private static Connection open(JobSpec spec) throws SQLException {
        Connection c = Connections.open(Connections.dataSource(spec.database(), spec.reorgId()));
        try {
            Catalog.ensureSchema(c);
            c.commit();
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }
}
