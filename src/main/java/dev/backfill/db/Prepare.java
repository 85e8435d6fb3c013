package dev.backfill.db;

import dev.backfill.db.Catalog.Reorg;
import dev.backfill.job.ReorgPlan;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
                        + plan.index().name()
                        + "\n"
                        + plan.index().indexedNames()
                        + "\n"
                        + plan.index().unique();
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(def.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs prepare. The reorg must not be in the catalog yet. */
    public static void run(Connection c, ReorgPlan plan) throws SQLException, InterruptedException {
        String indexName = plan.index().displayName();
        Retry.defaults()
                .call(
                        "preparing reorg "
                                + plan.reorgId()
                                + " (lock_timeout "
                                + plan.spec().tuning().lockTimeout().toMillis()
                                + " ms)",
                        () -> {
                            try {
                                try (Statement st = c.createStatement()) {
                                    st.execute(
                                            "SET LOCAL lock_timeout = "
                                                    + plan.spec()
                                                            .tuning()
                                                            .lockTimeout()
                                                            .toMillis());
                                }
                                if (relationExists(c, plan.index().quotedName())) {
                                    throw new TableInfo.TableException(
                                            "cannot create index table "
                                                    + indexName
                                                    + ": a relation of that name already exists");
                                }
                                long estimate = estimateRows(c, plan.table());
                                try (Statement st = c.createStatement()) {
                                    for (String sql : SqlBuilder.createIndexTable(plan.index())) {
                                        st.execute(sql);
                                    }
                                    for (String sql : SqlBuilder.createTriggers(plan.index())) {
                                        st.execute(sql);
                                    }
                                }
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
                                throw e;
                            }
                        });
        LOG.info(
                "reorg {}: write-only: index table {} and its triggers are in place",
                plan.reorgId(),
                indexName);
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

    static boolean relationExists(Connection c, String quotedName) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, quotedName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The planner's row estimate (reltuples); an exact count for a table never analyzed. */
    public static long estimateRows(Connection c, TableInfo table) throws SQLException {
        long total = 0;
        for (String physical : table.physicalTables()) {
            String q = table.quotedPhysical(physical);
            long n;
            try (PreparedStatement ps =
                    c.prepareStatement(
                            "SELECT reltuples::bigint FROM pg_class WHERE oid = ?::regclass")) {
                ps.setString(1, q);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n = rs.getLong(1);
                }
            }
            if (n < 0) {
                try (Statement st = c.createStatement();
                        ResultSet rs =
                                st.executeQuery(
                                        "SELECT count(*) FROM " + table.scanSource(physical))) {
                    rs.next();
                    n = rs.getLong(1);
                }
            }
            total += n;
        }
        return total;
    }
}
