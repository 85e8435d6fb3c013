package dev.backfill.db;

import dev.backfill.db.TableInfo.Column;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * SQL of key ranges and keyset scans: the pages a reader reads, the splitter's boundaries, the key
 * range of a split, and the text-form helpers every builder shares. Pure string building, no
 * database. Values are always bound as parameters (in PostgreSQL text form, cast to the column's
 * type with {@code ?::type}); identifiers always go through {@link Identifiers}. The SQL of the
 * catalog is in {@link CatalogSql}, of tables in {@link TableSql}, of sessions and locks in {@link
 * SessionSql}, of triggers in {@link TriggerSql}; each operation's SQL lives with the operation.
 *
 * <p>Exact means byte-exact. Values are read as text produced by a SQL cast ({@code col::text},
 * under {@link Connections#CANONICAL_SETTINGS}), never decoded by the driver, and every comparison
 * that decides whether a value is still the one read, or whether two copies agree, compares
 * representations ({@code ::text} in Backfill's sessions, the record image {@code *<>} in triggers,
 * which run in the application's sessions), never the type's equality: {@code 1.0} and {@code
 * 1.000}, {@code '1 day'} and {@code '24 hours'}, {@code 0} and {@code -0} are different values to
 * Backfill. Keys are matched with the key's equality (it is the row's identity), and the key's
 * representation is compared too.
 *
 * <p>Key ranges use row comparisons, {@code (k1, k2) > (?, ?)}, which PostgreSQL answers from the
 * primary key's B-tree for any number and type of key columns.
 */
@Internal
public final class KeySql {
    private KeySql() {}

    /** {@code t."a"::text, t."b"::text}: columns in their text form. */
    static String textList(String alias, List<String> names) {
        StringJoiner j = new StringJoiner(", ");
        for (String n : names) {
            j.add((alias == null ? "" : alias + ".") + Identifiers.quote(n) + "::text");
        }
        return j.toString();
    }

    /**
     * {@code a::text COLLATE "C"}: an expression's text form, compared byte for byte. A text cast
     * keeps the column's collation, and under a nondeterministic (case-insensitive) collation
     * {@code 'ABC' = 'abc'}; {@code "C"} is deterministic, so its equality is byte equality.
     */
    public static String textOf(String expr) {
        return expr + "::text COLLATE \"C\"";
    }

    /**
     * {@code a::text IS NOT DISTINCT FROM b::text}, byte for byte ({@link #textOf}): the
     * representation comparison of two expressions, for Backfill's own sessions (canonical
     * settings).
     */
    public static String sameText(String a, String b) {
        return textOf(a) + " IS NOT DISTINCT FROM " + textOf(b);
    }

    /** {@code (t."k1", t."k2")} or {@code t."k1"} for a single column. */
    public static String keyTuple(String alias, List<Column> key) {
        List<String> names = new ArrayList<>();
        for (Column c : key) {
            names.add(c.name());
        }
        String list = Identifiers.list(alias, names);
        return key.size() == 1 ? list : "(" + list + ")";
    }

    /** {@code (?::bigint, ?::text)}: one parameter per key column, cast to its type. */
    public static String keyParams(List<Column> key) {
        StringJoiner j =
                new StringJoiner(", ", key.size() == 1 ? "" : "(", key.size() == 1 ? "" : ")");
        for (Column c : key) {
            j.add("?::" + c.type());
        }
        return j.toString();
    }

    public static String orderBy(String alias, List<Column> key, boolean descending) {
        StringJoiner j = new StringJoiner(", ");
        for (Column c : key) {
            j.add(
                    (alias == null ? "" : alias + ".")
                            + Identifiers.quote(c.name())
                            + (descending ? " DESC" : ""));
        }
        return j.toString();
    }

    /**
     * One keyset page of a split: {@code SELECT key..., values... FROM phys WHERE key > ? AND key
     * <= ? ORDER BY key LIMIT ?}. Parameters: the lower bound's key values (when {@code hasLower}),
     * the upper bound's, then the limit.
     */
    public static String readPage(
            String quotedPhysical, List<Column> key, List<Column> values, boolean hasLower) {
        List<String> cols = names(key);
        cols.addAll(names(values));
        return keyScan(quotedPhysical, cols, key, hasLower, true, false) + " LIMIT ?";
    }

    /**
     * The key {@code offset} rows after the lower bound: the end of the next split. Parameters: the
     * lower bound (when {@code hasLower}), then the offset.
     */
    public static String splitBoundary(String quotedPhysical, List<Column> key, boolean hasLower) {
        return keyScan(quotedPhysical, names(key), key, hasLower, false, false)
                + " OFFSET ? LIMIT 1";
    }

    /** The largest key after the lower bound: the end of a table's last split. */
    public static String lastKey(String quotedPhysical, List<Column> key, boolean hasLower) {
        return keyScan(quotedPhysical, names(key), key, hasLower, false, true) + " LIMIT 1";
    }

    /**
     * {@code SELECT cols::text FROM source t WHERE <key range> ORDER BY key}: every keyset scan.
     * Every column is read in its text form, made by the server under the canonical settings, so
     * that no driver decoding (binary after five executions) or session setting can change a value
     * on its way to Flink.
     */
    private static String keyScan(
            String source,
            List<String> cols,
            List<Column> key,
            boolean hasLower,
            boolean hasUpper,
            boolean descending) {
        return "SELECT "
                + textList("t", cols)
                + " FROM "
                + source
                + " t"
                + keyRange("t", key, hasLower, hasUpper)
                + " ORDER BY "
                + orderBy("t", key, descending);
    }

    /** {@code WHERE key > ? AND key <= ?}, either bound optional; empty when both are absent. */
    public static String keyRange(
            String alias, List<Column> key, boolean hasLower, boolean hasUpper) {
        List<String> parts = new ArrayList<>();
        if (hasLower) {
            parts.add(keyTuple(alias, key) + " > " + keyParams(key));
        }
        if (hasUpper) {
            parts.add(keyTuple(alias, key) + " <= " + keyParams(key));
        }
        return parts.isEmpty() ? "" : " WHERE " + String.join(" AND ", parts);
    }

    /**
     * The row count of the table as verification reads it ({@link #verificationSource}) in a key
     * range; parameters: the lower bound's key columns if {@code hasLower}, then the upper's if
     * {@code hasUpper} (see {@link #keyRange}).
     */
    public static String countInRange(TableInfo table, boolean hasLower, boolean hasUpper) {
        return "SELECT count(*) FROM "
                + verificationSource(table)
                + keyRange(null, table.keyColumns(), hasLower, hasUpper);
    }

    /** A key as text for messages: {@code 42}, or {@code (42,abc)} for a composite key. */
    public static String keyTextExpr(String alias, List<Column> key) {
        return keyTuple(alias, key) + "::text";
    }

    /**
     * The table as verification reads it: with its partitions, without inheritance children (the
     * scan reads each physical table with ONLY too, see {@link TableInfo#scanSource}).
     */
    public static String verificationSource(TableInfo table) {
        return table.partitioned() ? table.quotedName() : "ONLY " + table.quotedName();
    }

    public static List<String> names(List<Column> cols) {
        List<String> out = new ArrayList<>();
        for (Column c : cols) {
            out.add(c.name());
        }
        return out;
    }
}
