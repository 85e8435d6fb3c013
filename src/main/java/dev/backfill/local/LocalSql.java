package dev.backfill.local;

import dev.backfill.db.Identifiers;

import org.apache.flink.annotation.Internal;

/**
 * SQL of the local tools: seeding the demo table ({@link DemoData}), the demo's application load
 * ({@link DemoLoad}) and the embedded server's checks ({@link EmbeddedPostgresServer}). Table names
 * come in quoted ({@link Identifiers}); numbers are ours, never input text. Pure string building,
 * no database.
 */
@Internal
public final class LocalSql {
    private LocalSql() {}

    // ---------------------------------------------------------------- demo seeding

    /** {@code pg_advisory_lock} on a numeric key: the seeders' session lock. */
    public static String advisoryLock(long key) {
        return "SELECT pg_advisory_lock(" + key + ")";
    }

    /** {@code pg_advisory_unlock} of a key taken by {@link #advisoryLock}. */
    public static String advisoryUnlock(long key) {
        return "SELECT pg_advisory_unlock(" + key + ")";
    }

    /** {@code CREATE SCHEMA IF NOT EXISTS}; {@code schema} is unquoted. */
    public static String createSchema(String schema) {
        return "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema);
    }

    /** {@code DROP TABLE IF EXISTS} of a quoted table name. */
    public static String dropTable(String table) {
        return "DROP TABLE IF EXISTS " + table;
    }

    /** The demo table's definition ({@link DemoData}), without its primary key, under a name. */
    public static String createDemoTable(String table) {
        return "CREATE TABLE "
                + table
                + " ("
                + "\"id\" bigint NOT NULL, "
                + "\"customer_id\" bigint NOT NULL, "
                + "\"email\" text, "
                + "\"amount\" integer NOT NULL, "
                + "\"status\" text NOT NULL, "
                + "\"created_at\" timestamptz NOT NULL DEFAULT now())";
    }

    /**
     * Fills the demo table set-based: row {@code n} of {@code generate_series} has id {@code 3n},
     * every {@code nullEvery}-th email NULL. Parameters: the base epoch second of {@code
     * created_at}, the first and the last {@code n}.
     */
    public static String seedDemoRows(String table, long nullEvery) {
        return "INSERT INTO "
                + table
                + " (\"id\", \"customer_id\", \"email\", \"amount\", \"status\","
                + " \"created_at\")"
                + " SELECT \"g\".\"n\" * 3,"
                + " 1 + (\"g\".\"n\" * 7919) % 50000,"
                + " CASE WHEN \"g\".\"n\" % "
                + nullEvery
                + " = 0 THEN NULL"
                + " ELSE 'user' || (\"g\".\"n\" * 3) || '@example.com' END,"
                + " (1 + (\"g\".\"n\" * 104729) % 100000)::integer,"
                + " (ARRAY['new', 'paid', 'shipped', 'delivered', 'cancelled'])"
                + "[1 + (\"g\".\"n\" % 5)::integer],"
                + " to_timestamp(?::bigint + \"g\".\"n\")"
                + " FROM generate_series(?::bigint, ?::bigint) AS \"g\"(\"n\")";
    }

    /** Adds the primary key on {@code "id"}; {@code constraint} is unquoted. */
    public static String addPrimaryKey(String table, String constraint) {
        return "ALTER TABLE "
                + table
                + " ADD CONSTRAINT "
                + Identifiers.quote(constraint)
                + " PRIMARY KEY (\"id\")";
    }

    /** Renames a quoted table to {@code newName} (unquoted, same schema). */
    public static String renameTable(String table, String newName) {
        return "ALTER TABLE " + table + " RENAME TO " + Identifiers.quote(newName);
    }

    /** {@code ANALYZE} of a quoted table. */
    public static String analyze(String table) {
        return "ANALYZE " + table;
    }

    /** Whether a table exists: one row, or none. Parameters: schema name, table name. */
    public static String tableExists() {
        return "SELECT 1 FROM \"pg_catalog\".\"pg_class\" \"c\""
                + " JOIN \"pg_catalog\".\"pg_namespace\" \"n\""
                + " ON \"n\".\"oid\" = \"c\".\"relnamespace\""
                + " WHERE \"n\".\"nspname\" = ? AND \"c\".\"relname\" = ?";
    }

    // ---------------------------------------------------------------- demo load

    /** The largest id below a bound (the seeded ids), 0 for none. Parameter: the bound. */
    public static String maxIdBelow(String table) {
        return "SELECT coalesce(max(\"id\"), 0) FROM " + table + " WHERE \"id\" < ?";
    }

    /** The load's insert. Parameters: id, customer id, email, amount, status. */
    public static String loadInsert(String table) {
        return "INSERT INTO "
                + table
                + " (\"id\", \"customer_id\", \"email\", \"amount\", \"status\")"
                + " VALUES (?, ?, ?, ?, ?)";
    }

    /** The load's update. Parameters: the new email, the amount's increment, the id. */
    public static String loadUpdate(String table) {
        return "UPDATE "
                + table
                + " SET \"email\" = ?, \"amount\" = \"amount\" + ?"
                + " WHERE \"id\" = ?";
    }

    /** The load's delete. Parameter: the id. */
    public static String loadDelete(String table) {
        return "DELETE FROM " + table + " WHERE \"id\" = ?";
    }

    // ---------------------------------------------------------------- embedded server

    /** The data directory of the server answering on a port (is it ours?). */
    public static String dataDirectory() {
        return "SELECT current_setting('data_directory')";
    }

    /** The smallest query, which returns 1: the started server answers. */
    public static String ping() {
        return "SELECT 1";
    }

    /** The server's version and data directory, one row. */
    public static String versionAndDataDirectory() {
        return "SELECT current_setting('server_version')," + " current_setting('data_directory')";
    }
}
