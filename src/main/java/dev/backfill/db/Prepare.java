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
        String def = plan.table().displayName() + "\n" + plan.spec().operation().key() + "\n";
        if (plan.isModifyColumn()) {
            var m = plan.spec().modifyColumn();
            def +=
                    m.column()
                            + "\n"
                            + m.type()
                            + "\n"
                            + m.using()
                            + "\n"
                            + m.converter()
                            + "\n"
                            + m.converterOptions();
        } else {
            def +=
                    plan.index().name()
                            + "\n"
                            + plan.index().indexedNames()
                            + "\n"
                            + plan.index().unique();
        }
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
            estimate = estimateRows(c, plan.table());
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
                                if (plan.isModifyColumn()) {
                                    createShadow(c, plan);
                                } else {
                                    createIndexTable(c, plan);
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
                                wait.afterFailure(c, e);
                                throw e;
                            }
                        });
        LOG.info("reorg {}: write-only: {} and its triggers are in place", plan.reorgId(), target);
    }

    /**
     * Fails when what prepare creates is taken already: the index table's name (add-index), or the
     * shadow column's name (modify-column). Reads only; also used by {@code plan}.
     */
    public static void checkTargetFree(Connection c, ReorgPlan plan) throws SQLException {
        if (!plan.isModifyColumn()) {
            if (relationExists(c, plan.index().quotedName())) {
                throw new TableInfo.TableException(
                        "cannot create index table "
                                + plan.index().displayName()
                                + ": a relation of that name already exists");
            }
            return;
        }
        ShadowColumn sc = plan.shadow();
        try (PreparedStatement ps = c.prepareStatement(SqlBuilder.columnExists())) {
            ps.setString(1, sc.table().quotedName());
            ps.setString(2, sc.shadowName());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    throw new TableInfo.TableException(
                            "cannot add column "
                                    + sc.shadowName()
                                    + " to "
                                    + sc.table().displayName()
                                    + ": a column of that name already exists (left by another"
                                    + " reorg of this column? abort it first)");
                }
            }
        }
    }

    private static void createIndexTable(Connection c, ReorgPlan plan) throws SQLException {
        checkTargetFree(c, plan);
        try (Statement st = c.createStatement()) {
            for (String sql : SqlBuilder.createIndexTable(plan.index())) {
                st.execute(sql);
            }
            // The write-only sink's tombstones (Tombstones), unless the table cannot have them.
            boolean tombstones = plan.index().writeOnlyEligible();
            if (tombstones) {
                for (String sql : SqlBuilder.addTombstones(plan.index())) {
                    st.execute(sql);
                }
            }
            for (String sql : SqlBuilder.createTriggers(plan.index(), tombstones)) {
                st.execute(sql);
            }
            for (String sql : SqlBuilder.enableAlwaysTriggers(plan.index())) {
                st.execute(sql);
            }
            if (plan.table().partitioned()) {
                createPartitionGuards(st, plan.index());
            }
        }
    }

    /**
     * The leaf TRUNCATE triggers and the event triggers that keep a global index exact under
     * partition DDL ({@link SqlBuilder#createPartitionGuards}). Event triggers need a superuser;
     * without them ATTACH, DETACH and DROP of a partition would silently bypass the index, so
     * prepare refuses the table instead.
     */
    private static void createPartitionGuards(Statement st, IndexTable index) throws SQLException {
        for (String sql : SqlBuilder.createPartitionGuards(index)) {
            try {
                st.execute(sql);
            } catch (SQLException e) {
                if (SqlErrors.isInsufficientPrivilege(e)
                        && sql.startsWith("CREATE EVENT TRIGGER")) {
                    throw new TableInfo.TableException(
                            "add-index on the partitioned table "
                                    + index.table().displayName()
                                    + " needs a superuser: it creates event triggers ("
                                    + index.ddlEventTrigger()
                                    + ", "
                                    + index.dropEventTrigger()
                                    + ") that keep the global index "
                                    + index.displayName()
                                    + " exact under ATTACH, DETACH and DROP of partitions, and"
                                    + " PostgreSQL lets only superusers create them ("
                                    + e.getMessage()
                                    + "); run the reorg as a superuser");
                }
                throw e;
            }
        }
    }

    /**
     * The shadow column (no rewrite), the check of the {@code using} expression, and the BEFORE
     * trigger that keeps the shadow equal to it from this commit on; refused when an application
     * BEFORE trigger would fire after it ({@link TriggerOrder}).
     */
    private static void createShadow(Connection c, ReorgPlan plan) throws SQLException {
        ShadowColumn sc = plan.shadow();
        checkTargetFree(c, plan);
        try (Statement st = c.createStatement()) {
            st.execute(SqlBuilder.addShadowColumn(sc));
            // A prepared statement: one statement, run with the extended protocol.
            try (PreparedStatement check = c.prepareStatement(SqlBuilder.checkUsing(sc))) {
                check.execute();
            } catch (SQLException e) {
                if (SqlErrors.isSyntaxOrDataError(e)) {
                    throw new TableInfo.TableException(
                            "modify-column: the new value "
                                    + sc.using()
                                    + " cannot be stored as "
                                    + sc.type()
                                    + ": "
                                    + e.getMessage());
                }
                throw e;
            }
            for (String sql : SqlBuilder.createShadowTrigger(sc, plan.converter() != null)) {
                st.execute(sql);
            }
            st.execute(SqlBuilder.enableAlwaysShadowTrigger(sc));
        }
        // In the same transaction, so that a refusal leaves nothing behind.
        TriggerOrder.check(c, sc, "modify-column prepare of reorg " + plan.reorgId());
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

    /** Whether a relation of that (quoted, possibly qualified) name exists. */
    public static boolean relationExists(Connection c, String quotedName) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SqlBuilder.relationExists())) {
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
