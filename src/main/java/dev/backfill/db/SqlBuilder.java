package dev.backfill.db;

import dev.backfill.db.TableInfo.Column;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The one place SQL text is built. Pure string building, no database: every statement Backfill runs
 * against the user's table comes from here, so quoting and key handling are uniform and unit
 * tested. Values are always bound as parameters (in PostgreSQL text form, cast to the column's type
 * with {@code ?::type}); identifiers always go through {@link Identifiers}.
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
public final class SqlBuilder {
    private SqlBuilder() {}

    /** Tag for the trigger function body; a quoted identifier containing it is refused. */
    static final String BODY_TAG = "$backfill_trigger$";

    // ---------------------------------------------------------------- key ranges and scans

    /** {@code (t."k1", t."k2")} or {@code t."k1"} for a single column. */
    /**
     * {@code SET DateStyle = 'ISO, YMD' SET ...}: a function's {@link Connections#CANONICAL}
     * settings, so that the expression it evaluates gives the value Backfill's own sessions give (a
     * {@code using} like {@code ts::text} depends on TimeZone and DateStyle), whatever the session
     * of the application's write that fires it.
     */
    static String canonicalSettingsClause() {
        StringBuilder b = new StringBuilder();
        Connections.CANONICAL.forEach(
                (name, value) ->
                        b.append(" SET ")
                                .append(name)
                                .append(" = ")
                                .append(Identifiers.literal(value)));
        return b.toString();
    }

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
    static String textOf(String expr) {
        return expr + "::text COLLATE \"C\"";
    }

    /**
     * {@code a::text IS NOT DISTINCT FROM b::text}, byte for byte ({@link #textOf}): the
     * representation comparison of two expressions, for Backfill's own sessions (canonical
     * settings).
     */
    static String sameText(String a, String b) {
        return textOf(a) + " IS NOT DISTINCT FROM " + textOf(b);
    }

    /**
     * {@code ROW(a...)::record *<> ROW(b...)::record}: true when any of the expressions differs in
     * its binary image (record image comparison), whatever the session's settings: for triggers,
     * which run in the application's sessions. A plain row comparison would use each type's
     * equality, and text forms depend on the session (extra_float_digits, DateStyle...).
     */
    static String imageDistinct(List<String> a, List<String> b) {
        return "ROW("
                + String.join(", ", a)
                + ")::record *<> ROW("
                + String.join(", ", b)
                + ")::record";
    }

    static String keyTuple(String alias, List<Column> key) {
        List<String> names = new ArrayList<>();
        for (Column c : key) {
            names.add(c.name());
        }
        String list = Identifiers.list(alias, names);
        return key.size() == 1 ? list : "(" + list + ")";
    }

    /** {@code (?::bigint, ?::text)}: one parameter per key column, cast to its type. */
    static String keyParams(List<Column> key) {
        StringJoiner j =
                new StringJoiner(", ", key.size() == 1 ? "" : "(", key.size() == 1 ? "" : ")");
        for (Column c : key) {
            j.add("?::" + c.type());
        }
        return j.toString();
    }

