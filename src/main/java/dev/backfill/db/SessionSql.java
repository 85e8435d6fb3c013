package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import java.util.List;

/**
 * SQL about sessions, locks and transactions: a DDL attempt's {@code lock_timeout} and the sessions
 * holding the lock, the server clock, the older transactions the finalizer waits out, the adaptive
 * throttle's probe and view of the other sessions, a commit that waits for the WAL flush. Pure
 * string building, no database.
 */
@Internal
public final class SessionSql {
    private SessionSql() {}

    /**
     * A transaction whose commit waits for the WAL flush: {@code SET LOCAL synchronous_commit =
     * on}, then {@code txid_current()} so that it has an xid and so a commit record to flush.
     */
    public static List<String> durableCommit() {
        return List.of("SET LOCAL synchronous_commit = on", "SELECT txid_current()");
    }

    /**
     * {@code SET LOCAL lock_timeout} for one DDL attempt ({@link DdlLockWait}); {@code millis} is a
     * number we computed, never input text.
     */
    public static String setLocalLockTimeout(long millis) {
        return "SET LOCAL lock_timeout = " + millis;
    }

    /**
     * {@code SET lock_timeout} for the rest of a session (the sink's and the reader throttle's
     * connections); {@code millis} is a number we computed, never input text.
     */
    public static String setLockTimeout(long millis) {
        return "SET lock_timeout = " + millis;
    }

    /**
     * {@code SET synchronous_commit = off} for the rest of a session (the sink's, when tuned so).
     */
    public static String synchronousCommitOff() {
        return "SET synchronous_commit = off";
    }

    /** {@code SET TRANSACTION READ ONLY}: the current transaction only reads (verification's). */
    public static String setTransactionReadOnly() {
        return "SET TRANSACTION READ ONLY";
    }

    /** The server's {@code deadlock_timeout} in milliseconds (its pg_settings unit is ms). */
    public static String deadlockTimeoutMillis() {
        return "SELECT setting::bigint FROM pg_settings WHERE name = 'deadlock_timeout'";
    }

    /**
     * The other sessions that hold or wait for a lock on a table, read right after a DDL attempt on
     * it timed out ({@link DdlLockWait}): pid, backend type ({@code autovacuum worker}, {@code
     * client backend}, ...), application name, state, transaction age in seconds (null outside a
     * transaction; autovacuum has none) and the first 100 characters of the query. Parameter: the
     * table (regclass text).
     */
    public static String lockHoldersOf() {
        return "SELECT a.pid, a.backend_type, a.application_name, a.state,"
                + " extract(epoch FROM clock_timestamp() - a.xact_start)::float8,"
                + " left(a.query, 100)"
                + " FROM pg_stat_activity a"
                + " WHERE a.pid <> pg_backend_pid() AND a.pid IN (SELECT l.pid FROM pg_locks l"
                + " WHERE l.locktype = 'relation' AND l.relation = ?::regclass"
                + " AND l.database = (SELECT oid FROM pg_database"
                + " WHERE datname = current_database()))"
                + " ORDER BY a.pid";
    }

    /** The server's clock now ({@code clock_timestamp()}, not the transaction's start). */
    public static String clockTimestamp() {
        return "SELECT clock_timestamp()";
    }

    /**
     * The finalizer's wait for older transactions, one autocommit statement: the reorg's state
     * (parameter 1, the reorg id) on every row, with the other client sessions of this database
     * whose transaction started before parameter 2 (pid, application name or else user name,
     * transaction start; oldest first), or one row of nulls beside the state when there are none.
     */
    public static String olderTransactions() {
        return "SELECT (SELECT state FROM "
                + Catalog.REORGS
                + " WHERE id = ?), a.pid,"
                + " coalesce(nullif(a.application_name, ''), a.usename),"
                + " a.xact_start FROM (SELECT 1) one LEFT JOIN pg_stat_activity a"
                + " ON a.datname = current_database()"
                + " AND a.backend_type = 'client backend'"
                + " AND a.pid <> pg_backend_pid() AND a.xact_start < ?"
                + " ORDER BY a.xact_start";
    }

