package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import java.util.List;

/**
 * SQL shared by the operations' triggers and functions: the dollar-quote tag of their bodies,
 * {@code CREATE FUNCTION ... LANGUAGE plpgsql}, {@code ENABLE ALWAYS TRIGGER} and the record image
 * comparison a trigger uses to tell whether a value changed. Pure string building, no database.
 */
@Internal
public final class TriggerSql {
    private TriggerSql() {}

    /** Tag for the trigger function body; a quoted identifier containing it is refused. */
    public static final String BODY_TAG = "$backfill_trigger$";

    /**
     * {@code ROW(a...)::record *<> ROW(b...)::record}: true when any of the expressions differs in
     * its binary image (record image comparison), whatever the session's settings: for triggers,
     * which run in the application's sessions. A plain row comparison would use each type's
     * equality, and text forms depend on the session (extra_float_digits, DateStyle...).
     */
    public static String imageDistinct(List<String> a, List<String> b) {
        return "ROW("
                + String.join(", ", a)
                + ")::record *<> ROW("
                + String.join(", ", b)
                + ")::record";
    }

    public static String enableAlways(TableInfo t, String trigger) {
        return "ALTER TABLE "
                + t.quotedName()
                + " ENABLE ALWAYS TRIGGER "
                + Identifiers.quote(trigger);
    }

    /** {@code CREATE FUNCTION <signature> LANGUAGE plpgsql AS <body>}. */
    public static String plpgsql(String signature, String body) {
        return "CREATE FUNCTION "
                + signature
                + " LANGUAGE plpgsql AS "
                + BODY_TAG
                + "\n"
                + body
                + BODY_TAG;
    }
}
