package dev.backfill.op.modifycolumn;

import dev.backfill.db.DdlLockWait;
import dev.backfill.db.Identifiers;
import dev.backfill.db.Retry;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.op.Finishing;
import dev.backfill.op.Verification;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What a verified modify-column needs before it is {@code ready} (issue #4, steps 3 and 4): the
 * shadow column verified, no dependent on the column that the cut-over could not carry over, every
 * index that covers the column rebuilt on the shadow column with {@code CREATE INDEX CONCURRENTLY},
 * and NOT NULL proven with a validated CHECK. Each step is idempotent. A step that cannot succeed
 * fails the reorg ({@link Finishing#fail}).
 */
final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private Readiness() {}

    /** The steps, in order, on the finalizer's connection; throws when one fails the reorg. */
    static void check(Finishing f, ShadowColumn sc, Verification.Result result)
            throws SQLException, InterruptedException {
        if (!result.ok()) {
            throw f.fail(result.toString());
        }
        Connection c = f.connection();
        try {
            ColumnDependents.check(c, sc.table(), sc.column().name());
            c.commit();
        } catch (TableInfo.TableException e) {
            throw f.fail(e.getMessage());
        }
        rebuildIndexes(f, sc);
        if (sc.column().notNull()) {
            proveNotNull(f, sc);
        }
    }

    /**
     * Rebuilds every index that covers the column on the shadow column, CONCURRENTLY, under its
     * temporary name, after dropping INVALID leftovers of an earlier attempt; a valid one from an
     * earlier attempt is kept. A unique index whose new values collide fails the reorg.
     */
    private static void rebuildIndexes(Finishing f, ShadowColumn sc)
            throws SQLException, InterruptedException {
        Connection c = f.connection();
        Retry retry = f.retry();
        String reorgId = f.plan().reorgId();
        List<ShadowIndexes.Planned> planned;
        try {
            planned = ShadowIndexes.plan(c, sc);
            c.commit();
        } catch (TableInfo.TableException e) {
            throw f.fail(e.getMessage());
        }
        c.setAutoCommit(true);
        try {
            List<String> dropped =
                    retry.call(
                            "dropping invalid indexes of reorg " + reorgId,
                            () -> ShadowIndexes.dropInvalid(c, sc));
            if (!dropped.isEmpty()) {
                LOG.info(
                        "reorg {}: dropped INVALID indexes left by an earlier attempt: {}",
                        reorgId,
                        dropped);
            }
            for (ShadowIndexes.Planned p : planned) {
                if (valid(c, Identifiers.qualified(sc.table().schema(), p.tempName()))) {
                    continue;
                }
                LOG.info(
                        "reorg {}: rebuilding index {} on {} as {}",
                        reorgId,
                        p.indexName(),
                        sc.shadowName(),
                        p.tempName());
                try {
                    retry.call(
                            "rebuilding index " + p.indexName() + " of reorg " + reorgId,
                            () -> {
                                ShadowIndexes.dropInvalid(c, sc);
                                try (Statement st = c.createStatement()) {
                                    st.execute(p.create());
                                }
                                return null;
                            });
                } catch (SQLException e) {
                    if (SqlErrors.isUniqueViolation(e)) {
                        ShadowIndexes.dropInvalid(c, sc);
                        throw f.fail(
                                "cannot rebuild unique index "
                                        + p.indexName()
                                        + " on the new column: "
                                        + e.getMessage());
                    }
                    throw e;
                }
            }
        } finally {
            c.setAutoCommit(false);
        }
    }

    private static boolean valid(Connection c, String index) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.indexValid())) {
            ps.setString(1, index);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * NOT NULL without a long lock: {@code CHECK (shadow IS NOT NULL) NOT VALID} (a brief lock,
     * under lock_timeout), then {@code VALIDATE}, which scans without blocking reads or writes.
     */
    private static void proveNotNull(Finishing f, ShadowColumn sc)
            throws SQLException, InterruptedException {
        Connection c = f.connection();
        String reorgId = f.plan().reorgId();
        List<String> steps = ColumnSql.prepareNotNull(sc);
        long timeout = f.plan().spec().tuning().lockTimeout().toMillis();
        for (int i = 0; i < steps.size(); i++) {
            String sql = steps.get(i);
            boolean add = i == 0;
            DdlLockWait wait =
                    new DdlLockWait(
                            (add ? "adding" : "validating")
                                    + " the NOT NULL check of reorg "
                                    + reorgId,
                            sc.table().quotedName(),
                            timeout);
            try {
                f.retry()
                        .call(
                                (add ? "adding" : "validating")
                                        + " the NOT NULL check of reorg "
                                        + reorgId,
                                () -> {
                                    try (Statement st = c.createStatement()) {
                                        wait.setLocal(c);
                                        if (add && constraintExists(c, sc)) {
                                            c.commit();
                                            return null;
                                        }
                                        st.execute(sql);
                                        c.commit();
                                        return null;
                                    } catch (SQLException e) {
                                        c.rollback();
                                        wait.afterFailure(c, e);
                                        throw e;
                                    }
                                });
            } catch (SQLException e) {
                if (SqlErrors.isCheckViolation(e)) {
                    throw f.fail(
                            "column "
                                    + sc.column().name()
                                    + " is NOT NULL but its new value is NULL in some rows: "
                                    + e.getMessage());
                }
                throw e;
            }
        }
    }

    private static boolean constraintExists(Connection c, ShadowColumn sc) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.constraintExists())) {
            ps.setString(1, sc.table().quotedName());
            ps.setString(2, sc.notNullConstraint());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
