package dev.backfill.op.modifycolumn;

import dev.backfill.db.Identifiers;
import dev.backfill.db.TableInfo;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a modify-column's shadow trigger the last BEFORE row trigger of its table (issue #9, defect
 * 7). PostgreSQL fires the BEFORE row triggers of one table in the byte order of their names; the
 * shadow trigger ({@link ShadowColumn#trigger()}, {@code ~backfill_<hash>_shadow}) computes the new
 * value from the row as the earlier triggers left it, so an application trigger that fires after it
 * and rewrites the column would leave the shadow column stale. Prepare checks right after creating
 * the trigger, in its transaction, and the cut-over checks again under its lock (a trigger created
 * since prepare); both refuse with the trigger's name.
 */
@Internal
public final class TriggerOrder {
    private TriggerOrder() {}

    /** Refused: an application BEFORE trigger fires after the shadow trigger. */
    public static final class LaterTriggerException extends TableInfo.TableException {
        private static final long serialVersionUID = 1L;

        public LaterTriggerException(String message) {
            super(message);
        }
    }

    /**
     * The application's BEFORE INSERT/UPDATE row triggers that fire after the shadow trigger, each
     * as {@code "name" on table}; empty when there are none. Before prepare, the name the shadow
     * trigger will have is used (the dry run's check).
     */
    public static List<String> later(Connection c, ShadowColumn sc) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.laterBeforeTriggers())) {
            ps.setString(1, sc.table().quotedName());
            ps.setString(2, sc.table().quotedName());
            ps.setString(3, Identifiers.qualified("backfill", sc.triggerFunction()) + "()");
            ps.setString(4, sc.trigger());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(Identifiers.quote(rs.getString(1)) + " on " + rs.getString(2));
                }
            }
        }
        return out;
    }

    /**
     * Fails, naming each trigger and what to do, when {@link #later} finds any. {@code when} says
     * what is refused, e.g. {@code "prepare"}.
     */
    public static void check(Connection c, ShadowColumn sc, String when) throws SQLException {
        List<String> found = later(c, sc);
        if (!found.isEmpty()) {
            throw new LaterTriggerException(
                    when
                            + " refused: BEFORE row trigger "
                            + String.join(", ", found)
                            + " would fire after Backfill's shadow trigger "
                            + Identifiers.quote(sc.trigger())
                            + " (PostgreSQL fires BEFORE triggers in the byte order of their names),"
                            + " so its changes to a row would not reach the new column "
                            + sc.shadowName()
                            + "; rename it to a name that sorts before "
                            + Identifiers.quote(sc.trigger())
                            + " (any name starting with a letter, digit or underscore does, e.g."
                            + " ALTER TRIGGER ... RENAME TO ...) or drop it");
        }
    }
}
