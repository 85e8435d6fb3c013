package dev.backfill.throttle;

import dev.backfill.db.SessionSql;
import dev.backfill.model.Failpoints;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The adaptive throttle's readings of the database, on a connection of its own (autocommit): the
 * probe's round trip ({@link SessionSql#throttleProbe}: a tiny durable commit, so it measures what
 * a small application write waits for, CPU and scheduling on the server and the WAL flush), and one
 * query over {@code pg_stat_activity} and {@code pg_stat_replication} (see {@link
 * SessionSql#throttleActivity}).
 */
@Internal
public final class ThrottleProbe {
    private ThrottleProbe() {}

    /** What {@link #activity} reads: see {@link Signals}. */
    public record Activity(int activeOthers, int waitingOnUs, long replicaLagMillis) {}

    /**
     * One probe's round trip, in milliseconds. With the test failpoint {@link
     * Failpoints#THROTTLE_PROBE} armed, the probe sleeps that long on the server.
     */
    public static double probeMillis(Connection c) throws SQLException {
        Duration delay = Failpoints.delay(Failpoints.THROTTLE_PROBE);
        boolean sleep = !delay.isZero();
        try (PreparedStatement ps = c.prepareStatement(SessionSql.throttleProbe(sleep))) {
            if (sleep) {
                ps.setDouble(1, delay.toMillis() / 1000.0);
            }
            long start = System.nanoTime();
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
            }
            return (System.nanoTime() - start) / 1e6;
        }
    }

    /** Active client sessions now that are not {@code applicationName}'s. */
    public static int othersActive(Connection c, String applicationName) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.throttleOthersActive())) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Other active sessions, sessions waiting on ours, replica lag; {@code applicationName}'s. */
    public static Activity activity(Connection c, String applicationName) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.throttleActivity())) {
            ps.setString(1, applicationName);
            ps.setString(2, applicationName);
            ps.setString(3, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Activity(rs.getInt(1), rs.getInt(2), rs.getLong(3));
            }
        }
    }
}
