package dev.backfill.op.modifycolumn;

import dev.backfill.db.Connections;
import dev.backfill.db.Identifiers;
import dev.backfill.db.KeySql;
import dev.backfill.db.SessionSql;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.db.TriggerSql;
import dev.backfill.op.addindex.IndexTable;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The modify-column operation's SQL (#4): the shadow column and its trigger, the batch conversion,
 * shadow verification and repair, the cut-over (swap, carry-over of defaults, comments, grants,
 * sequences, NOT NULL) and the catalog reads of the column's dependents, triggers and indexes. Pure
 * string building, no database; values are bound as parameters, identifiers go through {@link
 * Identifiers}, and comparisons are byte-exact as {@link KeySql} describes.
 */
@Internal
public final class ColumnSql {
    private ColumnSql() {}

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

    /**
     * Repairs one key range of a modify-column's shadow column, in the finalizer (repair mode),
     * after it has waited out older transactions: the statements run in order in one short
     * transaction. The first locks the range's rows; the second rewrites the shadow of every row in
     * the range whose shadow's text differs from its new value's text ({@code CAST(using AS
     * type)}), so a value equal but not identical is rewritten too. The update count of the second
     * is the number of rows repaired. The table's BEFORE trigger fires on it but leaves the shadow
     * alone (the source column does not change). Each statement takes the range's bounds as
     * parameters (see {@link KeySql#keyRange}).
     */
    public static List<String> repairShadowRange(
            ShadowColumn sc, boolean hasLower, boolean hasUpper) {
        TableInfo t = sc.table();
        List<Column> key = t.keyColumns();
        String alias = Identifiers.quote(t.name());
        String shadow = alias + "." + Identifiers.quote(sc.shadowName());
        String value = "CAST(" + sc.usingSql() + " AS " + sc.type() + ")";
        String range = KeySql.keyRange(alias, key, hasLower, hasUpper);
        List<String> out = new ArrayList<>();
        out.add(
                "SELECT 1 FROM "
                        + KeySql.verificationSource(t)
                        + " AS "
                        + alias
                        + range
                        + " FOR UPDATE");
        out.add(
                "UPDATE "
                        + KeySql.verificationSource(t)
                        + " AS "
                        + alias
                        + " SET "
                        + Identifiers.quote(sc.shadowName())
                        + " = "
                        + value
                        + (range.isEmpty() ? " WHERE " : range + " AND ")
                        + "NOT ("
                        + KeySql.sameText(shadow, value)
                        + ")");
        return out;
    }

