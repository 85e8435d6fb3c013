package dev.backfill.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects that keep a column from being changed online by a modify-column reorg (issue #4,
 * section 4, "before the cut-over"). The cut-over renames the old column away and the shadow column
 * into its place; an object that refers to the old column by its attribute number would silently
 * keep referring to the old column (a view, a policy, a generated column, a CHECK constraint, a
 * trigger), or would need the same rebuild as the column itself (a foreign key, a publication's
 * column list or row filter, a statistics object). Handling those is future work, so
 * modify-column's prepare refuses such a column up front, and its finalizer checks again before the
 * cut-over, with a message listing every dependent.
 *
 * <p>Read from the catalogs ({@code pg_depend} and the objects' own catalogs), for the table
 * itself: partitions are not looked at separately. Not blockers, and not listed: indexes and the
 * PRIMARY KEY / UNIQUE constraints they back (rebuilt on the shadow column, see {@link
 * ShadowIndexes}), the column's default and NOT NULL (carried over by the cut-over), and a sequence
 * the column owns.
 */
public final class ColumnDependents {
    private ColumnDependents() {}

    /*
     * When integrated, this query belongs in SqlBuilder (e.g. SqlBuilder.columnDependents(boolean)).
     * Parameters, in each branch that uses the CTE: the table (regclass text) and the column's name.
     * Every branch yields (kind order, description), descriptions use unquoted names for messages.
     */
    private static final String TARGET =
            "WITH target AS (SELECT a.attrelid AS rel, a.attnum AS num,"
                    + " n.nspname || '.' || c.relname AS tname"
                    + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE a.attrelid = ?::regclass AND a.attname = ? AND a.attnum > 0"
                    + " AND NOT a.attisdropped)\n";

    /**
     * {@code pg_depend} rows from an object of catalog {@code cls} (oid {@code obj}) on the column.
     */
    private static String dependsOnColumn(String cls, String obj) {
        return "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '"
                + cls
                + "'::regclass AND d.objid = "
                + obj
                + " AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.rel"
                + " AND d.refobjsubid = t.num)";
    }

    static String query(boolean publicationColumns) {
        List<String> branches = new ArrayList<>();
        // Views and materialized views: their _RETURN rule depends on the column. Other rules on
        // the table itself (CREATE RULE ... ON t) too.
        branches.add(
                "SELECT DISTINCT 1 AS ord, CASE WHEN v.oid = t.rel THEN 'rule ' || r.rulename"
                        + " || ' on ' || t.tname WHEN v.relkind = 'm' THEN 'materialized view '"
                        + " || vn.nspname || '.' || v.relname ELSE 'view ' || vn.nspname || '.'"
                        + " || v.relname END AS what FROM target t JOIN pg_depend d"
                        + " ON d.classid = 'pg_rewrite'::regclass"
                        + " AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.rel"
                        + " AND d.refobjsubid = t.num"
                        + " JOIN pg_rewrite r ON r.oid = d.objid"
                        + " JOIN pg_class v ON v.oid = r.ev_class"
                        + " JOIN pg_namespace vn ON vn.oid = v.relnamespace");
        // Foreign keys, on either side; only the top constraint of a partitioned one.
        branches.add(
                "SELECT 2, 'foreign key ' || k.conname || ' on ' || kn.nspname || '.'"
                        + " || kr.relname FROM target t JOIN pg_constraint k ON k.contype = 'f'"
                        + " AND k.conparentid = 0 AND ((k.conrelid = t.rel AND t.num = ANY (k.conkey))"
                        + " OR (k.confrelid = t.rel AND t.num = ANY (k.confkey)))"
                        + " JOIN pg_class kr ON kr.oid = k.conrelid"
                        + " JOIN pg_namespace kn ON kn.oid = kr.relnamespace");
        // Generated columns: the generated column (or its pg_attrdef entry) depends on the column.
        branches.add(
                "SELECT 3, 'generated column ' || g.attname || ' of ' || t.tname FROM target t"
                        + " JOIN pg_attribute g ON g.attrelid = t.rel AND g.attgenerated <> ''"
                        + " AND g.attnum > 0 AND NOT g.attisdropped AND g.attnum <> t.num"
                        + " WHERE EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid ="
                        + " 'pg_class'::regclass AND d.refobjid = t.rel AND d.refobjsubid = t.num"
                        + " AND ((d.classid = 'pg_class'::regclass AND d.objid = t.rel"
                        + " AND d.objsubid = g.attnum) OR (d.classid = 'pg_attrdef'::regclass"
                        + " AND d.objid IN (SELECT ad.oid FROM pg_attrdef ad"
                        + " WHERE ad.adrelid = t.rel AND ad.adnum = g.attnum))))");
        if (publicationColumns) {
            // PostgreSQL 15+: a publication's column list (prattrs) or row filter (prqual).
            branches.add(
                    "SELECT DISTINCT 4, 'publication ' || p.pubname FROM target t"
                            + " JOIN pg_publication_rel pr ON pr.prrelid = t.rel"
                            + " JOIN pg_publication p ON p.oid = pr.prpubid"
                            + " WHERE t.num = ANY (pr.prattrs::int2[]) OR "
                            + dependsOnColumn("pg_publication_rel", "pr.oid"));
        }
        // Extended statistics: on the column, or on an expression over it (PostgreSQL 14+).
        branches.add(
                "SELECT 5, 'statistics object ' || sn.nspname || '.' || s.stxname FROM target t"
                        + " JOIN pg_statistic_ext s ON s.stxrelid = t.rel"
                        + " JOIN pg_namespace sn ON sn.oid = s.stxnamespace"
                        + " WHERE t.num = ANY (s.stxkeys::int2[]) OR "
                        + dependsOnColumn("pg_statistic_ext", "s.oid"));
        // Row-level security policies whose USING or WITH CHECK expression reads the column.
        branches.add(
                "SELECT 6, 'policy ' || p.polname || ' on ' || t.tname FROM target t"
                        + " JOIN pg_policy p ON p.polrelid = t.rel WHERE "
                        + dependsOnColumn("pg_policy", "p.oid"));
        // CHECK constraints: they would stay on the old column and stop checking the new one.
        branches.add(
                "SELECT 7, 'check constraint ' || k.conname || ' on ' || t.tname FROM target t"
                        + " JOIN pg_constraint k ON k.conrelid = t.rel AND k.contype = 'c'"
                        + " AND k.conparentid = 0 AND t.num = ANY (k.conkey)");
        // Triggers: UPDATE OF the column, or a WHEN condition over it (not Backfill's own).
        branches.add(
                "SELECT 8, 'trigger ' || g.tgname || ' on ' || t.tname FROM target t"
                        + " JOIN pg_trigger g ON g.tgrelid = t.rel AND NOT g.tgisinternal"
                        + " WHERE t.num = ANY (g.tgattr::int2[]) OR "
                        + dependsOnColumn("pg_trigger", "g.oid"));
        return TARGET + String.join("\nUNION ALL ", branches) + "\nORDER BY 1, 2";
    }

    /**
     * The objects that block an online type change of {@code column}, in a fixed order (views and
     * rules, foreign keys, generated columns, publications, statistics objects, policies, CHECK
     * constraints, triggers), each described for a message, e.g. {@code view shop.v_totals}, {@code
     * foreign key orders_fk on shop.lines}, {@code statistics object shop.st1}. Empty when nothing
     * blocks it (indexes do not: they are rebuilt). Called by modify-column's prepare (issue #4)
     * through {@link #check}.
     *
     * @throws TableInfo.TableException when the column does not exist in the table
     */
    public static List<String> find(Connection c, TableInfo table, String column)
            throws SQLException {
        String sql = query(c.getMetaData().getDatabaseMajorVersion() >= 15);
        List<String> out = new ArrayList<>();
        boolean exists;
        try (PreparedStatement ps =
                c.prepareStatement(
                        "SELECT count(*) FROM pg_attribute WHERE attrelid = ?::regclass"
                                + " AND attname = ? AND attnum > 0 AND NOT attisdropped")) {
            ps.setString(1, table.quotedName());
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exists = rs.getLong(1) > 0;
            }
        }
        if (!exists) {
            throw new TableInfo.TableException(
                    "column " + column + " does not exist in table " + table.displayName());
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, table.quotedName());
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(2));
                }
            }
        }
        return out;
    }

    /**
     * Fails when {@link #find} lists anything, with one message naming the column, the table and
     * every dependent, e.g. {@code column amount of shop.orders cannot be changed online: it is
     * used by view shop.v_totals, foreign key orders_fk on shop.lines; handling these is future
     * work}. Called by modify-column's prepare, before it adds the shadow column, and again by its
     * finalizer before the cut-over (issue #4).
     */
    public static void check(Connection c, TableInfo table, String column) throws SQLException {
        List<String> found = find(c, table, column);
        if (!found.isEmpty()) {
            throw new TableInfo.TableException(message(table, column, found));
        }
    }

    static String message(TableInfo table, String column, List<String> found) {
        return "column "
                + column
                + " of "
                + table.displayName()
                + " cannot be changed online: it is used by "
                + String.join(", ", found)
                + "; handling these is future work";
    }
}
