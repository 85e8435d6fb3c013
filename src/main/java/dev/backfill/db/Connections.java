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
 */
public final class Connections {
    private Connections() {}

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
