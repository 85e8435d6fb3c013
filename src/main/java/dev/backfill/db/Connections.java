package dev.backfill.db;

import dev.backfill.job.JobSpec.DatabaseSpec;

import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens connections for a reorg. Always through a {@link PGSimpleDataSource}: {@code DriverManager}
 * cannot find the driver in Flink's per-job class loader after a restore. Every connection carries
 * {@code application_name = backfill:<reorg id>} so that {@code pg_stat_activity} shows whose it
 * is.
 *
 * <p>Every connection also carries {@link #CANONICAL_SETTINGS}, so that the text form of every
 * value Backfill reads, compares or binds ({@code col::text}, {@code ?::type}) is one
 * representation, whatever the server's, the database's or the role's defaults are: values travel
 * between PostgreSQL and Flink as text produced by SQL casts under these settings, never through
 * the driver's own decoding (which turns binary after five executions of a statement).
 */
public final class Connections {
    private Connections() {}

    /**
     * The session settings under which Backfill's text forms are exact and stable: ISO dates, UTC,
     * round-trip floats, hex bytea, C money, and the default interval and XML forms. Sent in the
     * start-up packet ({@code options}), after any options of the user's URL, so they win.
     */
    public static final String CANONICAL_SETTINGS =
            "-c DateStyle=ISO,YMD -c IntervalStyle=postgres -c TimeZone=UTC"
                    + " -c extra_float_digits=3 -c bytea_output=hex -c lc_monetary=C"
                    + " -c xmloption=content";

    public static PGSimpleDataSource dataSource(DatabaseSpec db, String reorgId) {
        if (db.isEmbedded()) {
            throw new IllegalStateException(
                    "the embedded database must be started and its URL resolved before connecting");
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(db.url());
        if (db.user() != null) {
            ds.setUser(db.user());
        }
        if (db.password() != null) {
            ds.setPassword(db.password());
        }
        ds.setApplicationName(applicationName(reorgId));
        String userOptions = ds.getOptions();
        ds.setOptions(
                userOptions == null || userOptions.isBlank()
                        ? CANONICAL_SETTINGS
                        : userOptions + " " + CANONICAL_SETTINGS);
        ds.setConnectTimeout(10);
        ds.setTcpKeepAlive(true);
        return ds;
    }

    public static String applicationName(String reorgId) {
        // PostgreSQL truncates application_name at 63 bytes; keep it readable.
        String name = "backfill:" + reorgId;
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** Opens a connection with autocommit off. */
    public static Connection open(PGSimpleDataSource ds) throws SQLException {
        Connection c;
        try {
            c = ds.getConnection();
        } catch (SQLException e) {
            throw Secrets.scrub(e);
        }
        c.setAutoCommit(false);
        return c;
    }

    /** Rolls back, swallowing a second error (the first one is what the caller reports). */
    public static void rollbackQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            if (!c.isClosed() && !c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // the connection is probably gone; the caller reports the original error
        }
    }

    public static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }
}
