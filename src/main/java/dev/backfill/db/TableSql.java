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
}
