package dev.backfill.db;

import dev.backfill.model.JobSpec.DatabaseSpec;
import dev.backfill.model.Secrets;

import org.apache.flink.annotation.Internal;

import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

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
@Internal
public final class Connections {
    private Connections() {}

    /**
     * The session settings under which Backfill's text forms are exact and stable: ISO dates, UTC,
     * round-trip floats, hex bytea, C money, and the default interval and XML forms. Name and value
     * as {@code SET} takes them.
     */
    public static final Map<String, String> CANONICAL = canonical();

    private static Map<String, String> canonical() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("DateStyle", "ISO, YMD");
        m.put("IntervalStyle", "postgres");
        m.put("TimeZone", "UTC");
        m.put("extra_float_digits", "3");
        m.put("bytea_output", "hex");
        m.put("lc_monetary", "C");
        m.put("xmloption", "content");
        return Collections.unmodifiableMap(m);
    }

    /**
     * {@link #CANONICAL} as start-up options ({@code -c name=value}, values without spaces), sent
     * after any options of the user's URL, so they win over them and over the server's, database's
     * and role's defaults. pgjdbc sends its own {@code TimeZone} (the JVM's) in the start-up packet
     * too, which PostgreSQL applies after the options: {@link CanonicalDataSource} sets it again.
     */
    public static final String CANONICAL_SETTINGS =
            CANONICAL.entrySet().stream()
                    .map(e -> "-c " + e.getKey() + "=" + e.getValue().replace(" ", ""))
                    .collect(Collectors.joining(" "));

    /**
     * A {@link PGSimpleDataSource} whose connections are in {@link #CANONICAL} settings from the
     * start: the start-up options, then {@code SET TimeZone} over the JVM's zone that pgjdbc sends
     * (a TaskManager's JVM may run in any zone).
     */
    public static final class CanonicalDataSource extends PGSimpleDataSource {
        private static final long serialVersionUID = 1L;

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            Connection c = super.getConnection(user, password);
            try (Statement st = c.createStatement()) {
                st.execute(SessionSql.setTimeZone(CANONICAL.get("TimeZone")));
            } catch (SQLException e) {
                closeQuietly(c);
                throw e;
            }
            return c;
        }
    }

    public static DataSource dataSource(DatabaseSpec db, String reorgId) {
        if (db.isEmbedded()) {
            throw new IllegalStateException(
                    "the embedded database must be started and its URL resolved before connecting");
        }
        PGSimpleDataSource ds = new CanonicalDataSource();
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
    public static Connection open(DataSource ds) throws SQLException {
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
