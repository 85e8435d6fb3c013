package dev.backfill.reorg;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Retry;
import dev.backfill.db.TableInfo;
import dev.backfill.op.ReorgPlan;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * Step one of a reorg, none → write-only: ONE short DDL transaction under {@code lock_timeout},
 * retried with backoff, that creates the index table, installs the triggers that keep it exact, and
 * records the reorg. From its commit on, every write to the table maintains the index table, so
 * only rows written before it need the backfill (TiDB's write-only state). Called by {@code
 * BackfillJob} on the client before the Flink job is submitted.
 *
 * <p>CREATE TRIGGER takes a SHARE ROW EXCLUSIVE lock on the table, which waits for running writers
 * and blocks new ones while it waits; {@code lock_timeout} bounds that wait so the application is
 * never stalled for long, and the retry tries again a little later.
 */
@Internal
public final class Prepare {
    private static final Logger LOG = LoggerFactory.getLogger(Prepare.class);

    private Prepare() {}

    /**
     * The reorg's identity: what it builds. Two specs with the same id must agree on it; tuning may
     * change between runs.
     */
    public static String definitionHash(ReorgPlan plan) {
        String def =
                plan.table().displayName()
                        + "\n"
                        + plan.spec().operation().key()
                        + "\n"
                        + plan.steps().definition();
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(def.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs prepare. The reorg must not be in the catalog yet. The row estimate is read first, in
     * its own short read-only transaction: a table never analyzed is counted, and that count must
     * not run inside the DDL transaction, which holds its lock on the table from the first DDL
     * statement on (and would hold the count's lock while it waits for its DDL lock).
     */
    public static void run(Connection c, ReorgPlan plan) throws SQLException, InterruptedException {
        String target = plan.target();
        long estimate;
        try {
            estimate = TableInfo.estimateRows(c, plan.table());
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
        DdlLockWait wait =
                new DdlLockWait(
                        "preparing reorg " + plan.reorgId(),
                        plan.table().quotedName(),
                        plan.spec().tuning().lockTimeout().toMillis());
        Retry.defaults()
                .call(
                        "preparing reorg "
                                + plan.reorgId()
                                + " (lock_timeout "
                                + plan.spec().tuning().lockTimeout().toMillis()
                                + " ms)",
                        () -> {
                            try {
                                wait.setLocal(c);
                                plan.steps().createTarget(c);
                                Catalog.insert(
                                        c,
                                        plan.reorgId(),
                                        plan.spec().rawSpec(),
                                        definitionHash(plan),
                                        plan.table().displayName(),
                                        plan.spec().operation().key(),
                                        estimate);
                                c.commit();
                                return null;
                            } catch (SQLException e) {
                                c.rollback();
                                wait.afterFailure(c, e);
                                throw e;
                            }
                        });
        LOG.info("reorg {}: write-only: {} and its triggers are in place", plan.reorgId(), target);
    }

    /** Checks that an existing reorg of the same id builds the same thing. */
    public static void checkSameDefinition(Reorg existing, ReorgPlan plan)
            throws TableInfo.TableException {
        if (!existing.specHash.equals(definitionHash(plan))) {
            throw new TableInfo.TableException(
                    "reorg "
                            + plan.reorgId()
                            + " already exists with a different definition (table "
                            + existing.tableName
                            + ", "
                            + existing.operation
                            + "); abort it first or give this spec another `reorg:` id");
        }
    }
}
