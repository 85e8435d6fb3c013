package dev.backfill.op.modifycolumn;

import dev.backfill.db.Identifiers;
import dev.backfill.db.TableInfo;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The indexes of a modify-column reorg (issue #4, section 4, "before the cut-over"): every index of
 * the table that covers the column being changed is rebuilt on the shadow column with {@code CREATE
 * INDEX CONCURRENTLY} under a temporary name, {@code _backfill_<short hash>_<n>}, and swapped in at
 * the cut-over. Called by modify-column's finalizer (plan, {@link #dropInvalid}, then each {@link
 * Planned#create()}) and by its cut-over ({@link Planned#dropOld()} and {@link Planned#promote()}).
 *
 * <p>The new definition is rebuilt from {@code pg_index} (key and INCLUDE columns, {@code
 * indoption} for DESC and NULLS FIRST/LAST, {@code indcollation}, {@code indclass}, the access
 * method, NULLS NOT DISTINCT, storage parameters and tablespace), never by rewriting the text of
 * {@code pg_get_indexdef}. So a covering expression index or partial index is refused (future
 * work), as are exclusion constraints, deferrable constraints and indexes on partitioned tables. An
 * operator class is written out only when it is not a default one (e.g. {@code text_pattern_ops});
 * a default one is left out so that the new type's default applies (an {@code integer} index's
 * {@code int4_ops} becomes {@code int8_ops} on {@code bigint}). A collation is written out only
 * when it differs from the column's own.
 */
@Internal
public final class ShadowIndexes {
    private ShadowIndexes() {}

    /**
     * One index to rebuild: its statement and what the cut-over must do with it.
     *
     * @param indexName the existing index (in the table's schema)
     * @param tempName its temporary replacement on the shadow column
     * @param constraintName the PRIMARY KEY or UNIQUE constraint the index backs, or null
     * @param create {@code CREATE [UNIQUE] INDEX CONCURRENTLY}: run outside a transaction block,
     *     before the cut-over
     * @param dropOld the cut-over's first step for this index, right after it locks the table and
     *     before it touches the columns: drop the old constraint, or the old index (a primary key
     *     must go before the old column's NOT NULL can be dropped)
     * @param promote the cut-over's last step, after the shadow column has its name and NOT NULL:
     *     {@code ADD CONSTRAINT ... USING INDEX} (which renames the index to the constraint's
     *     name), or rename the index to the old name; then its comment, replica identity and
     *     clustering
     */
    public record Planned(
            String indexName,
            String tempName,
            String constraintName,
            String create,
            List<String> dropOld,
            List<String> promote)
            implements Serializable {
        public Planned {
            dropOld = List.copyOf(dropOld);
            promote = List.copyOf(promote);
        }
    }

    /**
     * {@code _backfill_<short hash>_}: the start of every temporary index name of a reorg, from the
     * same hash of the reorg id as its other objects.
     */
    public static String tempPrefix(ShadowColumn sc) {
        String fn = sc.triggerFunction(); // backfill_<hash>_shadow
        return "_" + fn.substring(0, fn.length() - "shadow".length());
    }

    /** The temporary name of the {@code n}th planned index (from 1), at most 63 bytes. */
    public static String tempName(ShadowColumn sc, int n) {
        return tempPrefix(sc) + n;
    }

