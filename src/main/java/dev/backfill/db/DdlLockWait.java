package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The lock wait of one DDL step (prepare, the NOT NULL check, the cut-over, abort, cleanup): the
 * {@code lock_timeout} of its next attempt, and whom its last attempt waited for.
 *
 * <p>Each attempt runs {@link #setLocal(Connection)} first. When an attempt fails with
 * lock_not_available (55P03), the step calls {@link #afterFailure(Connection, SQLException)} after
 * its rollback: it reads the sessions that hold or wait for a lock on the step's table (the lock
 * timed out a moment ago; whoever held it then is normally still there) and logs each: pid, backend
 * type, application name, state, transaction age and the first 100 characters of its query. This is
 * a look right after the timeout, not {@code pg_blocking_pids} during the wait: a blocker that let
 * go in between is not named, and a session holding a lock that does not conflict with the step's
 * may be.
 *
 * <p>The timeout decision ({@link #nextTimeout}): when an autovacuum worker is among them, the next
 * attempt waits {@code max(lock-timeout, deadlock_timeout + 500 ms)}, because PostgreSQL cancels an
 * autovacuum that blocks a lock waiter only once the waiter has waited {@code deadlock_timeout} (1
 * s by default); a shorter {@code lock_timeout} would give up first every time. Any other blocker
 * keeps the short timeout: while the step waits, the application's writers queue behind it, so a
 * long wait behind a long reader would stall the application. That holds also when an autovacuum
 * and such a client are both found: a client session whose transaction is at least as old as the
 * attempt's timeout was there for the whole wait, and cancelling the autovacuum would not get the
 * lock past it. Younger client transactions (begun during the wait, mostly the application's
 * writers queued behind the step) do not count.
 */
@Internal
public final class DdlLockWait {
    private static final Logger LOG = LoggerFactory.getLogger(DdlLockWait.class);

    /** How much longer than deadlock_timeout the wait behind an autovacuum lasts. */
    public static final long AUTOVACUUM_MARGIN_MILLIS = 500;

    /** The backend_type of an autovacuum worker in pg_stat_activity. */
    public static final String AUTOVACUUM_WORKER = "autovacuum worker";

    /** One session found holding or waiting for a lock on the step's table. */
    public record Blocker(
            int pid,
            String backendType,
            String applicationName,
            String state,
            Double xactAgeSeconds,
            String query) {
        public boolean isAutovacuum() {
            return AUTOVACUUM_WORKER.equals(backendType);
        }

        @Override
        public String toString() {
            return "pid "
                    + pid
                    + " ("
                    + backendType
                    + ", application_name '"
                    + applicationName
                    + "', state "
                    + state
                    + ", transaction age "
                    + (xactAgeSeconds == null
                            ? "none"
                            : String.format(java.util.Locale.ROOT, "%.1f s", xactAgeSeconds))
                    + ", query '"
                    + query
                    + "')";
        }
    }

    private final String step;
    private final String table;
    private final long lockTimeoutMillis;
    private long nextMillis;
    private List<Blocker> lastBlockers = List.of();

    /**
     * @param step the step's name, for the log
     * @param table the step's table, quoted (regclass text)
     * @param lockTimeoutMillis the tuning lock-timeout
     */
    public DdlLockWait(String step, String table, long lockTimeoutMillis) {
        this.step = step;
        this.table = table;
        this.lockTimeoutMillis = lockTimeoutMillis;
        this.nextMillis = lockTimeoutMillis;
    }

    /**
     * The decision, pure: {@code max(lockTimeout, deadlockTimeout + 500 ms)} when an autovacuum
     * blocked the last attempt and no client held on through the whole attempt, else {@code
     * lockTimeout}.
     *
     * @param autovacuumBlocked an autovacuum worker was found on the table
     * @param clientHeldOn a session other than an autovacuum worker, whose transaction is at least
     *     as old as the last attempt's timeout, was found on the table
     */
    public static long nextTimeout(
            long lockTimeoutMillis,
            long deadlockTimeoutMillis,
            boolean autovacuumBlocked,
            boolean clientHeldOn) {
        if (!autovacuumBlocked || clientHeldOn) {
            return lockTimeoutMillis;
        }
        return Math.max(lockTimeoutMillis, deadlockTimeoutMillis + AUTOVACUUM_MARGIN_MILLIS);
    }

    /** The lock_timeout of the next attempt, in milliseconds. */
    public long timeoutMillis() {
        return nextMillis;
    }

    /** The sessions found after the last lock timeout (empty before any). */
    public List<Blocker> lastBlockers() {
        return lastBlockers;
    }

    /** Sets the attempt's lock_timeout; run first in each attempt's transaction. */
    public void setLocal(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(SessionSql.setLocalLockTimeout(nextMillis));
        }
    }

    /**
     * Called by the step after it rolled back a failed attempt. For a lock timeout, logs whom the
     * attempt waited for and decides the next attempt's timeout; other errors are left alone. Never
     * throws: a failure to look is logged, and the next attempt keeps the short timeout.
     */
    public void afterFailure(Connection c, SQLException failure) {
        if (!SqlErrors.isLockTimeout(failure)) {
            return;
        }
        try {
            List<Blocker> found = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(SessionSql.lockHoldersOf())) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        double age = rs.getDouble(5);
                        Double xactAge = rs.wasNull() ? null : age;
                        found.add(
                                new Blocker(
                                        rs.getInt(1),
                                        rs.getString(2),
                                        rs.getString(3),
                                        rs.getString(4),
                                        xactAge,
                                        rs.getString(6)));
                    }
                }
            }
            boolean autovacuum = found.stream().anyMatch(Blocker::isAutovacuum);
            double attemptSeconds = nextMillis / 1000.0;
            boolean clientHeldOn =
                    found.stream()
                            .anyMatch(
                                    b ->
                                            !b.isAutovacuum()
                                                    && b.xactAgeSeconds() != null
                                                    && b.xactAgeSeconds() >= attemptSeconds);
            long deadlock = 0;
            if (autovacuum && !clientHeldOn) {
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery(SessionSql.deadlockTimeoutMillis())) {
                    rs.next();
                    deadlock = rs.getLong(1);
                }
            }
            endRead(c);
            lastBlockers = List.copyOf(found);
            nextMillis = nextTimeout(lockTimeoutMillis, deadlock, autovacuum, clientHeldOn);
            if (found.isEmpty()) {
                LOG.warn(
                        "{}: lock timeout; the blocker had let go of {} by the time we looked;"
                                + " next attempt with lock_timeout {} ms",
                        step,
                        table,
                        nextMillis);
            } else {
                LOG.warn(
                        "{}: lock timeout waiting for {}, held or awaited by {}; next attempt with"
                                + " lock_timeout {} ms{}",
                        step,
                        table,
                        found,
                        nextMillis,
                        autovacuum && !clientHeldOn
                                ? " (above deadlock_timeout "
                                        + deadlock
                                        + " ms, so PostgreSQL cancels the autovacuum)"
                                : autovacuum
                                        ? " (kept short: a client held on through the whole"
                                                + " wait, so cancelling the autovacuum would not"
                                                + " get the lock)"
                                        : "");
            }
        } catch (SQLException e) {
            try {
                endRead(c);
            } catch (SQLException ignored) {
                // the connection is likely gone; the retry sees that on its next attempt
            }
            nextMillis = lockTimeoutMillis;
            LOG.warn("{}: lock timeout; could not read who held {}: {}", step, table, e.toString());
        }
    }

    private static void endRead(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.rollback();
        }
    }
}
