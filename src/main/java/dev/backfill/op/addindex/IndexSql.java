package dev.backfill.op.addindex;

import dev.backfill.db.Identifiers;
import dev.backfill.db.KeySql;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.db.TriggerSql;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The add-index operation's SQL: the index table and its triggers, the batch write and its
 * duplicate check, tombstones, entry verification and repair, the partition guards and the drops of
 * abort. Pure string building, no database; values are bound as parameters, identifiers go through
 * {@link Identifiers}, and comparisons are byte-exact as {@link KeySql} describes.
 */
@Internal
public final class IndexSql {
    private IndexSql() {}

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
            match.add(KeySql.textOf(col) + " = b.k" + i);
        }
        for (int i = 0; i < vals.size(); i++) {
            // The compare-and-set is on the value's text, as it was read: a row whose value
            // changed to an equal but different one (1.0 -> 1.000) was written under the
            // triggers, which already wrote its entry.
            match.add(
                    KeySql.textOf("t." + Identifiers.quote(vals.get(i).name()))
                            + " IS NOT DISTINCT FROM b.v"
                            + i);
        }
        List<String> entry = KeySql.names(index.entryColumns());
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
                + Identifiers.list(null, KeySql.names(key))
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
        List<String> entry = KeySql.names(index.entryColumns());
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
                + Identifiers.list(null, KeySql.names(key))
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
                    KeySql.textOf("t." + Identifiers.quote(vals.get(i).name()))
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
        String iKey = KeySql.keyTuple("i", key);
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

    /**
     * One key range's whole check, in one statement that reads each side once: the table's rows and
     * the index table's entries ({@code from (lower, upper]}) joined by a {@code FULL JOIN} on the
     * native key and every entry column's text ({@link KeySql#textOf}: by representation, key
     * included). A row with no entry of exactly its values is missing; an entry with no row of
     * exactly its values is dangling; a wrong entry is both. Returns rows {@code (kind, key text,
     * count)}: kind 0 once, with the number of rows in the range; kind 1, the first {@code limit}
     * missing keys in key order, each with the number missing; kind 2, the same for dangling
     * entries. Parameters: the table's bounds (lower when {@code hasLower}, then upper when {@code
     * hasUpper}), then the index table's. Both sides are read in key order by their primary keys;
     * measured on 2M rows, it costs about a quarter of the count and the two {@code EXCEPT}
     * anti-joins it replaced.
     */
    public static String entryCheck(
            String quotedTable, IndexTable index, int limit, boolean hasLower, boolean hasUpper) {
        List<Column> key = index.table().keyColumns();
        List<String> entry = KeySql.names(index.entryColumns());
        StringJoiner texts = new StringJoiner(", ");
        StringJoiner match = new StringJoiner(" AND ");
        for (Column k : key) {
            match.add("t." + Identifiers.quote(k.name()) + " = i." + Identifiers.quote(k.name()));
        }
        for (int n = 0; n < entry.size(); n++) {
            texts.add(KeySql.textOf(Identifiers.quote(entry.get(n))) + " AS _backfill_t" + n);
            match.add("t._backfill_t" + n + " IS NOT DISTINCT FROM i._backfill_t" + n);
        }
        String cols = Identifiers.list(null, KeySql.names(key)) + ", " + texts;
        String range = KeySql.keyRange(null, key, hasLower, hasUpper);
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

    /**
     * Repairs one key range of an index table, in the finalizer, after it has waited out older
     * transactions: the statements run in order in one short transaction. They lock the range's
     * rows and entries, delete entries that no row has exactly (dangling or stale), and insert the
     * missing ones. Each statement takes the range's bounds as parameters (see {@link
     * KeySql#keyRange}).
     */
    public static List<String> repairRange(IndexTable index, boolean hasLower, boolean hasUpper) {
        List<Column> key = index.table().keyColumns();
        String table = KeySql.verificationSource(index.table());
        String idx = index.quotedName();
        List<String> entry = KeySql.names(index.entryColumns());
        // An entry is right when its row has exactly its values: the same text, key included.
        StringJoiner same = new StringJoiner(" AND ");
        for (String c : entry) {
            same.add(KeySql.sameText("t." + Identifiers.quote(c), "i." + Identifiers.quote(c)));
        }
        String sameKey = KeySql.keyTuple("t", key) + " = " + KeySql.keyTuple("i", key);
        List<String> out = new ArrayList<>();
        out.add(
                "SELECT 1 FROM "
                        + table
                        + " t"
                        + KeySql.keyRange("t", key, hasLower, hasUpper)
                        + " FOR SHARE");
        out.add(
                "SELECT 1 FROM "
                        + idx
                        + " i"
                        + KeySql.keyRange("i", key, hasLower, hasUpper)
                        + " FOR UPDATE");
        out.add(
                "DELETE FROM "
                        + idx
                        + " i"
                        + KeySql.keyRange("i", key, hasLower, hasUpper)
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
                        + KeySql.keyRange("t", key, hasLower, hasUpper)
                        + (hasLower || hasUpper ? " AND" : " WHERE")
                        + " NOT EXISTS (SELECT 1 FROM "
                        + idx
                        + " i WHERE "
                        + sameKey
                        + ") ON CONFLICT ("
                        + Identifiers.list(null, KeySql.names(key))
                        + ") DO NOTHING");
        return out;
    }

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
                        + Identifiers.list(null, KeySql.names(index.table().keyColumns()))
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
        List<String> watched = new ArrayList<>(KeySql.names(index.entryColumns()));
        List<String> out = new ArrayList<>();
        out.add(
                "CREATE FUNCTION "
                        + fn
                        + "() RETURNS trigger LANGUAGE plpgsql AS "
                        + TriggerSql.BODY_TAG
                        + "\n"
                        + body
                        + TriggerSql.BODY_TAG);
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
                        + TriggerSql.imageDistinct(
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
                            + TriggerSql.BODY_TAG
                            + "\n"
                            + truncateBody(index, tombstones)
                            + TriggerSql.BODY_TAG);
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
        List<String> entry = KeySql.names(index.entryColumns());
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
                        + Identifiers.list(null, KeySql.names(key))
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
                        + tuple(null, KeySql.names(key))
                        + " = "
                        + tuple("OLD", KeySql.names(key));
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
                        + tuple("OLD", KeySql.names(key))
                        + " IS DISTINCT FROM "
                        + tuple("NEW", KeySql.names(key))
                        + " THEN\n    "
                        + onRekey
                        + ";\n"
                        + "  ELSE\n    "
                        + onUpdate
                        + ";\n"
                        + "  END IF;\n"
                        + "  RETURN NULL;\n"
                        + "END\n";
        if (body.contains(TriggerSql.BODY_TAG)) {
            throw new IllegalArgumentException("a column name contains " + TriggerSql.BODY_TAG);
        }
        return body;
    }

    /** The write-only form of {@link #maintainBody}. */
    private static String tombstoneBody(IndexTable index) {
        List<Column> key = index.table().keyColumns();
        String live = upsertLive(index, "NEW.");
        String tomb =
                upsertTombstone(
                        index, "VALUES (" + prefixed("OLD.", KeySql.names(key)) + ", true)");
        return rowTriggerBody(key, live, tomb, tomb + ";\n    " + live, live);
    }

    /**
     * {@code INSERT INTO idx (entry..., marker) VALUES (NEW.entry..., false) ON CONFLICT (key) DO
     * UPDATE SET entry... = EXCLUDED..., marker = false}: the live entry of the written row, over a
     * tombstone or an older entry (every column set, the key's too, as in the deleting form).
     */
    private static String upsertLive(IndexTable index, String prefix) {
        List<String> entry = KeySql.names(index.entryColumns());
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
                + Identifiers.list(null, KeySql.names(index.table().keyColumns()))
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
        List<String> key = KeySql.names(index.table().keyColumns());
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
        List<String> key = KeySql.names(index.table().keyColumns());
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
                + TriggerSql.BODY_TAG
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
                + TriggerSql.BODY_TAG;
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
                        + TriggerSql.BODY_TAG
                        + "\n"
                        + maintainBody(index, false)
                        + TriggerSql.BODY_TAG,
                "CREATE OR REPLACE FUNCTION "
                        + Identifiers.qualified("backfill", index.triggerFunction() + "_truncate")
                        + "() RETURNS trigger LANGUAGE plpgsql AS "
                        + TriggerSql.BODY_TAG
                        + "\n"
                        + truncateBody(index, false)
                        + TriggerSql.BODY_TAG,
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
            out.add(TriggerSql.enableAlways(index.table(), trg));
        }
        return out;
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
        List<String> entry = KeySql.names(index.entryColumns());
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
            if (body.contains(TriggerSql.BODY_TAG)) {
                throw new IllegalArgumentException("a name contains " + TriggerSql.BODY_TAG);
            }
        }
        List<String> out = new ArrayList<>();
        out.add(TriggerSql.plpgsql(leafFn + "() RETURNS trigger", truncateLeaf));
        out.add(TriggerSql.plpgsql(partitionsFn + "(fill boolean) RETURNS void", partitions));
        out.add(TriggerSql.plpgsql(ddlFn + "() RETURNS event_trigger", ddl));
        out.add(TriggerSql.plpgsql(dropFn + "() RETURNS event_trigger", drop));
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
     * Whether a statement of {@link #createPartitionGuards} creates an event trigger (which only a
     * superuser may do; prepare explains a refusal of it).
     */
    public static boolean createsEventTrigger(String sql) {
        return sql.startsWith("CREATE EVENT TRIGGER");
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
        out.add("DO " + TriggerSql.BODY_TAG + "\n" + body + TriggerSql.BODY_TAG);
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
                        + KeySql.keyTextExpr("n", key)
                        + " AS a, "
                        + KeySql.keyTextExpr("o", key)
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
                        + KeySql.keyTuple("o", key)
                        + " > "
                        + KeySql.keyTuple("n", key)
                        + ") d LIMIT 1");
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

    /**
     * Whether the index table exists and has the marker column. Parameters: the index table
     * (regclass text), the marker column's name.
     */
    public static String tombstoneColumnExists() {
        return "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid ="
                + " to_regclass(?) AND attname = ? AND NOT attisdropped)";
    }
}