    static String orderBy(String alias, List<Column> key, boolean descending) {
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

    // ---------------------------------------------------------------- add-index batch

    /**
     * The add-index batch write, one statement: like TiDB's LockKeys + write in BackfillDataInTxn.
     * It unnests the batch (one {@code text[]} parameter per key column, then per indexed column,
     * in text form), locks each row of the physical table that still has exactly the values that
     * were read ({@code FOR SHARE}: a concurrent UPDATE or DELETE of that row waits for this short
     * transaction), and inserts those rows' entries with {@code ON CONFLICT (key) DO NOTHING}. A
     * row that changed or vanished since it was read is skipped: the write that changed it ran
     * after the triggers were in place, so its entry is already right. The update count is the
     * number of entries inserted.
     */
    public static String addIndexBatch(IndexTable index, String quotedPhysical) {
        List<Column> key = index.table().keyColumns();
        List<Column> vals = index.indexed();
        StringJoiner match = new StringJoiner(" AND ");
        for (int i = 0; i < key.size(); i++) {
            String col = "t." + Identifiers.quote(key.get(i).name());
            match.add(col + " = b.k" + i + "::" + key.get(i).type());
            match.add(textOf(col) + " = b.k" + i);
        }
        for (int i = 0; i < vals.size(); i++) {
            // The compare-and-set is on the value's text, as it was read: a row whose value
            // changed to an equal but different one (1.0 -> 1.000) was written under the
            // triggers, which already wrote its entry.
            match.add(
                    textOf("t." + Identifiers.quote(vals.get(i).name()))
                            + " IS NOT DISTINCT FROM b.v"
                            + i);
        }
        List<String> entry = names(index.entryColumns());
        return batchCte(index)
                + ", l AS (SELECT "
                + Identifiers.list("t", entry)
                + " FROM "
                + quotedPhysical
                + " t JOIN b ON "
                + match
                + " FOR SHARE OF t) INSERT INTO "
                + index.quotedName()
                + " ("
                + Identifiers.list(null, entry)
                + ") SELECT "
                + Identifiers.list("l", entry)
                + " FROM l ON CONFLICT ("
                + Identifiers.list(null, names(key))
                + ") DO NOTHING";
    }

    /**
     * The write-only add-index batch (issue #10): {@code INSERT INTO idx (entry...) SELECT
     * values::type, key::type FROM unnest(?::text[], ...) ON CONFLICT (key) DO NOTHING}, with no
     * re-read and no row lock; same parameters as {@link #addIndexBatch}, and the update count is
     * the number of entries inserted. Only for an index table with the tombstone marker, whose
     * triggers never remove an entry's tuple while the backfill runs ({@link #maintainBody} with
     * tombstones). Why it is exact, for a row read with value v (the reader's snapshot is taken
     * after prepare committed, so every write W that commits after that snapshot ran the triggers):
     *
     * <ul>
     *   <li><b>No write after the read.</b> No entry tuple for the key but the batch's own (or a
     *       replay's, rolled back whole by the watermark compare-and-set): the batch inserts (k,
     *       v), which is the row's value.
     *   <li><b>A write W committed before the batch inserts.</b> W's trigger left an entry tuple
     *       for k (live with the new value, or a tombstone): the key conflict makes the batch skip
     *       it, and W's entry, the newer one, stays. A later write upserts over it.
     *   <li><b>W in progress while the batch inserts.</b> If W's upsert came first, speculative
     *       insertion waits for W: W commits, the batch skips the key; W rolls back, the row is
     *       still v and the batch inserts (k, v) (an earlier committed write's tuple would have
     *       made it skip, with an entry that is right). If the batch's tuple came first, W's upsert
     *       waits for the batch and then updates its tuple: W's entry wins.
     *   <li><b>W runs after the batch committed.</b> Its upsert updates the batch's entry (READ
     *       COMMITTED). Under REPEATABLE READ, a W whose snapshot predates the batch's commit gets
     *       a serialization failure (40001) from ON CONFLICT on a tuple its snapshot cannot see,
     *       instead of acting on a stale view: the same guarantee the claim of the deleting form
     *       gives today ({@code TriggerRaceITCase}).
     *   <li><b>Deadlocks.</b> A batch and a multi-row writer that wait for each other's entry
     *       tuples are broken by PostgreSQL (40P01); the batch is retried by {@link Retry}, the
     *       writer sees the error its own retry handles, as with the row locks of the locking
     *       batch.
     *   <li><b>TRUNCATE.</b> The BEFORE TRUNCATE trigger ({@link #truncateBody}) turns every key of
     *       the table into a tombstone first, so batches read before it skip those keys.
     * </ul>
     *
     * Tombstones have NULL in every non-key indexed column, so the UNIQUE constraint (NULLS
     * DISTINCT) covers live entries only; a unique violation on it is a real duplicate between live
     * values, explained by {@link #addIndexDuplicates(IndexTable, String)}. The finalizer switches
     * the triggers to the deleting form, purges the tombstones and drops the marker before
     * verification ({@code Tombstones}).
     */
    public static String addIndexBatchWriteOnly(IndexTable index) {
        List<Column> key = index.table().keyColumns();
        List<Column> vals = index.indexed();
        List<String> entry = names(index.entryColumns());
        StringJoiner select = new StringJoiner(", ");
        for (Column c : index.entryColumns()) {
            int v = vals.indexOf(c);
            select.add(
                    v >= 0
                            ? "b.v" + v + "::" + c.type()
                            : "b.k" + key.indexOf(c) + "::" + c.type());
        }
        return batchCte(index)
                + " INSERT INTO "
                + index.quotedName()
                + " ("
                + Identifiers.list(null, entry)
                + ") SELECT "
                + select
                + " FROM b ON CONFLICT ("
                + Identifiers.list(null, names(key))
                + ") DO NOTHING";
    }

    /**
     * {@link #addIndexDuplicates(IndexTable)} for the write-only batch: it only reports a pair
     * whose batch row, read again under {@code FOR SHARE} (waiting for a writer in progress), still
     * has the value the batch shipped, and whose key has no entry tuple yet (the batch would skip
     * it). A row changed since its read gave a transient conflict that the retry resolves, as the
     * locking batch's re-read did. Tombstones never match: their values are NULL.
     */
    public static String addIndexDuplicates(IndexTable index, String quotedPhysical) {
        List<Column> key = index.table().keyColumns();
        List<Column> vals = index.indexed();
        StringJoiner match = new StringJoiner(" AND ");
        StringJoiner entryKey = new StringJoiner(" AND ");
        for (int i = 0; i < key.size(); i++) {
            String col = Identifiers.quote(key.get(i).name());
            match.add("t." + col + " = d.k" + i + "::" + key.get(i).type());
            entryKey.add("x." + col + " = d.k" + i + "::" + key.get(i).type());
        }
        for (int i = 0; i < vals.size(); i++) {
            match.add(
                    textOf("t." + Identifiers.quote(vals.get(i).name()))
                            + " IS NOT DISTINCT FROM d.v"
                            + i);
        }
        // The candidate pairs carry the batch row's key and values along (columns 4...).
        StringJoiner cols = new StringJoiner(", ");
        StringJoiner carried = new StringJoiner(", ");
        for (int i = 0; i < key.size(); i++) {
            cols.add("k" + i);
            carried.add("b.k" + i);
        }
        for (int i = 0; i < vals.size(); i++) {
            cols.add("v" + i);
            carried.add("b.v" + i);
        }
        return "SELECT d.dv, d.a, d.o FROM ("
                + duplicatePairs(index, ", " + carried)
                + ") AS d(dv, a, o, "
                + cols
                + ") WHERE NOT EXISTS (SELECT 1 FROM "
                + index.quotedName()
                + " x WHERE "
                + entryKey
                + ") AND EXISTS (SELECT 1 FROM "
                + quotedPhysical
                + " t WHERE "
                + match
                + " FOR SHARE) LIMIT 1";
    }

    /**
     * Explains a unique violation: for the batch (same parameters as {@link #addIndexBatch}),
     * returns rows {@code (values text, this key text, other key text)}: entries already in the
     * index table with the same non-NULL values and another key, and pairs within the batch.
     */
    public static String addIndexDuplicates(IndexTable index) {
        return duplicatePairs(index, "") + " LIMIT 1";
    }

    /**
     * The pairs of {@link #addIndexDuplicates(IndexTable)}, without a limit, each row followed by
     * {@code carried} (expressions over the batch row {@code b}).
     */
    private static String duplicatePairs(IndexTable index, String carried) {
        List<Column> key = index.table().keyColumns();
        List<Column> vals = index.indexed();
        StringJoiner valsEq = new StringJoiner(" AND ");
        StringJoiner valsNotNull = new StringJoiner(" AND ");
        StringJoiner valsEqBatch = new StringJoiner(" AND ");
        StringJoiner valsText = new StringJoiner(" || '-' || ");
        StringJoiner keyCast = new StringJoiner(", ");
        StringJoiner keyCast2 = new StringJoiner(", ");
        for (int i = 0; i < vals.size(); i++) {
            valsEq.add(
                    "i."
                            + Identifiers.quote(vals.get(i).name())
                            + " = b.v"
                            + i
                            + "::"
                            + vals.get(i).type());
            valsNotNull.add("b.v" + i + " IS NOT NULL");
            valsEqBatch.add(
                    "b2.v"
                            + i
                            + "::"
                            + vals.get(i).type()
                            + " = b.v"
                            + i
                            + "::"
                            + vals.get(i).type());
            valsText.add("b.v" + i);
        }
        for (int i = 0; i < key.size(); i++) {
            keyCast.add("b.k" + i + "::" + key.get(i).type());
            keyCast2.add("b2.k" + i + "::" + key.get(i).type());
        }
        String bKey = key.size() == 1 ? keyCast.toString() : "ROW(" + keyCast + ")";
        String b2Key = key.size() == 1 ? keyCast2.toString() : "ROW(" + keyCast2 + ")";
        String iKey = keyTuple("i", key);
        return batchCte(index)
                + " SELECT "
                + valsText
                + ", "
                + bKey
                + "::text, "
                + iKey
                + "::text"
                + carried
                + " FROM b JOIN "
                + index.quotedName()
                + " i ON "
                + valsEq
                + " AND "
                + iKey
                + " <> "
                + bKey
                + " WHERE "
                + valsNotNull
                + " UNION ALL SELECT "
                + valsText
                + ", "
                + bKey
                + "::text, "
                + b2Key
                + "::text"
                + carried
                + " FROM b JOIN b b2 ON "
                + valsEqBatch
                + " AND "
                + b2Key
                + " > "
                + bKey
                + " WHERE "
                + valsNotNull;
    }

    /**
     * {@code WITH b AS (SELECT * FROM unnest(?::text[], ...) AS b(k0.., v0..))}: an add-index batch
     * as a relation, one {@code text[]} parameter per key column, then per indexed column.
     */
    private static String batchCte(IndexTable index) {
        StringJoiner params = new StringJoiner(", ");
        StringJoiner aliases = new StringJoiner(", ");
        for (int i = 0; i < index.table().keyColumns().size(); i++) {
            params.add("?::text[]");
            aliases.add("k" + i);
        }
        for (int i = 0; i < index.indexed().size(); i++) {
            params.add("?::text[]");
            aliases.add("v" + i);
        }
        return "WITH b AS (SELECT * FROM unnest(" + params + ") AS b(" + aliases + "))";
    }

    // ---------------------------------------------------------------- verification

    /**
     * One key range's whole check, in one statement that reads each side once: the table's rows and
     * the index table's entries ({@code from (lower, upper]}) joined by a {@code FULL JOIN} on the
     * native key and every entry column's text ({@link #textOf}: by representation, key included).
     * A row with no entry of exactly its values is missing; an entry with no row of exactly its
     * values is dangling; a wrong entry is both. Returns rows {@code (kind, key text, count)}: kind
     * 0 once, with the number of rows in the range; kind 1, the first {@code limit} missing keys in
     * key order, each with the number missing; kind 2, the same for dangling entries. Parameters:
     * the table's bounds (lower when {@code hasLower}, then upper when {@code hasUpper}), then the
     * index table's. Both sides are read in key order by their primary keys; measured on 2M rows,
     * it costs about a quarter of the count and the two {@code EXCEPT} anti-joins it replaced.
     */
    public static String entryCheck(
            String quotedTable, IndexTable index, int limit, boolean hasLower, boolean hasUpper) {
        List<Column> key = index.table().keyColumns();
        List<String> entry = names(index.entryColumns());
        StringJoiner texts = new StringJoiner(", ");
        StringJoiner match = new StringJoiner(" AND ");
        for (Column k : key) {
            match.add("t." + Identifiers.quote(k.name()) + " = i." + Identifiers.quote(k.name()));
        }
        for (int n = 0; n < entry.size(); n++) {
            texts.add(textOf(Identifiers.quote(entry.get(n))) + " AS _backfill_t" + n);
            match.add("t._backfill_t" + n + " IS NOT DISTINCT FROM i._backfill_t" + n);
        }
        String cols = Identifiers.list(null, names(key)) + ", " + texts;
        String range = keyRange(null, key, hasLower, hasUpper);
        StringJoiner sides = new StringJoiner(", ");
        // ORDER BY names the input columns qualified: unqualified, it would take the output column
        // that the key's text cast inherits the name of, and order by text (1234 before 777).
        StringJoiner tKey = new StringJoiner(", ");
        StringJoiner iKey = new StringJoiner(", ");
        for (int n = 0; n < key.size(); n++) {
            String q = Identifiers.quote(key.get(n).name());
            sides.add("t." + q + " AS _backfill_tk" + n);
            sides.add("i." + q + " AS _backfill_ik" + n);
            tKey.add("d._backfill_tk" + n);
            iKey.add("d._backfill_ik" + n);
        }
        String tText = key.size() == 1 ? tKey + "::text" : "(" + tKey + ")::text";
        String iText = key.size() == 1 ? iKey + "::text" : "(" + iKey + ")::text";
        return "WITH d AS (SELECT "
                + sides
                + " FROM (SELECT "
                + cols
                + " FROM "
                + quotedTable
                + range
                + ") t FULL JOIN (SELECT "
                + cols
                + " FROM "
                + index.quotedName()
                + range
                + ") i ON "
                + match
                + ") SELECT 0, NULL::text, count(_backfill_tk0) FROM d"
                + " UNION ALL (SELECT 1, "
                + tText
                + ", count(*) OVER () FROM d WHERE _backfill_ik0 IS NULL ORDER BY "
                + tKey
                + " LIMIT "
                + limit
                + ") UNION ALL (SELECT 2, "
                + iText
                + ", count(*) OVER () FROM d WHERE _backfill_tk0 IS NULL ORDER BY "
                + iKey
                + " LIMIT "
                + limit
                + ")";
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
     * Repairs one key range of an index table, in the finalizer, after it has waited out older
     * transactions: the statements run in order in one short transaction. They lock the range's
     * rows and entries, delete entries that no row has exactly (dangling or stale), and insert the
     * missing ones. Each statement takes the range's bounds as parameters (see {@link #keyRange}).
     */
    public static List<String> repairRange(IndexTable index, boolean hasLower, boolean hasUpper) {
        List<Column> key = index.table().keyColumns();
        String table = verificationSource(index.table());
        String idx = index.quotedName();
        List<String> entry = names(index.entryColumns());
        // An entry is right when its row has exactly its values: the same text, key included.
        StringJoiner same = new StringJoiner(" AND ");
        for (String c : entry) {
            same.add(sameText("t." + Identifiers.quote(c), "i." + Identifiers.quote(c)));
        }
        String sameKey = keyTuple("t", key) + " = " + keyTuple("i", key);
        List<String> out = new ArrayList<>();
        out.add(
                "SELECT 1 FROM "
                        + table
                        + " t"
                        + keyRange("t", key, hasLower, hasUpper)
                        + " FOR SHARE");
        out.add(
                "SELECT 1 FROM "
                        + idx
                        + " i"
                        + keyRange("i", key, hasLower, hasUpper)
                        + " FOR UPDATE");
        out.add(
                "DELETE FROM "
                        + idx
                        + " i"
                        + keyRange("i", key, hasLower, hasUpper)
                        + (hasLower || hasUpper ? " AND" : " WHERE")
                        + " NOT EXISTS (SELECT 1 FROM "
                        + table
                        + " t WHERE "
                        + sameKey
                        + " AND "
                        + same
                        + ")");
        out.add(
                "INSERT INTO "
                        + idx
                        + " ("
                        + Identifiers.list(null, entry)
                        + ") SELECT "
                        + Identifiers.list("t", entry)
                        + " FROM "
                        + table
                        + " t"
                        + keyRange("t", key, hasLower, hasUpper)
                        + (hasLower || hasUpper ? " AND" : " WHERE")
                        + " NOT EXISTS (SELECT 1 FROM "
                        + idx
                        + " i WHERE "
                        + sameKey
                        + ") ON CONFLICT ("
                        + Identifiers.list(null, names(key))
                        + ") DO NOTHING");
        return out;
    }

    /**
     * Repairs one key range of a modify-column's shadow column, in the finalizer (repair mode),
     * after it has waited out older transactions: the statements run in order in one short
     * transaction. The first locks the range's rows; the second rewrites the shadow of every row in
     * the range whose shadow's text differs from its new value's text ({@code CAST(using AS
     * type)}), so a value equal but not identical is rewritten too. The update count of the second
     * is the number of rows repaired. The table's BEFORE trigger fires on it but leaves the shadow
     * alone (the source column does not change). Each statement takes the range's bounds as
     * parameters (see {@link #keyRange}).
     */
    public static List<String> repairShadowRange(
            ShadowColumn sc, boolean hasLower, boolean hasUpper) {
        TableInfo t = sc.table();
        List<Column> key = t.keyColumns();
        String alias = Identifiers.quote(t.name());
        String shadow = alias + "." + Identifiers.quote(sc.shadowName());
        String value = "CAST(" + sc.usingSql() + " AS " + sc.type() + ")";
        String range = keyRange(alias, key, hasLower, hasUpper);
        List<String> out = new ArrayList<>();
        out.add("SELECT 1 FROM " + verificationSource(t) + " AS " + alias + range + " FOR UPDATE");
        out.add(
                "UPDATE "
                        + verificationSource(t)
                        + " AS "
                        + alias
                        + " SET "
                        + Identifiers.quote(sc.shadowName())
                        + " = "
                        + value
                        + (range.isEmpty() ? " WHERE " : range + " AND ")
                        + "NOT ("
                        + sameText(shadow, value)
                        + ")");
        return out;
    }

    /** A key as text for messages: {@code 42}, or {@code (42,abc)} for a composite key. */
    static String keyTextExpr(String alias, List<Column> key) {
        return keyTuple(alias, key) + "::text";
    }

    /**
     * The table as verification reads it: with its partitions, without inheritance children (the
     * scan reads each physical table with ONLY too, see {@link TableInfo#scanSource}).
     */
    public static String verificationSource(TableInfo table) {
        return table.partitioned() ? table.quotedName() : "ONLY " + table.quotedName();
    }

    // ---------------------------------------------------------------- DDL

    /** {@code CREATE TABLE} for the index table and, if not unique, its values index. */
    public static List<String> createIndexTable(IndexTable index) {
        StringJoiner cols = new StringJoiner(", ");
        for (Column c : index.indexed()) {
            cols.add(Identifiers.quote(c.name()) + " " + c.declaredType());
        }
        for (Column c : index.extraKeyColumns()) {
            cols.add(Identifiers.quote(c.name()) + " " + c.declaredType() + " NOT NULL");
        }
        cols.add(
                "CONSTRAINT "
                        + Identifiers.quote(index.primaryKeyConstraint())
                        + " PRIMARY KEY ("
                        + Identifiers.list(null, names(index.table().keyColumns()))
                        + ")");
        if (index.unique()) {
            cols.add(
                    "CONSTRAINT "
                            + Identifiers.quote(index.valuesConstraint())
                            + " UNIQUE ("
                            + Identifiers.list(null, index.indexedNames())
                            + ")");
        }
        List<String> out = new ArrayList<>();
        out.add("CREATE TABLE " + index.quotedName() + " (" + cols + ")");
        if (!index.unique()) {
            out.add(
                    "CREATE INDEX "
                            + Identifiers.quote(index.valuesConstraint())
                            + " ON "
                            + index.quotedName()
                            + " ("
                            + Identifiers.list(null, index.indexedNames())
                            + ")");
        }
        return out;
    }

    /**
     * The trigger function and triggers that keep the index table exact from the moment they
     * commit: the write-only state. One statement per event, except a key change (delete the old
     * entry, upsert the new one). The UPDATE trigger only fires when an indexed or key column
     * changed ({@code WHEN}, evaluated without calling the function), by its binary image: a change
     * to an equal but different value ({@code 1.0 -> 1.000}, {@code -0 -> 0}, {@code 'A' -> 'a'} in
     * citext) fires it too.
     */
    public static List<String> createTriggers(IndexTable index) {
        return createTriggers(index, false);
    }

    /**
     * {@link #createTriggers(IndexTable)}, or with {@code tombstones} the write-only sink's form
     * ({@link #maintainBody}): the same triggers, but the TRUNCATE trigger fires BEFORE (it must
     * still see the keys it turns into tombstones); after the switch ({@link
     * #switchToDeletingTriggers}) its function empties the index table, which BEFORE or AFTER in
     * the same statement is the same.
     */
    public static List<String> createTriggers(IndexTable index, boolean tombstones) {
        TableInfo t = index.table();
        String idx = index.quotedName();
        String body = maintainBody(index, tombstones);
        String fn = Identifiers.qualified("backfill", index.triggerFunction());
        List<String> watched = new ArrayList<>(names(index.entryColumns()));
        List<String> out = new ArrayList<>();
        out.add(
                "CREATE FUNCTION "
                        + fn
                        + "() RETURNS trigger LANGUAGE plpgsql AS "
                        + BODY_TAG
                        + "\n"
                        + body
                        + BODY_TAG);
        out.add(
                "CREATE TRIGGER "
                        + Identifiers.quote(index.insertTrigger())
                        + " AFTER INSERT ON "
                        + t.quotedName()
                        + " FOR EACH ROW EXECUTE FUNCTION "
                        + fn
                        + "()");
        out.add(
                "CREATE TRIGGER "
                        + Identifiers.quote(index.updateTrigger())
                        + " AFTER UPDATE ON "
                        + t.quotedName()
                        + " FOR EACH ROW WHEN ("
                        + imageDistinct(
                                prefixedNames("OLD.", watched), prefixedNames("NEW.", watched))
                        + ") EXECUTE FUNCTION "
                        + fn
                        + "()");
        out.add(
                "CREATE TRIGGER "
                        + Identifiers.quote(index.deleteTrigger())
                        + " AFTER DELETE ON "
                        + t.quotedName()
                        + " FOR EACH ROW EXECUTE FUNCTION "
                        + fn
                        + "()");
        {
            // TRUNCATE fires no row triggers; empty the index table with it (also on a
            // partitioned table, where PostgreSQL fires it for a TRUNCATE of the parent).
            out.add(
                    "CREATE FUNCTION "
                            + Identifiers.qualified(
                                    "backfill", index.triggerFunction() + "_truncate")
                            + "() RETURNS trigger LANGUAGE plpgsql AS "
                            + BODY_TAG
                            + "\n"
                            + truncateBody(index, tombstones)
                            + BODY_TAG);
            out.add(
                    "CREATE TRIGGER "
                            + Identifiers.quote(index.truncateTrigger())
                            + (tombstones ? " BEFORE" : " AFTER")
                            + " TRUNCATE ON "
                            + t.quotedName()
                            + " FOR EACH STATEMENT EXECUTE FUNCTION "
                            + Identifiers.qualified(
                                    "backfill", index.triggerFunction() + "_truncate")
                            + "()");
        }
        return out;
    }

    /**
     * The body of the row trigger function. Without {@code tombstones}, today's deleting form:
     * INSERT and UPDATE upsert the entry, DELETE and the old key of a re-key claim and delete it.
     * With {@code tombstones}, the write-only sink's form ({@link #addIndexBatchWriteOnly}): no
     * write ever removes an entry's tuple; INSERT and UPDATE upsert the live entry (marker false),
     * DELETE and the old key of a re-key upsert a tombstone (the key, every other indexed column
     * NULL, marker true), so from the first write after prepare on, the key has an entry tuple that
     * a stale batch insert ({@code ON CONFLICT (key) DO NOTHING}) cannot overwrite.
     */
    static String maintainBody(IndexTable index, boolean tombstones) {
        if (tombstones) {
            return tombstoneBody(index);
        }
        TableInfo t = index.table();
        List<Column> key = t.keyColumns();
        List<String> entry = names(index.entryColumns());
        String idx = index.quotedName();
        String newVals = prefixed("NEW.", entry);
        String upsert =
                "INSERT INTO "
                        + idx
                        + " ("
                        + Identifiers.list(null, entry)
                        + ") VALUES ("
                        + newVals
                        + ") ON CONFLICT ("
                        + Identifiers.list(null, names(key))
                        // Every column is set, the key's too: a write that changes a value
                        // or the key only in representation (1.0 -> 1.000) must reach the entry.
                        + ") DO UPDATE SET "
                        + setExcluded(entry);
        // Before deleting the old entry, claim it with an insert that conflicts on any unique
        // constraint: under REPEATABLE READ, a conflict with an entry committed after the writer's
        // snapshot (a batch's) raises a serialization failure (40001) instead of the DELETE
        // silently missing that entry and leaving it stale. Under READ COMMITTED it does nothing
        // when the entry exists, and an entry it inserts is deleted right after.
        String claimOld =
                "INSERT INTO "
                        + idx
                        + " ("
                        + Identifiers.list(null, entry)
                        + ") VALUES ("
                        + prefixed("OLD.", entry)
                        + ") ON CONFLICT DO NOTHING";
        String deleteOld =
                "DELETE FROM "
                        + idx
                        + " WHERE "
                        + tuple(null, names(key))
                        + " = "
                        + tuple("OLD", names(key));
        return rowTriggerBody(
                key,
                upsert,
                claimOld + ";\n    " + deleteOld,
                claimOld + ";\n    " + deleteOld + ";\n    " + upsert,
                upsert);
    }

    /**
     * The row trigger's body: one statement list for INSERT, DELETE, an UPDATE of the key and any
     * other UPDATE. A key column named like a PL/pgSQL variable (found, new, old...) means the
     * column ({@code #variable_conflict use_column}).
     */
    private static String rowTriggerBody(
            List<Column> key, String onInsert, String onDelete, String onRekey, String onUpdate) {
        String body =
                "#variable_conflict use_column\nBEGIN\n"
                        + "  IF TG_OP = 'INSERT' THEN\n    "
                        + onInsert
                        + ";\n"
                        + "  ELSIF TG_OP = 'DELETE' THEN\n    "
                        + onDelete
                        + ";\n"
                        + "  ELSIF "
                        + tuple("OLD", names(key))
                        + " IS DISTINCT FROM "
                        + tuple("NEW", names(key))
                        + " THEN\n    "
                        + onRekey
                        + ";\n"
                        + "  ELSE\n    "
                        + onUpdate
                        + ";\n"
                        + "  END IF;\n"
                        + "  RETURN NULL;\n"
                        + "END\n";
        if (body.contains(BODY_TAG)) {
            throw new IllegalArgumentException("a column name contains " + BODY_TAG);
        }
        return body;
    }

    /** The write-only form of {@link #maintainBody}. */
    private static String tombstoneBody(IndexTable index) {
        List<Column> key = index.table().keyColumns();
        String live = upsertLive(index, "NEW.");
        String tomb = upsertTombstone(index, "VALUES (" + prefixed("OLD.", names(key)) + ", true)");
        return rowTriggerBody(key, live, tomb, tomb + ";\n    " + live, live);
    }

    /**
     * {@code INSERT INTO idx (entry..., marker) VALUES (NEW.entry..., false) ON CONFLICT (key) DO
     * UPDATE SET entry... = EXCLUDED..., marker = false}: the live entry of the written row, over a
     * tombstone or an older entry (every column set, the key's too, as in the deleting form).
     */
    private static String upsertLive(IndexTable index, String prefix) {
        List<String> entry = names(index.entryColumns());
        String marker = Identifiers.quote(IndexTable.TOMBSTONE);
        return "INSERT INTO "
                + index.quotedName()
                + " ("
                + Identifiers.list(null, entry)
                + ", "
                + marker
                + ") VALUES ("
                + prefixed(prefix, entry)
                + ", false) ON CONFLICT ("
                + Identifiers.list(null, names(index.table().keyColumns()))
                + ") DO UPDATE SET "
                + setExcluded(entry)
                + ", "
                + marker
                + " = false";
    }

    /**
     * {@code INSERT INTO idx (key..., marker) <source> ON CONFLICT (key) DO UPDATE SET
     * non-key-indexed... = NULL, marker = true}: the tombstone of a key; {@code source} gives the
     * key columns and {@code true}. Its non-key indexed columns are NULL, so the UNIQUE constraint
     * (NULLS DISTINCT) never matches it.
     */
    private static String upsertTombstone(IndexTable index, String source) {
        List<String> key = names(index.table().keyColumns());
        String marker = Identifiers.quote(IndexTable.TOMBSTONE);
        StringJoiner set = new StringJoiner(", ");
        for (Column c : index.indexed()) {
            if (!key.contains(c.name())) {
                set.add(Identifiers.quote(c.name()) + " = NULL");
            }
        }
        set.add(marker + " = true");
        return "INSERT INTO "
                + index.quotedName()
                + " ("
                + Identifiers.list(null, key)
                + ", "
                + marker
                + ") "
                + source
                + " ON CONFLICT ("
                + Identifiers.list(null, key)
                + ") DO UPDATE SET "
                + set;
    }

    /**
     * The body of the TRUNCATE trigger function. Deleting form: empty the index table. Write-only
     * form (a BEFORE TRUNCATE trigger): turn the entry of every row about to go into a tombstone,
     * inserting one where no entry exists yet, so that a batch read before the TRUNCATE cannot
     * insert its (now stale) entries afterwards. It costs one upsert per row of the table, once,
     * under the TRUNCATE's own ACCESS EXCLUSIVE lock.
     */
    static String truncateBody(IndexTable index, boolean tombstones) {
        if (!tombstones) {
            return "BEGIN\n  TRUNCATE " + index.quotedName() + ";\n  RETURN NULL;\nEND\n";
        }
        List<String> key = names(index.table().keyColumns());
        return "BEGIN\n  "
                + upsertTombstone(
                        index,
                        "SELECT "
                                + Identifiers.list(null, key)
                                + ", true FROM ONLY "
                                + index.table().quotedName())
                + ";\n  RETURN NULL;\nEND\n";
    }

    /**
     * The write-only sink's additions to a new index table, run by prepare right after {@link
     * #createIndexTable} (same transaction): the tombstone marker column {@link
     * IndexTable#TOMBSTONE} ({@code boolean NOT NULL DEFAULT false}), a partial index over the
     * tombstones (no entry in it for a live entry; the purge reads it), and the revive trigger on
     * the index table, a no-op until {@link #switchToDeletingTriggers} (fires under {@code
     * session_replication_role = replica} too).
     */
    public static List<String> addTombstones(IndexTable index) {
        String idx = index.quotedName();
        String marker = Identifiers.quote(IndexTable.TOMBSTONE);
        return List.of(
                "ALTER TABLE " + idx + " ADD COLUMN " + marker + " boolean NOT NULL DEFAULT false",
                "CREATE INDEX "
                        + Identifiers.quote(index.tombstoneIndex())
                        + " ON "
                        + idx
                        + " ("
                        + marker
                        + ") WHERE "
                        + marker,
                reviveFunction(index, false),
                "CREATE TRIGGER "
                        + Identifiers.quote(index.reviveTrigger())
                        + " BEFORE UPDATE ON "
                        + idx
                        + " FOR EACH ROW EXECUTE FUNCTION "
                        + Identifiers.qualified("backfill", index.reviveTrigger())
                        + "()",
                "ALTER TABLE "
                        + idx
                        + " ENABLE ALWAYS TRIGGER "
                        + Identifiers.quote(index.reviveTrigger()));
    }

    /**
     * {@code CREATE OR REPLACE FUNCTION} of the revive trigger's function: a no-op while the
     * triggers write tombstones (they set the marker themselves), and after the switch ({@code
     * deleting}) one that clears the marker of every entry the deleting form's upsert updates: that
     * form never mentions the marker (so it keeps working once the column is dropped), and every
     * UPDATE it makes writes a live entry.
     *
     * <p>Except an UPDATE that sets the marker itself, from false to true: only the tombstone form
     * does that, run by a writer whose session still had the old row-trigger body when the switch
     * committed. A session revalidates each PL/pgSQL function when it calls it, against the catalog
     * as of its last invalidation processing, and processes invalidations when it takes a new lock:
     * a writer that already held its locks on the table runs the old row-trigger body, then takes
     * its first lock on the index table, processes the switch, and runs the new revive body in the
     * same statement. Clearing that marker turned the tombstone of a deleted row into a live entry
     * with NULL values, which the purge skipped and verification found as an entry without its row
     * (seen in {@code ConcurrentDmlITCase} once the readers were paced; {@code
     * WriteOnlyBatchITCase.aWriterStillOnTheTombstoneFormAfterTheSwitchLeavesATombstone}). Kept a
     * tombstone, it is purged after the wait for older transactions, which that writer is.
     */
    static String reviveFunction(IndexTable index, boolean deleting) {
        return "CREATE OR REPLACE FUNCTION "
                + Identifiers.qualified("backfill", index.reviveTrigger())
                + "() RETURNS trigger LANGUAGE plpgsql AS "
                + BODY_TAG
                + "\nBEGIN\n"
                + (deleting
                        ? "  IF NEW."
                                + Identifiers.quote(IndexTable.TOMBSTONE)
                                + " AND NOT OLD."
                                + Identifiers.quote(IndexTable.TOMBSTONE)
                                + " THEN\n    RETURN NEW;\n  END IF;\n  NEW."
                                + Identifiers.quote(IndexTable.TOMBSTONE)
                                + " := false;\n"
                        : "")
                + "  RETURN NEW;\nEND\n"
                + BODY_TAG;
    }

    /**
     * The switch of a write-only index table's triggers to today's deleting form, once every batch
     * has committed (the finalizer, before verification): {@code CREATE OR REPLACE FUNCTION} of the
     * row and TRUNCATE trigger functions with the bodies {@link #createTriggers(IndexTable)} gives,
     * and of the revive function. Takes no lock on the table; idempotent. From its commit on, no
     * write creates a tombstone, a DELETE removes one, and an upsert over one revives it.
     */
    public static List<String> switchToDeletingTriggers(IndexTable index) {
        return List.of(
                "CREATE OR REPLACE FUNCTION "
                        + Identifiers.qualified("backfill", index.triggerFunction())
                        + "() RETURNS trigger LANGUAGE plpgsql AS "
                        + BODY_TAG
                        + "\n"
                        + maintainBody(index, false)
                        + BODY_TAG,
                "CREATE OR REPLACE FUNCTION "
                        + Identifiers.qualified("backfill", index.triggerFunction() + "_truncate")
                        + "() RETURNS trigger LANGUAGE plpgsql AS "
                        + BODY_TAG
                        + "\n"
                        + truncateBody(index, false)
                        + BODY_TAG,
                reviveFunction(index, true));
    }

    /**
     * One purge step: deletes up to {@code limit} tombstones, found through the partial index, by
     * their tuple id and still marked ({@code AND marker}): a concurrent upsert that revived one
     * has updated it (the revive trigger cleared the marker), and EvalPlanQual rechecks the newest
     * version, which no longer qualifies. Update count: tombstones deleted.
     */
    public static String purgeTombstones(IndexTable index, int limit) {
        String idx = index.quotedName();
        String marker = Identifiers.quote(IndexTable.TOMBSTONE);
        return "DELETE FROM "
                + idx
                + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM "
                + idx
                + " WHERE "
                + marker
                + " LIMIT "
                + limit
                + ")) AND "
                + marker;
    }

    /** {@code SELECT EXISTS (... WHERE marker)}: whether any tombstone is left. */
    public static String anyTombstone(IndexTable index) {
        return "SELECT EXISTS (SELECT 1 FROM "
                + index.quotedName()
                + " WHERE "
                + Identifiers.quote(IndexTable.TOMBSTONE)
                + ")";
    }

    /**
     * After the purge: drops the revive trigger and the marker column (with its partial index), so
     * the index table is the one the locking path builds; then the revive function. One transaction
     * under {@code lock_timeout} (ACCESS EXCLUSIVE on the index table, briefly); idempotent. A
     * write waiting for that lock replans against the table without the column and the trigger, and
     * the deleting form never mentions either.
     */
    public static List<String> dropTombstones(IndexTable index) {
        String idx = index.quotedName();
        return List.of(
                "DROP TRIGGER IF EXISTS " + Identifiers.quote(index.reviveTrigger()) + " ON " + idx,
                "ALTER TABLE "
                        + idx
                        + " DROP COLUMN IF EXISTS "
                        + Identifiers.quote(IndexTable.TOMBSTONE),
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", index.reviveTrigger())
                        + "()");
    }

    /**
     * Drops the functions and the index table of a reorg whose table no longer exists (its triggers
     * went with it). {@code schema} null means the first schema of search_path.
     */
    public static List<String> dropDetached(String schema, String indexName, String reorgId) {
        String prefix = IndexTable.objectPrefix(reorgId);
        String idx =
                schema == null
                        ? Identifiers.quote(indexName)
                        : Identifiers.qualified(schema, indexName);
        return List.of(
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", prefix + "_maintain")
                        + "()",
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", prefix + "_maintain_truncate")
                        + "()",
                "DROP TABLE IF EXISTS " + idx,
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", prefix + "_revive")
                        + "()");
    }

    /** Drops the triggers, functions and the index table (abort). Each statement is idempotent. */
    public static List<String> dropAll(IndexTable index) {
        TableInfo t = index.table();
        List<String> out = new ArrayList<>();
        for (String trg :
                List.of(
                        index.insertTrigger(),
                        index.updateTrigger(),
                        index.deleteTrigger(),
                        index.truncateTrigger())) {
            out.add("DROP TRIGGER IF EXISTS " + Identifiers.quote(trg) + " ON " + t.quotedName());
        }
        out.add(
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", index.triggerFunction())
                        + "()");
        out.add(
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", index.triggerFunction() + "_truncate")
                        + "()");
        out.add("DROP TABLE IF EXISTS " + index.quotedName());
        out.add(
                "DROP FUNCTION IF EXISTS "
                        + Identifiers.qualified("backfill", index.reviveTrigger())
                        + "()");
        return out;
    }

    // ---------------------------------------------------------------- partition DDL and replicas

    /**
     * {@code ALTER TABLE t ENABLE ALWAYS TRIGGER ...} for every trigger of {@link #createTriggers}:
     * they fire under {@code session_replication_role = replica} too (how logical replication
     * applies changes), and PostgreSQL passes the setting on to the partitions' clones, also of
     * partitions attached later. Run by prepare right after {@link #createTriggers}.
     */
    public static List<String> enableAlwaysTriggers(IndexTable index) {
        List<String> out = new ArrayList<>();
        for (String trg :
                List.of(
                        index.insertTrigger(),
                        index.updateTrigger(),
                        index.deleteTrigger(),
                        index.truncateTrigger())) {
            out.add(enableAlways(index.table(), trg));
        }
        return out;
    }

    /**
     * {@code ALTER TABLE t ENABLE ALWAYS TRIGGER} for the modify-column shadow trigger: it fires
     * under {@code session_replication_role = replica} too. Run by prepare right after {@link
     * #createShadowTrigger}.
     */
    public static String enableAlwaysShadowTrigger(ShadowColumn sc) {
        return enableAlways(sc.table(), sc.trigger());
    }

    private static String enableAlways(TableInfo t, String trigger) {
        return "ALTER TABLE "
                + t.quotedName()
                + " ENABLE ALWAYS TRIGGER "
                + Identifiers.quote(trigger);
    }

    /**
     * What keeps a global index (the index table of a partitioned table) exact under partition DDL,
     * run by prepare after {@link #createTriggers} and {@link #enableAlwaysTriggers}:
     *
     * <ul>
     *   <li>an {@code AFTER TRUNCATE} statement trigger on every leaf partition, which deletes the
     *       entries that satisfy the leaf's partition constraint ({@code
     *       pg_get_partition_constraintdef}, read when it fires, so a default partition's is
     *       current). The constraint names only partition key columns, which the primary key, and
     *       so the index table, contains at every level;
     *   <li>{@code backfill.<prefix>_partitions(fill)}, which installs that trigger on every leaf
     *       that lacks it (with {@code fill}, i.e. after ATTACH or CREATE ... PARTITION OF, first
     *       inserting the leaf's rows' entries; a duplicate on a unique index refuses the DDL,
     *       naming the index and both keys), and for a table that carries the trigger but is no
     *       longer a leaf (DETACH) deletes its rows' entries, or refuses while the reorg is not yet
     *       public (its batches still read that table);
     *   <li>a {@code ddl_command_end} event trigger on ALTER TABLE and CREATE TABLE that calls it,
     *       and a {@code sql_drop} event trigger that refuses a DROP of a leaf partition (its rows
     *       are gone by then; DETACH first) and drops the index table with its table.
     * </ul>
     *
     * All of them fire under {@code session_replication_role = replica} too. Creating an event
     * trigger needs a superuser: prepare refuses a partitioned table otherwise. The last statement
     * installs the leaf triggers (without filling: the backfill does that).
     */
    public static List<String> createPartitionGuards(IndexTable index) {
        TableInfo t = index.table();
        List<Column> key = t.keyColumns();
        List<String> entry = names(index.entryColumns());
        String idxLit = Identifiers.literal(index.quotedName());
        String busy = Identifiers.literal(index.busySetting());
        String rootTrigger = Identifiers.literal(index.insertTrigger());
        String leafTrigger = Identifiers.literal(index.truncateLeafTrigger());
        String reorg = Identifiers.literal(index.reorgId());
        String leafFn = Identifiers.qualified("backfill", index.truncateLeafFunction());
        String partitionsFn = Identifiers.qualified("backfill", index.partitionsFunction());
        String ddlFn = Identifiers.qualified("backfill", index.ddlEventTrigger());
        String dropFn = Identifiers.qualified("backfill", index.dropEventTrigger());
        String findRoot =
                "  SELECT tgrelid INTO root FROM pg_trigger WHERE tgname = "
                        + rootTrigger
                        + " AND tgparentid = 0;\n";

        String truncateLeaf =
                "DECLARE\n  def text := pg_get_partition_constraintdef(TG_RELID);\nBEGIN\n"
                        + "  IF def IS NULL THEN\n"
                        // No constraint: the only partition, a default one, holds every row.
                        + "    IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = TG_RELID)"
                        + " THEN\n      RETURN NULL;\n    END IF;\n    def := 'true';\n  END IF;\n"
                        + "  EXECUTE format('DELETE FROM %s WHERE %s', "
                        + idxLit
                        + ", def);\n  RETURN NULL;\nEND\n";

        String keyMatch =
                key.stream()
                        .map(
                                k ->
                                        "i."
                                                + Identifiers.quote(k.name())
                                                + " = d."
                                                + Identifiers.quote(k.name()))
                        .collect(java.util.stream.Collectors.joining(" AND "));
        String deleteGone =
                formatTemplate("DELETE FROM \u0002 i USING ONLY \u0001 d WHERE " + keyMatch);
        String fill =
                formatTemplate(
                        "INSERT INTO \u0002 ("
                                + Identifiers.list(null, entry)
                                + ") SELECT "
                                + Identifiers.list(null, entry)
                                + " FROM ONLY \u0001");
        String partitions =
                "DECLARE\n  root oid;\n  idx regclass := to_regclass("
                        + idxLit
                        + ");\n  st text;\n  r record;\n  dup record;\nBEGIN\n"
                        + "  IF current_setting("
                        + busy
                        + ", true) = 'on' THEN\n    RETURN;\n  END IF;\n"
                        + findRoot
                        + "  IF root IS NULL OR idx IS NULL THEN\n    RETURN;\n  END IF;\n"
                        + "  PERFORM set_config("
                        + busy
                        + ", 'on', true);\n"
                        // Tables that carry the leaf trigger but are no longer leaves: detached.
                        + "  FOR r IN SELECT g.tgrelid::regclass AS rel, "
                        + QUALIFIED_NAME
                        + " AS qn FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE g.tgname = "
                        + leafTrigger
                        + " AND g.tgrelid NOT IN (SELECT relid FROM pg_partition_tree(root)"
                        + " WHERE isleaf) LOOP\n"
                        + "    SELECT state INTO st FROM backfill.reorgs WHERE id = "
                        + reorg
                        + ";\n"
                        + "    IF st IS DISTINCT FROM 'public' THEN\n"
                        + "      RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format("
                        + Identifiers.literal(
                                "DETACH of partition %s from "
                                        + escapePercent(t.displayName())
                                        + " is refused: reorg "
                                        + escapePercent(index.reorgId())
                                        + " is still building the global index "
                                        + escapePercent(index.displayName())
                                        + " (state %s), and its batches read that partition;"
                                        + " detach it after the reorg is public, or abort the"
                                        + " reorg first")
                        + ", r.qn, coalesce(st, 'unknown'));\n"
                        + "    END IF;\n"
                        + "    EXECUTE format("
                        + Identifiers.literal(deleteGone)
                        + ", r.rel, idx);\n"
                        + "    EXECUTE format('DROP TRIGGER %I ON %s', "
                        + leafTrigger
                        + ", r.rel);\n"
                        + "  END LOOP;\n"
                        // Leaves without the trigger: attached or created since.
                        + "  FOR r IN SELECT t.relid::regclass AS rel, "
                        + QUALIFIED_NAME
                        + " AS qn FROM pg_partition_tree(root) t JOIN pg_class c ON c.oid = t.relid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE t.isleaf AND NOT EXISTS (SELECT 1 FROM pg_trigger g"
                        + " WHERE g.tgrelid = t.relid AND g.tgname = "
                        + leafTrigger
                        + ") LOOP\n"
                        + "    IF fill THEN\n      BEGIN\n        EXECUTE format("
                        + Identifiers.literal(fill)
                        + ", r.rel, idx);\n"
                        + "      EXCEPTION WHEN unique_violation THEN\n"
                        + (index.unique()
                                ? "        EXECUTE format("
                                        + Identifiers.literal(attachDuplicate(index))
                                        + ", r.rel, idx) INTO dup;\n"
                                        + "        IF dup.v IS NULL THEN\n          RAISE;\n"
                                        + "        END IF;\n"
                                        + "        RAISE EXCEPTION USING ERRCODE = '23505',"
                                        + " MESSAGE = format("
                                        + Identifiers.literal(
                                                "cannot attach %s to "
                                                        + escapePercent(t.displayName())
                                                        + ": duplicate entry %L for key %L (rows"
                                                        + " %s and %s); the global index "
                                                        + escapePercent(index.displayName())
                                                        + " is unique: change one of the two"
                                                        + " values, then attach again")
                                        + ", r.qn, dup.v, "
                                        + Identifiers.literal(index.name())
                                        + ", dup.a, dup.b);\n"
                                : "        RAISE;\n")
                        + "      END;\n    END IF;\n"
                        + "    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s"
                        + " FOR EACH STATEMENT EXECUTE FUNCTION %s()', "
                        + leafTrigger
                        + ", r.rel, "
                        + Identifiers.literal(leafFn)
                        + ");\n"
                        + "    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', r.rel, "
                        + leafTrigger
                        + ");\n"
                        + "  END LOOP;\n"
                        + "  PERFORM set_config("
                        + busy
                        + ", 'off', true);\nEND\n";

        // Only after a command on the table or one of its partitions: an unrelated ALTER TABLE
        // must neither pay for nor be refused by this table's guards.
        String ddl =
                "DECLARE\n  root oid;\nBEGIN\n"
                        + findRoot
                        + "  IF root IS NOT NULL AND EXISTS (SELECT 1"
                        + " FROM pg_event_trigger_ddl_commands() c WHERE c.objid IN"
                        + " (SELECT relid FROM pg_partition_tree(root))) THEN\n"
                        + "    PERFORM "
                        + partitionsFn
                        + "(true);\n  END IF;\nEND\n";

        String drop =
                "DECLARE\n  root oid;\n  r record;\nBEGIN\n"
                        + "  IF current_setting("
                        + busy
                        + ", true) = 'on' THEN\n    RETURN;\n  END IF;\n"
                        + findRoot
                        + "  IF root IS NULL THEN\n"
                        // The table itself was dropped: its global index goes with it.
                        + "    IF EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() g"
                        + " JOIN pg_event_trigger_dropped_objects() d ON d.object_type = 'table'"
                        + " AND g.object_identity = "
                        + rootTrigger
                        + " || ' on ' || d.object_identity WHERE g.object_type = 'trigger') THEN\n"
                        + "      PERFORM set_config("
                        + busy
                        + ", 'on', true);\n"
                        + "      EXECUTE format('DROP TABLE IF EXISTS %s', "
                        + idxLit
                        + ");\n"
                        + "      PERFORM set_config("
                        + busy
                        + ", 'off', true);\n"
                        + "    END IF;\n    RETURN;\n  END IF;\n"
                        + "  FOR r IN SELECT substr(object_identity, length("
                        + leafTrigger
                        + ") + 5) AS rel FROM pg_event_trigger_dropped_objects()"
                        + " WHERE object_type = 'trigger' AND starts_with(object_identity, "
                        + leafTrigger
                        + " || ' on ') LOOP\n"
                        + "    RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = format("
                        + Identifiers.literal(
                                "DROP of partition %s of "
                                        + escapePercent(t.displayName())
                                        + " is refused: the global index "
                                        + escapePercent(index.displayName())
                                        + " (reorg "
                                        + escapePercent(index.reorgId())
                                        + ") holds entries for its rows; detach it first (ALTER"
                                        + " TABLE <its parent> DETACH PARTITION %s, which removes"
                                        + " its entries), then drop it")
                        + ", r.rel, r.rel);\n"
                        + "  END LOOP;\nEND\n";

        for (String body : List.of(truncateLeaf, partitions, ddl, drop)) {
            if (body.contains(BODY_TAG)) {
                throw new IllegalArgumentException("a name contains " + BODY_TAG);
            }
        }
        List<String> out = new ArrayList<>();
        out.add(plpgsql(leafFn + "() RETURNS trigger", truncateLeaf));
        out.add(plpgsql(partitionsFn + "(fill boolean) RETURNS void", partitions));
        out.add(plpgsql(ddlFn + "() RETURNS event_trigger", ddl));
        out.add(plpgsql(dropFn + "() RETURNS event_trigger", drop));
        // Install the leaf triggers before the event triggers exist, so that their own ALTER
        // TABLE statements do not call back.
        out.add("SELECT " + partitionsFn + "(false)");
        out.add(
                "CREATE EVENT TRIGGER "
                        + Identifiers.quote(index.ddlEventTrigger())
                        + " ON ddl_command_end WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE')"
                        + " EXECUTE FUNCTION "
                        + ddlFn
                        + "()");
        out.add(
                "CREATE EVENT TRIGGER "
                        + Identifiers.quote(index.dropEventTrigger())
                        + " ON sql_drop EXECUTE FUNCTION "
                        + dropFn
                        + "()");
        out.add(
                "ALTER EVENT TRIGGER "
                        + Identifiers.quote(index.ddlEventTrigger())
                        + " ENABLE ALWAYS");
        out.add(
                "ALTER EVENT TRIGGER "
                        + Identifiers.quote(index.dropEventTrigger())
                        + " ENABLE ALWAYS");
        return out;
    }

    /**
     * Drops what {@link #createPartitionGuards} added, event triggers first (so that the other
     * drops do not call them), each statement idempotent: run by abort before {@link #dropAll} or
     * {@link #dropDetached}, also for a table that is not partitioned (then it finds nothing).
     */
    public static List<String> dropPartitionGuards(String reorgId) {
        String prefix = IndexTable.objectPrefix(reorgId);
        String leafTrigger = prefix + "_trunc_leaf";
        List<String> out = new ArrayList<>();
        out.add("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(prefix + "_ddl"));
        out.add("DROP EVENT TRIGGER IF EXISTS " + Identifiers.quote(prefix + "_drop"));
        String body =
                "DECLARE\n  r record;\nBEGIN\n"
                        + "  FOR r IN SELECT tgrelid::regclass AS rel FROM pg_trigger WHERE tgname = "
                        + Identifiers.literal(leafTrigger)
                        + " LOOP\n    EXECUTE format('DROP TRIGGER %I ON %s', "
                        + Identifiers.literal(leafTrigger)
                        + ", r.rel);\n  END LOOP;\nEND\n";
        out.add("DO " + BODY_TAG + "\n" + body + BODY_TAG);
        out.add(dropFunction(prefix + "_ddl", ""));
        out.add(dropFunction(prefix + "_drop", ""));
        out.add(dropFunction(prefix + "_partitions", "boolean"));
        out.add(dropFunction(prefix + "_truncate_leaf", ""));
        return out;
    }

    private static String dropFunction(String name, String args) {
        return "DROP FUNCTION IF EXISTS "
                + Identifiers.qualified("backfill", name)
                + "("
                + args
                + ")";
    }

    /** {@code CREATE FUNCTION <signature> LANGUAGE plpgsql AS <body>}. */
    private static String plpgsql(String signature, String body) {
        return "CREATE FUNCTION "
                + signature
                + " LANGUAGE plpgsql AS "
                + BODY_TAG
                + "\n"
                + body
                + BODY_TAG;
    }

    /** {@code schema.name} of pg_class {@code c} in pg_namespace {@code n}, quoted as needed. */
    private static final String QUALIFIED_NAME = "format('%I.%I', n.nspname, c.relname)";

    private static String escapePercent(String s) {
        return s.replace("%", "%%");
    }

    /**
     * A query for PL/pgSQL's {@code format()}: {@code %} escaped, then {@code \u0001} → the leaf
     * ({@code %1$s}) and {@code \u0002} → the index table ({@code %2$s}).
     */
    private static String formatTemplate(String sql) {
        return sql.replace("%", "%%").replace("\u0001", "%1$s").replace("\u0002", "%2$s");
    }

    /**
     * For an ATTACH refused by a unique violation: one row {@code (v, a, b)}, the values as text
     * and the two keys, of a row of the leaf whose non-NULL values an entry already has, or of two
     * rows of the leaf with the same values. A {@link #formatTemplate}.
     */
    private static String attachDuplicate(IndexTable index) {
        List<Column> key = index.table().keyColumns();
        List<String> vals = index.indexedNames();
        String eq =
                vals.stream()
                        .map(v -> "n." + Identifiers.quote(v) + " = o." + Identifiers.quote(v))
                        .collect(java.util.stream.Collectors.joining(" AND "));
        String v = tuple("n", vals) + "::text";
        String select =
                "SELECT "
                        + v
                        + " AS v, "
                        + keyTextExpr("n", key)
                        + " AS a, "
                        + keyTextExpr("o", key)
                        + " AS b FROM ONLY \u0001 n JOIN ";
        return formatTemplate(
                "SELECT * FROM ("
                        + select
                        + "\u0002 o ON "
                        + eq
                        + " UNION ALL "
                        + select
                        + "ONLY \u0001 o ON "
                        + eq
                        + " AND "
                        + keyTuple("o", key)
                        + " > "
                        + keyTuple("n", key)
                        + ") d LIMIT 1");
    }

    // ---------------------------------------------------------------- modify-column (#4)

    /**
     * Checks a modify-column reorg's {@code using} expression without touching a row, after {@link
     * #addShadowColumn} in the prepare transaction: {@code UPDATE table AS "name" SET shadow =
     * (using) WHERE false}. It fails as the batch and the offline {@code ALTER TABLE ... TYPE ...
     * USING} would: on a syntax error, an unknown column, or an expression whose type has no
     * assignment cast to the new type (42804). Called by the modify-column prepare.
     */
    public static String checkUsing(ShadowColumn sc) {
        TableInfo t = sc.table();
        return "UPDATE "
                + t.quotedName()
                + " AS "
                + Identifiers.quote(t.name())
                + " SET "
                + Identifiers.quote(sc.shadowName())
                + " = "
                + sc.usingSql()
                + " WHERE false";
    }

    /**
     * {@code SELECT FROM ONLY t ORDER BY "column" LIMIT 0}: reads nothing, and fails when the
     * statement is parsed (SQLSTATE 42883) if the column's type has no B-tree ordering (no default
     * btree operator class: json, xml, point...), which an index table could not index. Run by
     * add-index's resolve for each indexed column, before any DDL.
     */
    public static String orderProbe(String quotedTable, String column) {
        return "SELECT FROM ONLY "
                + quotedTable
                + " ORDER BY "
                + Identifiers.quote(column)
                + " LIMIT 0";
    }

    /**
     * A type written as text, resolved by the server: its canonical spelling ({@code format_type}
     * with the type modifier), its {@code typtype} and whether it is defined; no row when it is no
     * type. Parameters: the type's text, twice. Syntax errors raise (42601). Used by {@link
     * ShadowColumn#resolveType}.
     */
    public static String resolveType() {
        return "SELECT format_type(t.oid, m.typmod), t.typtype::text, t.typisdefined"
                + " FROM (SELECT to_regtype(?) AS oid, to_regtypemod(?) AS typmod) m"
                + " JOIN pg_type t ON t.oid = m.oid";
    }

    /**
     * Why a column cannot be changed online, or NULL: {@code an identity column}, {@code a
     * generated column}. Parameters: the table (regclass text), the column's name.
     */
    public static String columnKind() {
        return "SELECT CASE WHEN attidentity <> '' THEN 'an identity column'"
                + " WHEN attgenerated <> '' THEN 'a generated column' END"
                + " FROM pg_attribute WHERE attrelid = ?::regclass AND attname = ?"
                + " AND NOT attisdropped";
    }

    /**
     * Whether a column of that name exists (not dropped). Parameters: the table (regclass text),
     * the column's name.
     */
    public static String columnExists() {
        return "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attname = ? AND NOT attisdropped)";
    }

    /**
     * A transaction whose commit waits for the WAL flush: {@code SET LOCAL synchronous_commit =
     * on}, then {@code txid_current()} so that it has an xid and so a commit record to flush.
     */
    public static List<String> durableCommit() {
        return List.of("SET LOCAL synchronous_commit = on", "SELECT txid_current()");
    }

    /**
     * {@code SET LOCAL lock_timeout} for one DDL attempt ({@link DdlLockWait}); {@code millis} is a
     * number we computed, never input text.
     */
    public static String setLocalLockTimeout(long millis) {
        return "SET LOCAL lock_timeout = " + millis;
    }

    /** The server's {@code deadlock_timeout} in milliseconds (its pg_settings unit is ms). */
    public static String deadlockTimeoutMillis() {
        return "SELECT setting::bigint FROM pg_settings WHERE name = 'deadlock_timeout'";
    }

    /**
     * The other sessions that hold or wait for a lock on a table, read right after a DDL attempt on
     * it timed out ({@link DdlLockWait}): pid, backend type ({@code autovacuum worker}, {@code
     * client backend}, ...), application name, state, transaction age in seconds (null outside a
     * transaction; autovacuum has none) and the first 100 characters of the query. Parameter: the
     * table (regclass text).
     */
    public static String lockHoldersOf() {
        return "SELECT a.pid, a.backend_type, a.application_name, a.state,"
                + " extract(epoch FROM clock_timestamp() - a.xact_start)::float8,"
                + " left(a.query, 100)"
                + " FROM pg_stat_activity a"
                + " WHERE a.pid <> pg_backend_pid() AND a.pid IN (SELECT l.pid FROM pg_locks l"
                + " WHERE l.locktype = 'relation' AND l.relation = ?::regclass"
                + " AND l.database = (SELECT oid FROM pg_database"
                + " WHERE datname = current_database()))"
                + " ORDER BY a.pid";
    }

    /** The server's clock now ({@code clock_timestamp()}, not the transaction's start). */
    public static String clockTimestamp() {
        return "SELECT clock_timestamp()";
    }

    /**
     * The finalizer's wait for older transactions, one autocommit statement: the reorg's state
     * (parameter 1, the reorg id) on every row, with the other client sessions of this database
     * whose transaction started before parameter 2 (pid, application name or else user name,
     * transaction start; oldest first), or one row of nulls beside the state when there are none.
     */
    public static String olderTransactions() {
        return "SELECT (SELECT state FROM "
                + Catalog.REORGS
                + " WHERE id = ?), a.pid,"
                + " coalesce(nullif(a.application_name, ''), a.usename),"
                + " a.xact_start FROM (SELECT 1) one LEFT JOIN pg_stat_activity a"
                + " ON a.datname = current_database()"
                + " AND a.backend_type = 'client backend'"
                + " AND a.pid <> pg_backend_pid() AND a.xact_start < ?"
                + " ORDER BY a.xact_start";
    }

    /**
     * {@code ALTER TABLE t ADD COLUMN "_backfill_new_<column>" <type>}: nullable and without a
     * default, so PostgreSQL only adds it to the catalog and rewrites nothing (the table keeps its
     * relfilenode; existing rows read it as NULL). Run by the modify-column prepare, in its one DDL
     * transaction, before {@link #checkUsing} and {@link #createShadowTrigger}.
     */
    public static String addShadowColumn(ShadowColumn sc) {
        return "ALTER TABLE "
                + sc.table().quotedName()
                + " ADD COLUMN "
                + Identifiers.quote(sc.shadowName())
                + " "
                + sc.type();
    }

    /**
     * The trigger function and the {@code BEFORE INSERT OR UPDATE} row trigger that keep the shadow
     * column equal to the {@code using} expression over the row being written, from the moment the
     * modify-column prepare commits them: the write-only state of issue #4.
     *
     * <p>How the expression is evaluated: it refers to the row's columns by name, so the function
     * evaluates it in a one-row subquery that exposes {@code NEW}'s fields as columns under the
     * table's name, {@code NEW."_backfill_new_x" := (SELECT (using) FROM (SELECT NEW.*) AS
     * "table")}. This works for any expression over any of the row's columns (also qualified with
     * the table's name), without parsing or rewriting it, and is static SQL, so PL/pgSQL plans it
     * once per session. With {@code #variable_conflict use_column}, a column named like a PL/pgSQL
     * variable ({@code found}, {@code new}...) means the column. The result is assigned with
     * PostgreSQL's assignment coercion, as the batch's {@code SET} and an offline {@code ALTER
     * TABLE ... TYPE ... USING} do ({@link #checkUsing} makes sure an assignment cast exists); a
     * value that does not convert raises its error (e.g. 22P02) and fails the application's
     * statement, as a real column of the new type would.
     *
     * <p>It fires on every INSERT and every UPDATE, whatever columns changed: the expression may
     * read any column, and an UPDATE that leaves them all unchanged only recomputes the same value.
     * The backfill's own batch UPDATE ({@link #modifyColumnBatch}) fires it too and gets the value
     * it set itself, computed by the same expression over the same row. The trigger's name sorts
     * after the usual names, so it fires after the application's own BEFORE triggers and sees their
     * changes (see {@link ShadowColumn#trigger()}).
     */
    public static List<String> createShadowTrigger(ShadowColumn sc) {
        return createShadowTrigger(sc, false);
    }

    /**
     * {@link #createShadowTrigger(ShadowColumn)}, or with {@code columnOnly} the trigger of a Java
     * converter, whose value depends on the column alone: it sets the shadow (with the converter's
     * SQL counterpart as {@code using}) on INSERT and on an UPDATE that changes the column, and
     * otherwise keeps the shadow as it is, so the value the backfill wrote (converted in Java) is
     * not recomputed by its own UPDATE.
     *
     * <p>The function runs under Backfill's canonical settings ({@link #canonicalSettingsClause}),
     * so the expression gives the trigger the value it gives the batches and the verification,
     * whatever the writer's TimeZone, DateStyle or extra_float_digits.
     */
    public static List<String> createShadowTrigger(ShadowColumn sc, boolean columnOnly) {
        TableInfo t = sc.table();
        String assign =
                "NEW."
                        + Identifiers.quote(sc.shadowName())
                        + " := (SELECT "
                        + sc.usingSql()
                        + " FROM (SELECT NEW.*) AS "
                        + Identifiers.quote(t.name())
                        + ");\n";
        String col = Identifiers.quote(sc.column().name());
        String body =
                "#variable_conflict use_column\nBEGIN\n"
                        + (columnOnly
                                ? "  IF TG_OP = 'INSERT' OR "
                                        + imageDistinct(
                                                List.of("NEW." + col), List.of("OLD." + col))
                                        + " THEN\n    "
                                        + assign
                                        + "  END IF;\n"
                                : "  " + assign)
                        + "  RETURN NEW;\nEND\n";
        if (body.contains(BODY_TAG)) {
            throw new IllegalArgumentException(
                    "the using expression or a name contains " + BODY_TAG);
        }
        String fn = Identifiers.qualified("backfill", sc.triggerFunction());
        return List.of(
                "CREATE FUNCTION "
                        + fn
                        + "() RETURNS trigger LANGUAGE plpgsql"
                        + canonicalSettingsClause()
                        + " AS "
                        + BODY_TAG
                        + "\n"
                        + body
                        + BODY_TAG,
                "CREATE TRIGGER "
                        + Identifiers.quote(sc.trigger())
                        + " BEFORE INSERT OR UPDATE ON "
                        + t.quotedName()
                        + " FOR EACH ROW WHEN ("
                        + notInSink()
                        + ") EXECUTE FUNCTION "
                        + fn
                        + "()");
    }

    /**
     * The setting that marks the sink's own sessions ({@code SET backfill.sink = on}, see {@link
     * #markSinkSession}); no other session has it.
     */
    public static final String SINK_SETTING = "backfill.sink";

    /**
     * {@code current_setting('backfill.sink', true) IS DISTINCT FROM 'on'}: the shadow trigger's
     * {@code WHEN}, so it does not fire for the sink's own batch UPDATEs, which set the shadow to
     * the expression over the same row (under the same settings) that the trigger would compute
     * again: measured at 10-17 s per million rows. Evaluated without calling the function. Every
     * other session (the application's, the finalizer's repair) fires it as before.
     */
    static String notInSink() {
        return "current_setting("
                + Identifiers.literal(SINK_SETTING)
                + ", true) IS DISTINCT FROM 'on'";
    }

    /** Marks a session as the sink's: {@code SET backfill.sink = on} (see {@link #notInSink}). */
    public static String markSinkSession() {
        return "SET " + SINK_SETTING + " = on";
    }

    /**
     * The modify-column batch write (the sink of issue #4, pushdown with {@code using}): one
     * statement that sets the shadow column to the {@code using} expression, computed in SQL over
     * the current row, for the rows of a batch. Parameters: one {@code text[]} per key column, then
     * one {@code text[]} of the source column's values as they were read (text form, NULL for
     * NULL). It updates a row only when
     *
     * <ul>
     *   <li>its source column still has the value that was read (compare-and-set on its text,
     *       {@code ::text IS NOT DISTINCT FROM}): a row changed since it was read was written under
     *       the trigger, which already set its shadow; a deleted row is simply not found; and
     *   <li>its shadow does not already have the expression's text ({@code CAST(using AS type)}):
     *       rows the trigger already wrote, and rows of a replayed batch, are skipped without a
     *       write (no dead tuple).
     * </ul>
     *
     * The UPDATE takes each row's lock; a concurrent writer waits for the batch's short
     * transaction, or the batch waits for it and re-checks both conditions on the newest version
     * (READ COMMITTED). The BEFORE trigger does not fire in the sink's session ({@link
     * #notInSink}); where it does (a reorg prepared before it had its WHEN), it computes the same
     * value from the same row, so the outcome is the expression's value either way. The update
     * count is the number of rows written. A value that does not convert fails the statement with
     * its error; the sink then fails the reorg naming the row. {@code scanSource} is the physical
     * table as the reader read it ({@link TableInfo#scanSource}); it is aliased to the table's name
     * so that the expression may qualify columns with it.
     */
    public static String modifyColumnBatch(ShadowColumn sc, String scanSource) {
        return modifyColumnBatch(sc, scanSource, false);
    }

    /**
     * {@link #modifyColumnBatch(ShadowColumn, String)}, or with {@code converted} the batch of a
     * Java converter: then a last {@code text[]} parameter holds each row's new value (in the new
     * type's text form, as the converter produced it) and the statement writes that value, {@code
     * SET shadow = new::type}, under the same two conditions (the source value is the one read, the
     * shadow is not already the new value). The BEFORE trigger does not fire in the sink's session;
     * where it does, it only writes the shadow when the source column changes (see {@link
     * #createShadowTrigger(ShadowColumn, boolean)}), which this UPDATE never does.
     */
    public static String modifyColumnBatch(ShadowColumn sc, String scanSource, boolean converted) {
        TableInfo t = sc.table();
        List<Column> key = t.keyColumns();
        String alias = Identifiers.quote(t.name());
        String shadow = alias + "." + Identifiers.quote(sc.shadowName());
        StringJoiner params = new StringJoiner(", ");
        StringJoiner aliases = new StringJoiner(", ");
        StringJoiner match = new StringJoiner(" AND ");
        for (int i = 0; i < key.size(); i++) {
            params.add("?::text[]");
            aliases.add("_backfill_k" + i);
            match.add(
                    alias
                            + "."
                            + Identifiers.quote(key.get(i).name())
                            + " = _backfill_batch._backfill_k"
                            + i
                            + "::"
                            + key.get(i).type());
        }
        params.add("?::text[]");
        aliases.add("_backfill_v");
        // Compare-and-set on the source value's text as it was read (representation, not
        // equality: a row changed from 1.0 to 1.000 was written under the trigger).
        match.add(
                textOf(alias + "." + Identifiers.quote(sc.column().name()))
                        + " IS NOT DISTINCT FROM _backfill_batch._backfill_v");
        String value;
        if (converted) {
            params.add("?::text[]");
            aliases.add("_backfill_n");
            value = "_backfill_batch._backfill_n::" + sc.type();
        } else {
            value = "CAST(" + sc.usingSql() + " AS " + sc.type() + ")";
        }
        // The comparison with the new value is guarded by the row match inside one CASE: the
        // planner may not evaluate it on rows outside the batch (a value elsewhere in the table
        // that does not convert must not fail this batch).
        return "UPDATE "
                + scanSource
                + " AS "
                + alias
                + " SET "
                + Identifiers.quote(sc.shadowName())
                + " = "
                + (converted ? value : sc.usingSql())
                + " FROM unnest("
                + params
                + ") AS _backfill_batch("
                + aliases
                + ") WHERE "
                + match
                + " AND CASE WHEN "
                + match
                + " THEN NOT ("
                + sameText(shadow, "(" + value + ")")
                + ") ELSE false END";
    }

    /**
     * The modify-column batch write of the {@linkplain dev.backfill.op.WritePath#RANGE range path}
     * (issue #10): one statement over a page's key range instead of its shipped rows, {@code UPDATE
     * ONLY phys AS "table" SET shadow = (using) WHERE key > ? AND key <= ? AND NOT (shadow's text
     * IS NOT DISTINCT FROM CAST(using AS type)'s text)}, comparing text {@code COLLATE "C"} ({@link
     * #sameText}). Parameters: the lower bound's key values (when {@code hasLower}), the upper
     * bound's (when {@code hasUpper}), then both again for the guard below.
     *
     * <p>No compare-and-set on the value read is needed: the expression is computed over the
     * current row under the UPDATE's row lock (READ COMMITTED re-checks a row a concurrent writer
     * changed, on its newest version), and a row written since prepare already has the value from
     * the write-only trigger, so it is skipped without a write, like a row of a replayed batch. A
     * row inserted into the range after the page was read is such a row; a deleted one is not
     * found. The BEFORE trigger fires on the rows updated and computes the same value from the same
     * row. The update count is the number of rows written.
     *
     * <p>The comparison with the new value is guarded by the key range inside one {@code CASE}, as
     * in {@link #modifyColumnBatch}: the planner may not evaluate the expression on rows outside
     * the range (a value elsewhere that does not convert must not fail this batch). A value in the
     * range that does not convert fails the statement with its error; the sink then finds the row.
     */
    public static String modifyColumnRange(
            ShadowColumn sc, String scanSource, boolean hasLower, boolean hasUpper) {
        TableInfo t = sc.table();
        String alias = Identifiers.quote(t.name());
        String shadow = alias + "." + Identifiers.quote(sc.shadowName());
        String value = "CAST(" + sc.usingSql() + " AS " + sc.type() + ")";
        String range = keyRange(alias, t.keyColumns(), hasLower, hasUpper);
        String inRange = range.isEmpty() ? "true" : range.substring(" WHERE ".length());
        return "UPDATE "
                + scanSource
                + " AS "
                + alias
                + " SET "
                + Identifiers.quote(sc.shadowName())
                + " = "
                + sc.usingSql()
                + (range.isEmpty() ? " WHERE " : range + " AND ")
                + "CASE WHEN "
                + inRange
                + " THEN NOT ("
                + sameText(shadow, "(" + value + ")")
                + ") ELSE false END";
    }

    /**
     * One row's source value as text, {@code SELECT column::text FROM scanSource AS "table" WHERE
     * key = ?}: with {@link #convertRow}, names the value of the row that failed a range batch.
     */
    public static String rowValue(ShadowColumn sc, String scanSource) {
        TableInfo t = sc.table();
        String alias = Identifiers.quote(t.name());
        List<Column> key = t.keyColumns();
        return "SELECT "
                + alias
                + "."
                + Identifiers.quote(sc.column().name())
                + "::text FROM "
                + scanSource
                + " AS "
                + alias
                + " WHERE "
                + keyTuple(alias, key)
                + " = "
                + keyParams(key);
    }

    /**
     * One row's value and its new value, both as text: {@code SELECT column::text, CAST(using AS
     * type)::text FROM scanSource AS "table" WHERE key = ?}. Parameters: the key. Run row by row by
     * the sink after a pushdown batch failed on a value that does not convert, to name the row and
     * the value in the reorg's error.
     */
    public static String convertRow(ShadowColumn sc, String scanSource) {
        TableInfo t = sc.table();
        String alias = Identifiers.quote(t.name());
        List<Column> key = t.keyColumns();
        return "SELECT "
                + alias
                + "."
                + Identifiers.quote(sc.column().name())
                + "::text, CAST("
                + sc.usingSql()
                + " AS "
                + sc.type()
                + ")::text FROM "
                + scanSource
                + " AS "
                + alias
                + " WHERE "
                + keyTuple(alias, key)
                + " = "
                + keyParams(key);
    }

    /**
     * Verification of a modify-column reorg (its finalizer, in a REPEATABLE READ snapshot): the
     * rows whose shadow is distinct from {@code CAST(using AS type)} over the current row, or whose
     * shadow is NULL while the source column is not (so a {@code using} expression that maps a
     * non-NULL value to NULL fails verification, as issue #4 specifies). Returns the first {@code
     * limit} keys in key order, as text, each with the total count. Parameters: the lower bound
     * (when {@code hasLower}) and the upper bound (when {@code hasUpper}), as in {@link #keyRange}.
     * Reads the table with its partitions (see {@link #verificationSource}).
     */
    public static String shadowDifference(
            ShadowColumn sc, int limit, boolean hasLower, boolean hasUpper) {
        return shadowDifference(sc, limit, hasLower, hasUpper, true);
    }

    /**
     * {@link #shadowDifference(ShadowColumn, int, boolean, boolean)}, with the second condition
     * (NULL shadow, non-NULL source) only when {@code nullCheck}: the finalizer leaves it out for a
     * custom {@code using} expression, which may turn a value into NULL on purpose (e.g. {@code
     * NULLIF(code, '')::integer}); the first condition alone is then exact.
     */
    public static String shadowDifference(
            ShadowColumn sc, int limit, boolean hasLower, boolean hasUpper, boolean nullCheck) {
        TableInfo t = sc.table();
        List<Column> key = t.keyColumns();
        String alias = Identifiers.quote(t.name());
        String shadow = alias + "." + Identifiers.quote(sc.shadowName());
        String range = keyRange(alias, key, hasLower, hasUpper);
        return "SELECT "
                + keyTextExpr(alias, key)
                + ", count(*) OVER () FROM "
                + verificationSource(t)
                + " AS "
                + alias
                + (range.isEmpty() ? " WHERE " : range + " AND ")
                + "(NOT ("
                + sameText(shadow, "CAST(" + sc.usingSql() + " AS " + sc.type() + ")")
                + ")"
                + (nullCheck
                        ? " OR ("
                                + shadow
                                + " IS NULL AND "
                                + alias
                                + "."
                                + Identifiers.quote(sc.column().name())
                                + " IS NOT NULL)"
                        : "")
                + ") ORDER BY "
                + orderBy(alias, key, false)
                + " LIMIT "
                + limit;
    }

    /**
     * {@link #shadowDifference(ShadowColumn, int, boolean, boolean)} over the whole table, 5 keys.
     */
    public static String shadowDifference(ShadowColumn sc) {
        return shadowDifference(sc, 5, false, false);
    }

    /**
     * Abort of a modify-column reorg in any state before {@code public}: drops the trigger, its
     * function, the NOT NULL check constraint and the shadow column. Each statement is idempotent
     * ({@code IF EXISTS}), so an abort after a partial prepare, or a second abort, succeeds. The
     * table's columns, constraints and triggers are then as before prepare; its data was never
     * changed. Dropping a column only marks it dropped: PostgreSQL keeps an {@code attisdropped}
     * entry in {@code pg_attribute} (and the column's space in rows written meanwhile) until the
     * table is next rewritten; no query, {@code \d} or {@code SELECT *} sees it. Called by the
     * modify-column abort.
     */
    public static List<String> dropShadow(ShadowColumn sc) {
        String t = sc.table().quotedName();
        return List.of(
                "DROP TRIGGER IF EXISTS " + Identifiers.quote(sc.trigger()) + " ON " + t,
                "DROP TRIGGER IF EXISTS " + Identifiers.quote(sc.legacyTrigger()) + " ON " + t,
                dropShadowFunction(sc),
                "ALTER TABLE "
                        + t
                        + " DROP CONSTRAINT IF EXISTS "
                        + Identifiers.quote(sc.notNullConstraint()),
                "ALTER TABLE "
                        + t
                        + " DROP COLUMN IF EXISTS "
                        + Identifiers.quote(sc.shadowName()));
    }

    /** {@code DROP FUNCTION IF EXISTS} of a modify-column's trigger function. */
    static String dropShadowFunction(ShadowColumn sc) {
        return "DROP FUNCTION IF EXISTS "
                + Identifiers.qualified("backfill", sc.triggerFunction())
                + "()";
    }

    /**
     * {@code DROP FUNCTION IF EXISTS} of reorg {@code reorgId}'s modify-column trigger function,
     * for an abort whose table is gone (the trigger went with it).
     */
    public static String dropShadowFunction(String reorgId) {
        return "DROP FUNCTION IF EXISTS "
                + Identifiers.qualified(
                        "backfill", IndexTable.objectPrefix(reorgId) + ShadowColumn.FUNCTION_SUFFIX)
                + "()";
    }

    /**
     * The current default of the column being changed, for {@link #cutOver}: one row with {@code
     * pg_get_expr} of its default (none when it has no default). Parameters: {@code
     * table.quotedName()} and the column's name. Read by the modify-column finalizer inside the
     * cut-over transaction, after its lock, so that it cannot change before the cut-over uses it.
     */
    public static String columnDefault() {
        return "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_attrdef d"
                + " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                + " WHERE a.attrelid = ?::regclass AND a.attname = ? AND NOT a.attisdropped";
    }

    /**
     * Prepares carrying NOT NULL over without a long lock (modify-column finalizer, before the
     * cut-over, only when the column is NOT NULL): {@code ADD CONSTRAINT "<prefix>_notnull" CHECK
     * (shadow IS NOT NULL) NOT VALID} (a brief lock, no scan; from then on writes are checked),
     * then {@code VALIDATE CONSTRAINT}, which scans the table under a lock that does not block
     * reads or writes. Run each in its own transaction. The cut-over's {@code SET NOT NULL} then
     * uses the validated constraint instead of scanning.
     */
    public static List<String> prepareNotNull(ShadowColumn sc) {
        String t = sc.table().quotedName();
        String con = Identifiers.quote(sc.notNullConstraint());
        return List.of(
                "ALTER TABLE "
                        + t
                        + " ADD CONSTRAINT "
                        + con
                        + " CHECK ("
                        + Identifiers.quote(sc.shadowName())
                        + " IS NOT NULL) NOT VALID",
                "ALTER TABLE " + t + " VALIDATE CONSTRAINT " + con);
    }

    /**
     * The cut-over of a modify-column reorg: statements to run in order in one short transaction
     * under {@code lock_timeout} (the modify-column finalizer, or {@code scripts/backfill cutover},
     * retried with backoff). It takes the table's ACCESS EXCLUSIVE lock first (so no lock is
     * upgraded half way), drops the trigger and its function, takes the default and NOT NULL off
     * the old column (nothing writes it any more), renames it to {@code _backfill_old_<column>} and
     * the shadow column to the column's name, puts the default on it ({@code defaultExpr}: as read
     * by {@link #columnDefault}, or null for none; PostgreSQL coerces it to the new type, as {@code
     * ALTER TABLE ... TYPE} does), and, when the column was NOT NULL, sets NOT NULL (proved by the
     * constraint of {@link #prepareNotNull}, so without a scan) and drops that constraint. Nothing
     * here reads or rewrites rows. Rebuilding the column's indexes and swapping their names is not
     * part of this list.
     */
    public static List<String> cutOver(ShadowColumn sc, String defaultExpr) {
        List<String> out = new ArrayList<>();
        out.add(lockExclusive(sc));
        out.addAll(swapColumns(sc, defaultExpr));
        return out;
    }

    /** {@code LOCK TABLE t IN ACCESS EXCLUSIVE MODE}: the first statement of every cut-over. */
    public static String lockExclusive(ShadowColumn sc) {
        return "LOCK TABLE " + sc.table().quotedName() + " IN ACCESS EXCLUSIVE MODE";
    }

    /**
     * {@link #cutOver} after its lock: the statements that swap the columns. {@code Cutover} runs
     * the lock, then drops the old column's rebuilt indexes, then these.
     */
    public static List<String> swapColumns(ShadowColumn sc, String defaultExpr) {
        String t = sc.table().quotedName();
        String col = Identifiers.quote(sc.column().name());
        boolean notNull = sc.column().notNull();
        List<String> out = new ArrayList<>();
        // The trigger under its current or its legacy name (a reorg prepared before the rename);
        // the DROP FUNCTION without IF EXISTS then fails if a trigger still uses the function.
        out.add("DROP TRIGGER IF EXISTS " + Identifiers.quote(sc.trigger()) + " ON " + t);
        out.add("DROP TRIGGER IF EXISTS " + Identifiers.quote(sc.legacyTrigger()) + " ON " + t);
        out.add("DROP FUNCTION " + Identifiers.qualified("backfill", sc.triggerFunction()) + "()");
        if (notNull) {
            out.add("ALTER TABLE " + t + " ALTER COLUMN " + col + " DROP NOT NULL");
        }
        if (defaultExpr != null) {
            out.add("ALTER TABLE " + t + " ALTER COLUMN " + col + " DROP DEFAULT");
        }
        out.add(
                "ALTER TABLE "
                        + t
                        + " RENAME COLUMN "
                        + col
                        + " TO "
                        + Identifiers.quote(sc.oldName()));
        out.add(
                "ALTER TABLE "
                        + t
                        + " RENAME COLUMN "
                        + Identifiers.quote(sc.shadowName())
                        + " TO "
                        + col);
        if (defaultExpr != null) {
            out.add("ALTER TABLE " + t + " ALTER COLUMN " + col + " SET DEFAULT " + defaultExpr);
        }
        if (notNull) {
            out.add("ALTER TABLE " + t + " ALTER COLUMN " + col + " SET NOT NULL");
            out.add(
                    "ALTER TABLE "
                            + t
                            + " DROP CONSTRAINT "
                            + Identifiers.quote(sc.notNullConstraint()));
        }
        return out;
    }

    /**
     * What the cut-over carries from the old column to the new one besides the default and NOT
     * NULL, read inside the cut-over transaction after its lock: one row per item, {@code (kind, a,
     * b, c)}: {@code ('comment', text)}, {@code ('grant', privilege, grantee role or NULL for
     * PUBLIC, grantable)} per column privilege, {@code ('sequence', sequence as regclass text)} per
     * sequence owned by the column (a serial's). Parameters: the table (regclass text) and the
     * column's name, three times.
     */
    public static String columnCarryOver() {
        String col =
                " FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attname = ?"
                        + " AND NOT a.attisdropped";
        return "SELECT 'comment', col_description(a.attrelid, a.attnum), NULL, NULL"
                + col
                + " AND col_description(a.attrelid, a.attnum) IS NOT NULL"
                + " UNION ALL SELECT 'grant', x.privilege_type, r.rolname,"
                + " CASE WHEN x.is_grantable THEN 'yes' END"
                + " FROM pg_attribute a CROSS JOIN LATERAL aclexplode(a.attacl) x"
                + " LEFT JOIN pg_roles r ON r.oid = x.grantee"
                + " WHERE a.attrelid = ?::regclass AND a.attname = ? AND NOT a.attisdropped"
                + " UNION ALL SELECT 'sequence', d.objid::regclass::text, NULL, NULL"
                + " FROM pg_attribute a JOIN pg_depend d ON d.refobjid = a.attrelid"
                + " AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass"
                + " AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'"
                + " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                + " WHERE a.attrelid = ?::regclass AND a.attname = ? AND NOT a.attisdropped";
    }

    /** {@code COMMENT ON COLUMN t."column" IS '<comment>'}: the old column's comment. */
    public static String commentColumn(ShadowColumn sc, String comment) {
        return "COMMENT ON COLUMN "
                + sc.table().quotedName()
                + "."
                + Identifiers.quote(sc.column().name())
                + " IS "
                + Identifiers.literal(comment);
    }

    /**
     * {@code GRANT <privilege> ("column") ON t TO <grantee> [WITH GRANT OPTION]}: one of the old
     * column's privileges; {@code grantee} null means PUBLIC.
     */
    public static String grantColumn(
            ShadowColumn sc, String privilege, String grantee, boolean grantable) {
        if (!privilege.matches("[A-Z ]+")) {
            throw new IllegalArgumentException("not a privilege: " + privilege);
        }
        return "GRANT "
                + privilege
                + " ("
                + Identifiers.quote(sc.column().name())
                + ") ON "
                + sc.table().quotedName()
                + " TO "
                + (grantee == null ? "PUBLIC" : Identifiers.quote(grantee))
                + (grantable ? " WITH GRANT OPTION" : "");
    }

    /**
     * {@code ALTER SEQUENCE <seq> OWNED BY t."column"}: a serial's sequence follows the column, so
     * that cleanup's drop of the old column does not drop it. {@code sequence} is regclass text
     * (already quoted by PostgreSQL).
     */
    public static String ownSequence(ShadowColumn sc, String sequence) {
        return "ALTER SEQUENCE "
                + sequence
                + " OWNED BY "
                + sc.table().quotedName()
                + "."
                + Identifiers.quote(sc.column().name());
    }

    /**
     * Whether a constraint of that name exists on the table: one row, or none. Parameters: the
     * table (regclass text), the constraint's name.
     */
    public static String constraintExists() {
        return "SELECT 1 FROM pg_constraint WHERE conrelid = ?::regclass AND conname = ?";
    }

    /**
     * Whether an index exists and is valid: one row {@code (indisvalid)}, none when absent.
     * Parameter: the index (regclass text).
     */
    public static String indexValid() {
        return "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(?)";
    }

    /**
     * A table's size in bytes (heap and TOAST, no indexes) and its dead tuples from the statistics
     * (0 when unknown): what a modify-column's in-place update costs until VACUUM. Parameters: the
     * table (regclass text), twice.
     */
    public static String tableSize() {
        return "SELECT pg_table_size(?::regclass), coalesce((SELECT n_dead_tup FROM"
                + " pg_stat_all_tables WHERE relid = ?::regclass), 0)";
    }

    /**
     * {@code scripts/backfill cleanup}: drops {@code _backfill_old_<column>} after a cut-over
     * (idempotent). Like any DROP COLUMN it only marks the column dropped; its space is reclaimed
     * as rows are rewritten.
     */
    public static String dropOldColumn(ShadowColumn sc) {
        return "ALTER TABLE "
                + sc.table().quotedName()
                + " DROP COLUMN IF EXISTS "
                + Identifiers.quote(sc.oldName());
    }

    // ---------------------------------------------------------------- modify-column catalog reads

    /** The column of {@link #columnDependents}: its table (regclass text) and name. */
    private static final String DEPENDENTS_TARGET =
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

    /**
     * The application's BEFORE row triggers that would fire after a modify-column's shadow trigger
     * ({@link TriggerOrder}): PostgreSQL fires the BEFORE triggers of a table in the byte order of
     * their names, so these could change the row after the shadow value was computed. One row per
     * trigger, {@code (trigger name, table it is on)}: every BEFORE INSERT or UPDATE row trigger on
     * the table or one of its partitions whose name sorts ({@code COLLATE "C"}) after the name of
     * the trigger that runs our function there (the current or the legacy name), or, before prepare
     * installed it, after the name it will have; except Backfill's own triggers (functions in
     * schema {@code backfill}), which never change an application column. Parameters: the table
     * (regclass text) twice, our trigger function (regprocedure text), our trigger's name.
     */
    public static String laterBeforeTriggers() {
        return "SELECT g.tgname::text, g.tgrelid::regclass::text"
                // pg_partition_tree lists nothing for a table that is not partitioned
                + " FROM (SELECT ?::regclass AS relid UNION SELECT relid"
                + " FROM pg_partition_tree(?::regclass)) p"
                + " JOIN pg_trigger g ON g.tgrelid = p.relid AND NOT g.tgisinternal"
                // TRIGGER_TYPE_ROW (1) and BEFORE (2), not INSTEAD (64); INSERT (4) or UPDATE (16)
                + " AND g.tgtype::int & 67 = 3 AND g.tgtype::int & 20 <> 0"
                + " AND g.tgname::text COLLATE \"C\" > coalesce((SELECT o.tgname::text"
                + " FROM pg_trigger o WHERE o.tgrelid = p.relid"
                + " AND o.tgfoid = to_regprocedure(?)), ?) COLLATE \"C\""
                + " AND NOT EXISTS (SELECT 1 FROM pg_proc f JOIN pg_namespace n"
                + " ON n.oid = f.pronamespace WHERE f.oid = g.tgfoid AND n.nspname = 'backfill')"
                + " ORDER BY 2, 1";
    }

    /**
     * What blocks an online type change of a column ({@link ColumnDependents}): one row per
     * dependent, {@code (kind order, description)}, the descriptions with unquoted names for
     * messages. Parameters: the table (regclass text) and the column's name. {@code
     * publicationColumns}: PostgreSQL 15 and later (publication column lists and row filters).
     */
    public static String columnDependents(boolean publicationColumns) {
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
        return DEPENDENTS_TARGET + String.join("\nUNION ALL ", branches) + "\nORDER BY 1, 2";
    }

    /**
     * The indexes that cover a column ({@link ShadowIndexes#plan}), with what rebuilding them
     * needs. Parameters: the table (regclass text), the column's name.
     */
    public static String coveringIndexes(boolean nullsNotDistinct) {
        return "WITH target AS (SELECT attrelid AS rel, attnum AS num FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attname = ? AND attnum > 0"
                + " AND NOT attisdropped)"
                + " SELECT i.indexrelid, ic.relname, i.indisunique, i.indisprimary,"
                + " i.indisexclusion, i.indexprs IS NOT NULL OR i.indpred IS NOT NULL,"
                + " i.indnkeyatts, am.amname, am.amname = 'btree',"
                + (nullsNotDistinct ? " i.indnullsnotdistinct," : " false,")
                + " ic.reloptions::text[], ts.spcname, con.conname, con.contype,"
                + " con.condeferrable, i.indisreplident, i.indisclustered,"
                + " obj_description(i.indexrelid, 'pg_class')"
                + " FROM target t JOIN pg_index i ON i.indrelid = t.rel"
                + " JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " JOIN pg_am am ON am.oid = ic.relam"
                + " LEFT JOIN pg_tablespace ts ON ts.oid = ic.reltablespace"
                + " LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid"
                + " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')"
                + " WHERE t.num = ANY (i.indkey::int2[]) OR EXISTS (SELECT 1 FROM pg_depend d"
                + " WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid"
                + " AND d.refclassid = 'pg_class'::regclass AND d.refobjid = t.rel"
                + " AND d.refobjsubid = t.num)"
                + " ORDER BY ic.relname";
    }

    /**
     * The columns of one index, in order. Parameter: the index's oid. Per column: its name, DESC,
     * NULLS FIRST, the collation when it differs from the column's (schema, name), the operator
     * class when it is not a default one (schema, name).
     */
    public static String indexColumns() {
        return INDEX_COLUMNS;
    }

    private static final String INDEX_COLUMNS =
            "SELECT a.attname, (i.indoption[k.ord - 1] & 1) <> 0, (i.indoption[k.ord - 1] & 2) <> 0,"
                    + " cn.nspname, co.collname, CASE WHEN NOT oc.opcdefault THEN on_.nspname END,"
                    + " CASE WHEN NOT oc.opcdefault THEN oc.opcname END"
                    + " FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[])"
                    + " WITH ORDINALITY AS k(attnum, ord)"
                    + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                    + " LEFT JOIN pg_collation co ON co.oid = i.indcollation[k.ord - 1]"
                    + " AND i.indcollation[k.ord - 1] <> a.attcollation"
                    + " LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace"
                    + " LEFT JOIN pg_opclass oc ON oc.oid = i.indclass[k.ord - 1]"
                    + " LEFT JOIN pg_namespace on_ ON on_.oid = oc.opcnamespace"
                    + " WHERE i.indexrelid = ? ORDER BY k.ord";

    /**
     * The INVALID indexes of a table whose names start with a prefix ({@link
     * ShadowIndexes#dropInvalid}). Parameters: the table (regclass text), the prefix.
     */
    public static String invalidIndexes() {
        return "SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " WHERE i.indrelid = ?::regclass AND NOT i.indisvalid"
                + " AND starts_with(ic.relname, ?) ORDER BY ic.relname";
    }

    // ---------------------------------------------------------------- helpers

    static List<String> names(List<Column> cols) {
        List<String> out = new ArrayList<>();
        for (Column c : cols) {
            out.add(c.name());
        }
        return out;
    }

    private static List<String> prefixedNames(String prefix, List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            out.add(prefix + Identifiers.quote(n));
        }
        return out;
    }

    private static String prefixed(String prefix, List<String> names) {
        StringJoiner j = new StringJoiner(", ");
        for (String n : names) {
            j.add(prefix + Identifiers.quote(n));
        }
        return j.toString();
    }

    /** {@code ROW(a."x", a."y")}, or {@code a."x"} alone; alias null for bare names. */
    private static String tuple(String alias, List<String> names) {
        String list = alias == null ? Identifiers.list(null, names) : prefixed(alias + ".", names);
        return names.size() == 1 ? list : "ROW(" + list + ")";
    }

    private static String setExcluded(List<String> cols) {
        StringJoiner j = new StringJoiner(", ");
        for (String n : cols) {
            j.add(Identifiers.quote(n) + " = EXCLUDED." + Identifiers.quote(n));
        }
        return j.toString();
    }

    // ---- status and plan (#5)

    /**
     * Whether a relation exists: one row {@code (boolean)}. Parameter: its name as regclass text
     * (quoted). Read-only; used by {@code status} and {@code plan}, which never create the catalog.
     */
    public static String relationExists() {
        return "SELECT to_regclass(?) IS NOT NULL";
    }

    /**
     * The planner's row estimate of one relation: one row {@code (bigint)}, negative for a table
     * never analyzed. Parameter: its name as regclass text (quoted).
     */
    public static String rowEstimate() {
        return "SELECT reltuples::bigint FROM pg_class WHERE oid = ?::regclass";
    }

    /** {@code SELECT count(*) FROM <source>}; {@code source} is a quoted scan source. */
    public static String countRows(String source) {
        return "SELECT count(*) FROM " + source;
    }

    /**
     * {@code ALTER TABLE backfill.reorgs ADD COLUMN IF NOT EXISTS flink_job_id text}: the catalog
     * upgrade for the Flink job id (issue #5), run by {@link Catalog#ensureSchema} only when the
     * column is missing, so that a current catalog is not locked.
     */
    public static String addFlinkJobIdColumn() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(Catalog.FLINK_JOB_ID)
                + " text";
    }

    /**
     * {@code ALTER TABLE backfill.reorgs ADD COLUMN IF NOT EXISTS rows_repaired bigint NOT NULL
     * DEFAULT 0}: the catalog upgrade for the repair count (issue #9), run by {@link
     * Catalog#ensureSchema} only when the column is missing.
     */
    public static String addRowsRepairedColumn() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(Catalog.ROWS_REPAIRED)
                + " bigint NOT NULL DEFAULT 0";
    }