    /**
     * {@code ALTER TABLE t ENABLE ALWAYS TRIGGER} for the modify-column shadow trigger: it fires
     * under {@code session_replication_role = replica} too. Run by prepare right after {@link
     * #createShadowTrigger}.
     */
    public static String enableAlwaysShadowTrigger(ShadowColumn sc) {
        return TriggerSql.enableAlways(sc.table(), sc.trigger());
    }

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
                                        + TriggerSql.imageDistinct(
                                                List.of("NEW." + col), List.of("OLD." + col))
                                        + " THEN\n    "
                                        + assign
                                        + "  END IF;\n"
                                : "  " + assign)
                        + "  RETURN NEW;\nEND\n";
        if (body.contains(TriggerSql.BODY_TAG)) {
            throw new IllegalArgumentException(
                    "the using expression or a name contains " + TriggerSql.BODY_TAG);
        }
        String fn = Identifiers.qualified("backfill", sc.triggerFunction());
        return List.of(
                "CREATE FUNCTION "
                        + fn
                        + "() RETURNS trigger LANGUAGE plpgsql"
                        + canonicalSettingsClause()
                        + " AS "
                        + TriggerSql.BODY_TAG
                        + "\n"
                        + body
                        + TriggerSql.BODY_TAG,
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
     * {@code current_setting('backfill.sink', true) IS DISTINCT FROM 'on'}: the shadow trigger's
     * {@code WHEN}, so it does not fire for the sink's own batch UPDATEs, which set the shadow to
     * the expression over the same row (under the same settings) that the trigger would compute
     * again: measured at 10-17 s per million rows. Evaluated without calling the function. Every
     * other session (the application's, the finalizer's repair) fires it as before.
     */
    static String notInSink() {
        return "current_setting("
                + Identifiers.literal(SessionSql.SINK_SETTING)
                + ", true) IS DISTINCT FROM 'on'";
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
                KeySql.textOf(alias + "." + Identifiers.quote(sc.column().name()))
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
                + KeySql.sameText(shadow, "(" + value + ")")
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
        String range = KeySql.keyRange(alias, t.keyColumns(), hasLower, hasUpper);
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
                + KeySql.sameText(shadow, "(" + value + ")")
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
                + KeySql.keyTuple(alias, key)
                + " = "
                + KeySql.keyParams(key);
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
                + KeySql.keyTuple(alias, key)
                + " = "
                + KeySql.keyParams(key);
    }

    /**
     * Verification of a modify-column reorg (its finalizer, in a REPEATABLE READ snapshot): the
     * rows whose shadow is distinct from {@code CAST(using AS type)} over the current row, or whose
     * shadow is NULL while the source column is not (so a {@code using} expression that maps a
     * non-NULL value to NULL fails verification, as issue #4 specifies). Returns the first {@code
     * limit} keys in key order, as text, each with the total count. Parameters: the lower bound
     * (when {@code hasLower}) and the upper bound (when {@code hasUpper}), as in {@link
     * KeySql#keyRange}. Reads the table with its partitions (see {@link
     * KeySql#verificationSource}).
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
        String range = KeySql.keyRange(alias, key, hasLower, hasUpper);
        return "SELECT "
                + KeySql.keyTextExpr(alias, key)
                + ", count(*) OVER () FROM "
                + KeySql.verificationSource(t)
                + " AS "
                + alias
                + (range.isEmpty() ? " WHERE " : range + " AND ")
                + "(NOT ("
                + KeySql.sameText(shadow, "CAST(" + sc.usingSql() + " AS " + sc.type() + ")")
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
                + KeySql.orderBy(alias, key, false)
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

    /**
     * How many columns of that name the table has (0 or 1, not dropped, not a system column).
     * Parameters: the table (regclass text), the column's name.
     */
    public static String columnCount() {
        return "SELECT count(*) FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attname = ? AND attnum > 0 AND NOT attisdropped";
    }

    /**
     * One key column of a shadow index ({@link ShadowIndexes#plan}): the column, its collation and
     * operator class when given (schema, name), and for an ordered access method {@code DESC} and
     * the NULLS order when they are not the default.
     */
    public static String indexKey(
            String ref,
            String collationSchema,
            String collation,
            String opclassSchema,
            String opclass,
            boolean ordered,
            boolean desc,
            boolean nullsFirst) {
        StringBuilder k = new StringBuilder(ref);
        if (collation != null) {
            k.append(" COLLATE ").append(Identifiers.qualified(collationSchema, collation));
        }
        if (opclass != null) {
            k.append(' ').append(Identifiers.qualified(opclassSchema, opclass));
        }
        if (ordered) {
            if (desc) {
                k.append(" DESC");
                if (!nullsFirst) {
                    k.append(" NULLS LAST");
                }
            } else if (nullsFirst) {
                k.append(" NULLS FIRST");
            }
        }
        return k.toString();
    }

    /**
     * {@code CREATE [UNIQUE] INDEX CONCURRENTLY temp ON table USING am (keys) [INCLUDE (...)]
     * [NULLS NOT DISTINCT] [WITH (...)] [TABLESPACE ...]}: a shadow index, as the old index was
     * ({@link ShadowIndexes#plan}); {@code relopts} are the index's {@code name=value} options or
     * null, {@code include} is empty when there is none.
     */
    public static String createIndexConcurrently(
            boolean unique,
            String temp,
            String quotedTable,
            String am,
            String keys,
            String include,
            boolean nullsNotDistinct,
            Object[] relopts,
            String tablespace) {
        StringBuilder create = new StringBuilder("CREATE ");
        if (unique) {
            create.append("UNIQUE ");
        }
        create.append("INDEX CONCURRENTLY ")
                .append(Identifiers.quote(temp))
                .append(" ON ")
                .append(quotedTable)
                .append(" USING ")
                .append(Identifiers.quote(am))
                .append(" (")
                .append(keys)
                .append(')');
        if (include.length() > 0) {
            create.append(" INCLUDE (").append(include).append(')');
        }
        if (nullsNotDistinct) {
            create.append(" NULLS NOT DISTINCT");
        }
        if (relopts != null) {
            StringJoiner with = new StringJoiner(", ");
            for (Object o : relopts) {
                String opt = (String) o;
                int eq = opt.indexOf('=');
                with.add(
                        Identifiers.quote(opt.substring(0, eq))
                                + " = "
                                + Identifiers.literal(opt.substring(eq + 1)));
            }
            create.append(" WITH (").append(with).append(')');
        }
        if (tablespace != null) {
            create.append(" TABLESPACE ").append(Identifiers.quote(tablespace));
        }
        return create.toString();
    }

    /** {@code ALTER TABLE table DROP CONSTRAINT "constraint"}; {@code table} is quoted. */
    public static String dropConstraint(String table, String constraint) {
        return "ALTER TABLE " + table + " DROP CONSTRAINT " + Identifiers.quote(constraint);
    }

    /**
     * {@code ALTER TABLE table ADD CONSTRAINT "constraint" PRIMARY KEY|UNIQUE USING INDEX "index"}:
     * a primary key when {@code contype} is {@code p}, else a unique constraint.
     */
    public static String addConstraintUsingIndex(
            String table, String constraint, String contype, String index) {
        return "ALTER TABLE "
                + table
                + " ADD CONSTRAINT "
                + Identifiers.quote(constraint)
                + ("p".equals(contype) ? " PRIMARY KEY" : " UNIQUE")
                + " USING INDEX "
                + Identifiers.quote(index);
    }

    /** {@code ALTER INDEX schema.index RENAME TO "to"}. */
    public static String renameIndex(String schema, String index, String to) {
        return "ALTER INDEX "
                + Identifiers.qualified(schema, index)
                + " RENAME TO "
                + Identifiers.quote(to);
    }

    /** {@code DROP INDEX index}; {@code index} is qualified and quoted. */
    public static String dropIndex(String index) {
        return "DROP INDEX " + index;
    }

    /** {@code COMMENT ON INDEX index IS '...'}; {@code index} is qualified and quoted. */
    public static String commentOnIndex(String index, String comment) {
        return "COMMENT ON INDEX " + index + " IS " + Identifiers.literal(comment);
    }

    /** {@code ALTER TABLE table REPLICA IDENTITY USING INDEX "index"}. */
    public static String replicaIdentityUsingIndex(String table, String index) {
        return "ALTER TABLE " + table + " REPLICA IDENTITY USING INDEX " + Identifiers.quote(index);
    }

    /** {@code ALTER TABLE table CLUSTER ON "index"}. */
    public static String clusterOn(String table, String index) {
        return "ALTER TABLE " + table + " CLUSTER ON " + Identifiers.quote(index);
    }

    /** {@code DROP INDEX CONCURRENTLY IF EXISTS schema.index}. */
    public static String dropIndexConcurrently(String schema, String index) {
        return "DROP INDEX CONCURRENTLY IF EXISTS " + Identifiers.qualified(schema, index);
    }
}
