package dev.backfill.db;

import org.apache.flink.annotation.Internal;

/**
 * SQL that reads what the server's catalog says about a table: whether a relation, column,
 * constraint or valid index exists, its row estimate, row count and size. Pure string building, no
 * database; the values are bound as parameters.
 */
@Internal
public final class TableSql {
    private TableSql() {}

    /**
     * Whether a column of that name exists (not dropped). Parameters: the table (regclass text),
     * the column's name.
     */
    public static String columnExists() {
        return "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attname = ? AND NOT attisdropped)";
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
     * A relation by regclass text: oid, schema, name, relkind; no row when it does not exist.
     * Parameter: the name (regclass text).
     */
    public static String relation() {
        return "SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.oid = to_regclass(?)";
    }

    /**
     * A table's columns in order: name, type (with modifier), NOT NULL, whether an integer type,
     * and the collation (quoted schema.name) when it is not the type's. Parameter: the table's oid.
     */
    public static String columns() {
        return "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
                + " a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype),"
                + " CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation"
                + " THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END"
                + " FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid"
                + " LEFT JOIN pg_collation co ON co.oid = a.attcollation"
                + " LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace"
                + " WHERE a.attrelid = ? AND a.attnum > 0"
                + " AND NOT a.attisdropped ORDER BY a.attnum";
    }

    /** The primary key's columns in order. Parameter: the table's oid. */
    public static String primaryKeyColumns() {
        return "SELECT a.attname FROM pg_index i"
                + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord";
    }

    /**
     * Whether the primary key is deferrable: one row, none without a key. Parameter: the table's
     * oid.
     */
    public static String primaryKeyDeferrable() {
        return "SELECT condeferrable FROM pg_constraint WHERE conrelid = ? AND contype = 'p'";
    }

    /**
     * A partitioned table's leaf partitions: schema, name, in order. Parameter: the table's oid.
     */
    public static String leafPartitions() {
        return "SELECT n.nspname, c.relname FROM pg_partition_tree(?::regclass) t"
                + " JOIN pg_class c ON c.oid = t.relid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE t.isleaf ORDER BY n.nspname, c.relname";
    }
}
