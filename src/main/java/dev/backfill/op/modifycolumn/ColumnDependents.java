package dev.backfill.op.modifycolumn;

import dev.backfill.db.TableInfo;

import org.apache.flink.annotation.Internal;

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
@Internal
public final class ColumnDependents {
    private ColumnDependents() {}

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
        String sql = ColumnSql.columnDependents(c.getMetaData().getDatabaseMajorVersion() >= 15);
        List<String> out = new ArrayList<>();
        boolean exists;
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.columnCount())) {
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