    /**
     * Plans the rebuild of every index of the table that covers {@code sc}'s column, in its key
     * columns, INCLUDE columns, expressions or predicate, in the order of their names; the {@code
     * n}th gets {@link #tempName tempName(sc, n)}. Indexes that do not cover the column are left
     * alone. Called by modify-column's finalizer before the cut-over, and again by the cut-over to
     * get the same names (issue #4).
     *
     * @throws TableInfo.TableException naming the index, for a covering index it cannot rebuild
     *     yet: an expression or partial index, an exclusion constraint, a deferrable constraint, or
     *     any index of a partitioned table
     */
    public static List<Planned> plan(Connection c, ShadowColumn sc) throws SQLException {
        TableInfo t = sc.table();
        String column = sc.column().name();
        boolean pg15 = c.getMetaData().getDatabaseMajorVersion() >= 15;
        List<Planned> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.coveringIndexes(pg15))) {
            ps.setString(1, t.quotedName());
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(planOne(c, sc, rs, out.size() + 1));
                }
            }
        }
        return out;
    }

    private static Planned planOne(Connection c, ShadowColumn sc, ResultSet rs, int n)
            throws SQLException {
        TableInfo t = sc.table();
        long oid = rs.getLong(1);
        String name = rs.getString(2);
        boolean unique = rs.getBoolean(3);
        boolean primary = rs.getBoolean(4);
        boolean exclusion = rs.getBoolean(5);
        boolean exprOrPartial = rs.getBoolean(6);
        int keyAtts = rs.getInt(7);
        String am = rs.getString(8);
        boolean ordered = rs.getBoolean(9);
        boolean nullsNotDistinct = rs.getBoolean(10);
        java.sql.Array relopts = rs.getArray(11);
        String tablespace = rs.getString(12);
        String constraint = rs.getString(13);
        String contype = rs.getString(14);
        boolean deferrable = rs.getBoolean(15);
        boolean replident = rs.getBoolean(16);
        boolean clustered = rs.getBoolean(17);
        String comment = rs.getString(18);
        String what = "index " + name + " on " + t.displayName();
        String future =
                " covers column "
                        + sc.column().name()
                        + " and cannot be rebuilt on the new column yet (future work)";
        if (t.partitioned()) {
            throw new TableInfo.TableException(what + " is on a partitioned table and" + future);
        }
        if (exprOrPartial) {
            throw new TableInfo.TableException(
                    what + " is an expression or partial index and" + future);
        }
        if (exclusion) {
            throw new TableInfo.TableException(
                    what + " backs exclusion constraint " + constraint + " and" + future);
        }
        if (constraint != null && deferrable) {
            throw new TableInfo.TableException(
                    what + " backs deferrable constraint " + constraint + " and" + future);
        }

        StringJoiner keys = new StringJoiner(", ");
        StringJoiner include = new StringJoiner(", ");
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.indexColumns())) {
            ps.setLong(1, oid);
            try (ResultSet cols = ps.executeQuery()) {
                int i = 0;
                while (cols.next()) {
                    String col = cols.getString(1);
                    String ref =
                            Identifiers.quote(
                                    col.equals(sc.column().name()) ? sc.shadowName() : col);
                    if (i++ >= keyAtts) {
                        include.add(ref);
                        continue;
                    }
                    keys.add(
                            ColumnSql.indexKey(
                                    ref,
                                    cols.getString(4),
                                    cols.getString(5),
                                    cols.getString(6),
                                    cols.getString(7),
                                    ordered,
                                    cols.getBoolean(2),
                                    cols.getBoolean(3)));
                }
            }
        }
        String temp = tempName(sc, n);
        String create =
                ColumnSql.createIndexConcurrently(
                        unique,
                        temp,
                        t.quotedName(),
                        am,
                        keys.toString(),
                        include.toString(),
                        nullsNotDistinct,
                        relopts == null ? null : (Object[]) relopts.getArray(),
                        tablespace);

        String table = t.quotedName();
        String oldIndex = Identifiers.qualified(t.schema(), name);
        List<String> dropOld = new ArrayList<>();
        List<String> promote = new ArrayList<>();
        if (constraint != null) {
            dropOld.add(ColumnSql.dropConstraint(table, constraint));
            promote.add(ColumnSql.addConstraintUsingIndex(table, constraint, contype, temp));
            if (!constraint.equals(name)) {
                promote.add(ColumnSql.renameIndex(t.schema(), constraint, name));
            }
        } else {
            dropOld.add(ColumnSql.dropIndex(oldIndex));
            promote.add(ColumnSql.renameIndex(t.schema(), temp, name));
        }
        if (comment != null) {
            promote.add(ColumnSql.commentOnIndex(oldIndex, comment));
        }
        if (replident) {
            promote.add(ColumnSql.replicaIdentityUsingIndex(table, name));
        }
        if (clustered) {
            promote.add(ColumnSql.clusterOn(table, name));
        }
        return new Planned(name, temp, constraint, create, dropOld, promote);
    }

    /**
     * Drops every INVALID index on the table under {@code sc}'s temporary names ({@link
     * #tempPrefix}): what a failed or interrupted {@code CREATE INDEX CONCURRENTLY} leaves behind
     * (e.g. a unique build over duplicate values). Each with {@code DROP INDEX CONCURRENTLY IF
     * EXISTS}, so {@code c} must be in autocommit mode. Returns the names dropped. Called by
     * modify-column's finalizer before it (re)builds the planned indexes, and by its abort (issue
     * #4).
     */
    public static List<String> dropInvalid(Connection c, ShadowColumn sc) throws SQLException {
        TableInfo t = sc.table();
        List<String> names = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.invalidIndexes())) {
            ps.setString(1, t.quotedName());
            ps.setString(2, tempPrefix(sc));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        if (names.isEmpty()) {
            return names;
        }
        if (!c.getAutoCommit()) {
            // CONCURRENTLY cannot run in a transaction block; committing the caller's would be a
            // surprise.
            throw new IllegalArgumentException("dropInvalid needs a connection in autocommit mode");
        }
        try (Statement s = c.createStatement()) {
            for (String n : names) {
                s.execute(ColumnSql.dropIndexConcurrently(t.schema(), n));
            }
        }
        return names;
    }
}
