package dev.backfill.db;

import dev.backfill.db.TableInfo.Column;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The one place SQL text is built. Pure string building, no database: every statement Backfill runs
 * against the user's table comes from here, so quoting and key handling are uniform and unit
 * tested. Values are always bound as parameters (in PostgreSQL text form, cast to the column's type
 * with {@code ?::type}); identifiers always go through {@link Identifiers}.
 *
 * <p>Key ranges use row comparisons, {@code (k1, k2) > (?, ?)}, which PostgreSQL answers from the
 * primary key's B-tree for any number and type of key columns.
 */
public final class SqlBuilder {
    private SqlBuilder() {}

    /** Tag for the trigger function body; a quoted identifier containing it is refused. */
    static final String BODY_TAG = "$backfill_trigger$";

    // ---------------------------------------------------------------- key ranges and scans

    /** {@code (t."k1", t."k2")} or {@code t."k1"} for a single column. */
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

    /** {@code SELECT cols FROM source t WHERE <key range> ORDER BY key}: every keyset scan. */
    private static String keyScan(
            String source,
            List<String> cols,
            List<Column> key,
            boolean hasLower,
            boolean hasUpper,
            boolean descending) {
        return "SELECT "
                + Identifiers.list("t", cols)
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
        StringJoiner params = new StringJoiner(", ");
        StringJoiner aliases = new StringJoiner(", ");
        StringJoiner match = new StringJoiner(" AND ");
        for (int i = 0; i < key.size(); i++) {
            params.add("?::text[]");
            aliases.add("k" + i);
            match.add(
                    "t."
                            + Identifiers.quote(key.get(i).name())
                            + " = b.k"
                            + i
                            + "::"
                            + key.get(i).type());
        }
        for (int i = 0; i < vals.size(); i++) {
            params.add("?::text[]");
            aliases.add("v" + i);
            match.add(
                    "t."
                            + Identifiers.quote(vals.get(i).name())
                            + " IS NOT DISTINCT FROM b.v"
                            + i
                            + "::"
                            + vals.get(i).type());
        }
        List<String> entry = names(index.entryColumns());
        return "WITH b AS (SELECT * FROM unnest("
                + params
                + ") AS b("
                + aliases
                + ")), l AS (SELECT "
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
     * Explains a unique violation: for the batch (same parameters as {@link #addIndexBatch}),
     * returns rows {@code (values text, this key text, other key text)}: entries already in the
     * index table with the same non-NULL values and another key, and pairs within the batch.
     */
    public static String addIndexDuplicates(IndexTable index) {
        List<Column> key = index.table().keyColumns();
        List<Column> vals = index.indexed();
        StringJoiner params = new StringJoiner(", ");
        StringJoiner aliases = new StringJoiner(", ");
        for (int i = 0; i < key.size(); i++) {
            params.add("?::text[]");
            aliases.add("k" + i);
        }
        StringJoiner valsEq = new StringJoiner(" AND ");
        StringJoiner valsNotNull = new StringJoiner(" AND ");
        StringJoiner valsEqBatch = new StringJoiner(" AND ");
        StringJoiner valsText = new StringJoiner(" || '-' || ");
        StringJoiner keyCast = new StringJoiner(", ");
        StringJoiner keyCast2 = new StringJoiner(", ");
        for (int i = 0; i < vals.size(); i++) {
            params.add("?::text[]");
            aliases.add("v" + i);
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
        return "WITH b AS (SELECT * FROM unnest("
                + params
                + ") AS b("
                + aliases
                + ")) SELECT "
                + valsText
                + ", "
                + bKey
                + "::text, "
                + iKey
                + "::text FROM b JOIN "
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
                + "::text FROM b JOIN b b2 ON "
                + valsEqBatch
                + " AND "
                + b2Key
                + " > "
                + bKey
                + " WHERE "
                + valsNotNull
                + " LIMIT 1";
    }

    // ---------------------------------------------------------------- verification

    /**
     * Rows of {@code from} that are not in {@code to} as entries (indexed columns, key columns),
     * within one key range, ordered by key: the first {@code limit} keys, each with the total
     * count. Used both ways: table → index (missing or wrong entries), index → table (dangling
     * entries). Parameters: the lower bound (when {@code hasLower}) and the upper bound (when
     * {@code hasUpper}) for {@code from}, then the same again for {@code to}.
     */
    public static String entryDifference(
            String quotedFrom,
            String quotedTo,
            IndexTable index,
            int limit,
            boolean hasLower,
            boolean hasUpper) {
        List<String> entry = names(index.entryColumns());
        String cols = Identifiers.list(null, entry);
        String range = keyRange(null, index.table().keyColumns(), hasLower, hasUpper);
        return "SELECT "
                + keyTextExpr("d", index.table().keyColumns())
                + ", count(*) OVER () FROM (SELECT "
                + cols
                + " FROM "
                + quotedFrom
                + range
                + " EXCEPT SELECT "
                + cols
                + " FROM "
                + quotedTo
                + range
                + ") d ORDER BY "
                + orderBy("d", index.table().keyColumns(), false)
                + " LIMIT "
                + limit;
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
        StringJoiner same = new StringJoiner(" AND ");
        for (Column c : index.indexed()) {
            same.add(
                    "t."
                            + Identifiers.quote(c.name())
                            + " IS NOT DISTINCT FROM i."
                            + Identifiers.quote(c.name()));
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
            cols.add(Identifiers.quote(c.name()) + " " + c.type());
        }
        for (Column c : index.extraKeyColumns()) {
            cols.add(Identifiers.quote(c.name()) + " " + c.type() + " NOT NULL");
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
     * changed ({@code WHEN}, evaluated without calling the function).
     */
    public static List<String> createTriggers(IndexTable index) {
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
                        + ") DO "
                        + (index.indexed().stream()
                                        .allMatch(
                                                c ->
                                                        key.stream()
                                                                .anyMatch(
                                                                        k ->
                                                                                k.name()
                                                                                        .equals(
                                                                                                c
                                                                                                        .name())))
                                ? "NOTHING"
                                : "UPDATE SET " + setExcluded(index.indexedNames(), names(key)));
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
        // A key column named like a PL/pgSQL variable (found, new, old...) must mean the column.
        String body =
                "#variable_conflict use_column\nBEGIN\n"
                        + "  IF TG_OP = 'INSERT' THEN\n    "
                        + upsert
                        + ";\n"
                        + "  ELSIF TG_OP = 'DELETE' THEN\n    "
                        + claimOld
                        + ";\n    "
                        + deleteOld
                        + ";\n"
                        + "  ELSIF "
                        + tuple("OLD", names(key))
                        + " IS DISTINCT FROM "
                        + tuple("NEW", names(key))
                        + " THEN\n    "
                        + claimOld
                        + ";\n    "
                        + deleteOld
                        + ";\n    "
                        + upsert
                        + ";\n"
                        + "  ELSE\n    "
                        + upsert
                        + ";\n"
                        + "  END IF;\n"
                        + "  RETURN NULL;\n"
                        + "END\n";
        if (body.contains(BODY_TAG)) {
            throw new IllegalArgumentException("a column name contains " + BODY_TAG);
        }
        String fn = Identifiers.qualified("backfill", index.triggerFunction());
        List<String> watched = new ArrayList<>(entry);
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
                        + tuple("OLD", watched)
                        + " IS DISTINCT FROM "
                        + tuple("NEW", watched)
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
                            + "\nBEGIN\n  TRUNCATE "
                            + idx
                            + ";\n  RETURN NULL;\nEND\n"
                            + BODY_TAG);
            out.add(
                    "CREATE TRIGGER "
                            + Identifiers.quote(index.truncateTrigger())
                            + " AFTER TRUNCATE ON "
                            + t.quotedName()
                            + " FOR EACH STATEMENT EXECUTE FUNCTION "
                            + Identifiers.qualified(
                                    "backfill", index.triggerFunction() + "_truncate")
                            + "()");
        }
        return out;
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
                "DROP TABLE IF EXISTS " + idx);
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
        return out;
    }

    // ---------------------------------------------------------------- helpers

    static List<String> names(List<Column> cols) {
        List<String> out = new ArrayList<>();
        for (Column c : cols) {
            out.add(c.name());
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

    private static String setExcluded(List<String> indexed, List<String> key) {
        StringJoiner j = new StringJoiner(", ");
        for (String n : indexed) {
            if (!key.contains(n)) {
                j.add(Identifiers.quote(n) + " = EXCLUDED." + Identifiers.quote(n));
            }
        }
        return j.toString();
    }
}