    /**
     * Adds to a reorg's repair count, in the repair's transaction. Leaves {@code updated_at} alone.
     * Parameters: the rows repaired, the reorg id.
     */
    public static String addRowsRepaired() {
        String col = Identifiers.quote(Catalog.ROWS_REPAIRED);
        return "UPDATE " + Catalog.REORGS + " SET " + col + " = " + col + " + ? WHERE id = ?";
    }

    // ---------------------------------------------------------------- adaptive throttle (#10)

    /**
     * {@code ALTER TABLE backfill.reorgs ADD COLUMN IF NOT EXISTS ...}: the throttle's live knobs
     * ({@code throttle}, {@code throttle_max_latency_ratio}, {@code throttle_max_replica_lag},
     * {@code throttle_max_active_sessions}, {@code throttle_min_rows_per_second}) and what it does
     * now ({@code throttle_rate}, {@code throttle_reason}), added in place by {@link
     * Catalog#ensureSchema} when missing.
     */
    public static String addThrottleColumns() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " ADD COLUMN IF NOT EXISTS throttle boolean NOT NULL DEFAULT true,"
                + " ADD COLUMN IF NOT EXISTS throttle_max_latency_ratio double precision NOT NULL"
                + " DEFAULT 2,"
                + " ADD COLUMN IF NOT EXISTS throttle_max_replica_lag interval NOT NULL DEFAULT"
                + " '5 s',"
                + " ADD COLUMN IF NOT EXISTS throttle_max_active_sessions integer NOT NULL"
                + " DEFAULT 0,"
                + " ADD COLUMN IF NOT EXISTS throttle_min_rows_per_second bigint NOT NULL DEFAULT"
                + " 1000,"
                + " ADD COLUMN IF NOT EXISTS throttle_rate bigint,"
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(Catalog.THROTTLE_REASON)
                + " text";
    }

    /**
     * The throttle's live knobs of a reorg: enabled, latency ratio, replica lag in milliseconds,
     * max active sessions, min rows/s. Parameter: the reorg id.
     */
    public static String throttleKnobs() {
        return "SELECT throttle, throttle_max_latency_ratio,"
                + " (extract(epoch FROM throttle_max_replica_lag) * 1000)::bigint,"
                + " throttle_max_active_sessions, throttle_min_rows_per_second FROM "
                + Catalog.REORGS
                + " WHERE id = ?";
    }

    /**
     * Sets the throttle's knobs a run starts with, and clears what it did in an earlier run.
     * Parameters: enabled, latency ratio, replica lag in milliseconds, max active sessions, min
     * rows/s, the reorg id.
     */
    public static String setThrottleKnobs() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET throttle = ?, throttle_max_latency_ratio = ?,"
                + " throttle_max_replica_lag = make_interval(secs => ?::double precision / 1000),"
                + " throttle_max_active_sessions = ?, throttle_min_rows_per_second = ?,"
                + " throttle_rate = NULL, throttle_reason = NULL WHERE id = ?";
    }

    /**
     * Records the throttle's current decision (global rate, 0 when uncapped; reason). Leaves {@code
     * updated_at} alone: status derives rates from it. Parameters: rate, reason, reorg id.
     */
    public static String recordThrottle() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET throttle_rate = ?, throttle_reason = ? WHERE id = ?";
    }

    /**
     * The adaptive throttle's probe, run in autocommit: {@code SELECT txid_current()}, a
     * transaction that takes an xid and so commits with a WAL flush (the throttle's session keeps
     * {@code synchronous_commit} on). Its round trip is what a small application write waits for:
     * CPU and scheduling on the server, and the WAL flush that the backfill's own WAL volume (and
     * the checkpoints it forces) slows down; a read-only {@code SELECT 1} sees only the first. With
     * {@code sleep}, {@code SELECT pg_sleep(?)} (a test failpoint).
     */
    public static String throttleProbe(boolean sleep) {
        return sleep ? "SELECT pg_sleep(?)" : "SELECT txid_current()";
    }

    /**
     * The throttle's view of the server, one row: active client sessions that are not the reorg's
     * ({@code application_name} is not the reorg's, parameter 1); sessions of others whose
     * statement has waited over 100 ms on a lock that one of the reorg's sessions holds ({@code
     * pg_blocking_pids}, parameters 2 and 3; a batch's row locks make writers wait for a few
     * milliseconds, which is not what the throttle is for); and the replicas' largest {@code
     * replay_lag} in milliseconds, 0 when caught up and -1 without any replica.
     */
    /**
     * The throttle prober's look for the application: active client sessions that are not the
     * reorg's ({@code application_name} is not the reorg's, parameter 1), right now.
     */
    public static String throttleOthersActive() {
        return "SELECT count(*) FROM pg_stat_activity a"
                + " WHERE a.state = 'active' AND a.backend_type = 'client backend'"
                + " AND a.pid <> pg_backend_pid() AND a.application_name IS DISTINCT FROM ?";
    }

    public static String throttleActivity() {
        return "SELECT (SELECT count(*) FROM pg_stat_activity a"
                + " WHERE a.state = 'active' AND a.backend_type = 'client backend'"
                + " AND a.pid <> pg_backend_pid() AND a.application_name IS DISTINCT FROM ?),"
                + " (SELECT count(*) FROM pg_stat_activity w"
                + " WHERE w.wait_event_type = 'Lock' AND w.application_name IS DISTINCT FROM ?"
                + " AND w.query_start < clock_timestamp() - interval '100 milliseconds'"
                + " AND EXISTS (SELECT 1 FROM pg_stat_activity o"
                + " WHERE o.pid = ANY (pg_blocking_pids(w.pid)) AND o.application_name = ?)),"
                + " (SELECT CASE WHEN count(*) = 0 THEN -1 ELSE"
                + " coalesce((max(extract(epoch FROM replay_lag)) * 1000)::bigint, 0) END"
                + " FROM pg_stat_replication)";
    }

    /**
     * Records the Flink job running a reorg (set by the enumerator when it starts; a restart or a
     * resumed run overwrites it). Leaves {@code updated_at} alone: status derives rates from it.
     * Parameters: the job id, the reorg id.
     */
    public static String setFlinkJobId() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET "
                + Identifiers.quote(Catalog.FLINK_JOB_ID)
                + " = ? WHERE id = ?";
    }

    /**
     * {@code scripts/backfill status}: every reorg (or, with {@code one}, the reorg whose id is the
     * parameter), oldest first, each with its split counters from {@code backfill.progress}: {@code
     * splits}, {@code splits_done}, {@code rows_scanned} (summed), {@code tables} (physical tables
     * with a split) and {@code tables_cut} (those whose last split is cut), and the database's
     * {@code now()} as {@code db_now}. Read-only.
     */
    public static String reorgStatus(boolean one) {
        return "SELECT r.*, p.splits, p.splits_done, p.rows_scanned, p.tables, p.tables_cut,"
                + " now() AS db_now FROM "
                + Catalog.REORGS
                + " r LEFT JOIN LATERAL (SELECT count(*) AS splits,"
                + " count(*) FILTER (WHERE done) AS splits_done,"
                + " coalesce(sum(rows_scanned), 0) AS rows_scanned,"
                + " count(DISTINCT physical_table) AS tables,"
                + " count(*) FILTER (WHERE last) AS tables_cut FROM "
                + Catalog.PROGRESS
                + " p WHERE p.reorg_id = r.id) p ON true"
                + (one ? " WHERE r.id = ?" : "")
                + " ORDER BY r.started_at, r.id";
    }

    /**
     * The dry-run check of a modify-column's new value for {@code scripts/backfill plan}: {@code
     * SELECT CAST((using) AS type) FROM t AS "name" WHERE false}, which reads no row and writes
     * nothing, and fails on a syntax error, an unknown column, or a type without any cast to the
     * new type. Prepare's {@link #checkUsing} assigns to the shadow column instead, which is
     * stricter for a custom {@code using} whose type has only an explicit cast; that needs the
     * shadow column, so the dry run cannot run it.
     */
    public static String planCheckUsing(ShadowColumn sc) {
        TableInfo t = sc.table();
        return "SELECT CAST("
                + sc.usingSql()
                + " AS "
                + sc.type()
                + ") FROM "
                + t.quotedName()
                + " AS "
                + Identifiers.quote(t.name())
                + " WHERE false";
    }
}