    /**
     * The adaptive throttle's probe, run in autocommit: {@code SELECT txid_current()}, a
     * transaction that takes an xid and so commits with a WAL flush (the throttle's session keeps
     * {@code synchronous_commit} on). Its round trip is what a small application write waits for:
     * CPU and scheduling on the server, and the WAL flush that the backfill's own WAL volume (and
     * the checkpoints it forces) slows down; a read-only {@code SELECT 1} sees only the first. With
     * {@code sleep}, {@code SELECT pg_sleep(?)} (a test failpoint).
     */
    public static String throttleProbe(boolean sleep) {
        return sleep ? "SELECT pg_sleep(?)" : "SELECT txid_current()";
    }

    /**
     * The throttle prober's look for the application: active client sessions that are not the
     * reorg's ({@code application_name} is not the reorg's, parameter 1), right now.
     */
    public static String throttleOthersActive() {
        return "SELECT count(*) FROM pg_stat_activity a"
                + " WHERE a.state = 'active' AND a.backend_type = 'client backend'"
                + " AND a.pid <> pg_backend_pid() AND a.application_name IS DISTINCT FROM ?";
    }

    /**
     * The throttle's view of the server, one row: active client sessions that are not the reorg's
     * ({@code application_name} is not the reorg's, parameter 1); sessions of others whose
     * statement has waited over 100 ms on a lock that one of the reorg's sessions holds ({@code
     * pg_blocking_pids}, parameters 2 and 3; a batch's row locks make writers wait for a few
     * milliseconds, which is not what the throttle is for); and the replicas' largest {@code
     * replay_lag} in milliseconds, 0 when caught up and -1 without any replica.
     */
    public static String throttleActivity() {
        return "SELECT (SELECT count(*) FROM pg_stat_activity a"
                + " WHERE a.state = 'active' AND a.backend_type = 'client backend'"
                + " AND a.pid <> pg_backend_pid() AND a.application_name IS DISTINCT FROM ?),"
                + " (SELECT count(*) FROM pg_stat_activity w"
                + " WHERE w.wait_event_type = 'Lock' AND w.application_name IS DISTINCT FROM ?"
                + " AND w.query_start < clock_timestamp() - interval '100 milliseconds'"
                + " AND EXISTS (SELECT 1 FROM pg_stat_activity o"
                + " WHERE o.pid = ANY (pg_blocking_pids(w.pid)) AND o.application_name = ?)),"
                + " (SELECT CASE WHEN count(*) = 0 THEN -1 ELSE"
                + " coalesce((max(extract(epoch FROM replay_lag)) * 1000)::bigint, 0) END"
                + " FROM pg_stat_replication)";
    }

    /** {@code pg_try_advisory_lock} on a text key (a reorg's runner lock). Parameter: the key. */
    public static String tryAdvisoryLock() {
        return "SELECT pg_try_advisory_lock(hashtextextended(?, 0))";
    }

    /**
     * {@code pg_advisory_unlock} of a text key taken by {@link #tryAdvisoryLock}. Parameter: the
     * key.
     */
    public static String advisoryUnlock() {
        return "SELECT pg_advisory_unlock(hashtextextended(?, 0))";
    }

    /**
     * The session holding the advisory lock of a text key: pid, application name, client address,
     * backend start. Parameter: the key.
     */
    public static String advisoryLockHolder() {
        return "SELECT a.pid, a.application_name, a.client_addr, a.backend_start"
                + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted"
                + " AND ((l.classid::bigint << 32) | l.objid::bigint)"
                + " = hashtextextended(?, 0)";
    }

    /** {@code SET TimeZone = '...'}: a session's time zone; {@code zone} is quoted as a literal. */
    public static String setTimeZone(String zone) {
        return "SET TimeZone = " + Identifiers.literal(zone);
    }

    /**
     * The setting that marks the sink's own sessions ({@code SET backfill.sink = on}, see {@link
     * #markSinkSession}); no other session has it.
     */
    public static final String SINK_SETTING = "backfill.sink";

    /**
     * Marks a session as the sink's: {@code SET backfill.sink = on} (the shadow trigger of a
     * modify-column does not fire for them).
     */
    public static String markSinkSession() {
        return "SET " + SINK_SETTING + " = on";
    }
}
