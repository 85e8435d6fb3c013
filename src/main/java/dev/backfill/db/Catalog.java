package dev.backfill.db;

import dev.backfill.model.Key;
import dev.backfill.model.SplitRange;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The catalog in the target database, schema {@code backfill}: Backfill's equivalent of TiDB's DDL
 * job queue and reorg meta. {@code backfill.reorgs} has one row per reorg; {@code
 * backfill.progress} one row per split with its committed watermark. Every method works on a
 * caller's connection and does not commit, so catalog writes can share the caller's transaction
 * (the sink commits a split's watermark together with its batch).
 */
@Internal
public final class Catalog {
    public static final String SCHEMA = "backfill";
    public static final String REORGS = Identifiers.qualified(SCHEMA, "reorgs");
    public static final String PROGRESS = Identifiers.qualified(SCHEMA, "progress");

    /** The column of {@code backfill.reorgs} with the id of the Flink job running it (#5). */
    public static final String FLINK_JOB_ID = "flink_job_id";

    /**
     * The column of {@code backfill.reorgs} with the rows the finalizer repaired (#9): index
     * entries deleted and inserted, or shadow values rewritten. Zero in every run without a fault;
     * anything else is a bug to report.
     */
    public static final String ROWS_REPAIRED = "rows_repaired";

    /**
     * The column of {@code backfill.reorgs} with the adaptive throttle's reason now (#10), next to
     * {@code throttle_rate}; both are written by the readers when the decision changes, and the
     * throttle's knobs ({@code throttle*}) are beside them. Added in place to an older catalog.
     */
    public static final String THROTTLE_REASON = "throttle_reason";

    /** The states of a reorg, as stored in {@code backfill.reorgs.state}. */
    public enum State {
        WRITE_ONLY("write-only"),
        BACKFILLING("backfilling"),
        VERIFYING("verifying"),
        /** modify-column with {@code cutover: manual}: verified, waiting for the cut-over. */
        READY("ready"),
        PUBLIC("public"),
        FAILED("failed"),
        ABORTED("aborted");

        private final String value;

        State(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }

        /** Aborted or failed: nothing may go on with the reorg. */
        public boolean stopped() {
            return this == ABORTED || this == FAILED;
        }

        public static State of(String value) {
            for (State s : values()) {
                if (s.value.equals(value)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown reorg state '" + value + "'");
        }
    }

    /** One row of {@code backfill.reorgs}. */
    public static final class Reorg {
        public final String id;
        public final String specHash;
        public final String tableName;
        public final String operation;
        public final State state;
        public final long rowsDone;
        public final long rowsEstimated;
        public final String error;
        public final Timestamp startedAt;
        public final Timestamp updatedAt;
        public final Timestamp finishedAt;

        /**
         * The id of the last Flink job that ran the reorg (set by its enumerator), or null: not run
         * yet, or a catalog read without the column (created before #5, not upgraded yet).
         */
        public final String flinkJobId;

        /**
         * The rows the finalizer repaired (see {@link #ROWS_REPAIRED}); 0 also for a catalog read
         * without the column (created before #9, not upgraded yet).
         */
        public final long rowsRepaired;

        /**
         * The adaptive throttle's last decision: its global rate cap in rows/s (0: uncapped) and
         * reason ({@link dev.backfill.throttle.Reason#text()}); null before a reader decided, or
         * for a catalog without the columns.
         */
        public final Long throttleRate;

        public final String throttleReason;

        public Reorg(ResultSet rs) throws SQLException {
            id = rs.getString("id");
            specHash = rs.getString("spec_hash");
            tableName = rs.getString("table_name");
            operation = rs.getString("operation");
            state = State.of(rs.getString("state"));
            rowsDone = rs.getLong("rows_done");
            rowsEstimated = rs.getLong("rows_estimated");
            error = rs.getString("error");
            startedAt = rs.getTimestamp("started_at");
            updatedAt = rs.getTimestamp("updated_at");
            finishedAt = rs.getTimestamp("finished_at");
            flinkJobId = hasColumn(rs, FLINK_JOB_ID) ? rs.getString(FLINK_JOB_ID) : null;
            rowsRepaired = hasColumn(rs, ROWS_REPAIRED) ? rs.getLong(ROWS_REPAIRED) : 0;
            if (hasColumn(rs, THROTTLE_REASON)) {
                long rate = rs.getLong("throttle_rate");
                throttleRate = rs.wasNull() ? null : rate;
                throttleReason = rs.getString(THROTTLE_REASON);
            } else {
                throttleRate = null;
                throttleReason = null;
            }
        }

        private static boolean hasColumn(ResultSet rs, String name) throws SQLException {
            java.sql.ResultSetMetaData md = rs.getMetaData();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                if (md.getColumnName(i).equals(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** One row of {@code backfill.progress}: a split as cut, and how far it got. */
    public static final class SplitProgress {
        public final SplitRange split;
        public final boolean done;
        public final boolean last;
        public final long rowsScanned;
        public final long rowsWritten;

        SplitProgress(SplitRange split, boolean done, boolean last, long scanned, long written) {
            this.split = split;
            this.done = done;
            this.last = last;
            this.rowsScanned = scanned;
            this.rowsWritten = written;
        }
    }

    private Catalog() {}

    /** Creates the schema and tables if absent. Idempotent; safe to race with another client. */
    public static void ensureSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(CatalogSql.createSchema());
            st.execute(CatalogSql.createReorgs());
            st.execute(CatalogSql.createProgress());
            upgradeStateCheck(c);
            upgradeFlinkJobId(c);
            upgradeRowsRepaired(c);
            upgradeThrottle(c);
        } catch (SQLException e) {
            // Two clients creating the catalog at once can collide on the pg_type unique index.
            if (!SqlErrors.isUniqueViolation(e) && !SqlErrors.isDuplicateTable(e)) {
                throw e;
            }
        }
    }

    /**
     * A catalog created before state {@code ready} existed gets the new CHECK constraint, in the
     * caller's transaction; a current one is left alone (no lock taken).
     */
    private static void upgradeStateCheck(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.stateCheckDefinition())) {
            ps.setString(1, REORGS);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getString(1).contains("'ready'")) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute(CatalogSql.upgradeStateCheck());
        }
    }

    /**
     * A catalog created before #5 gets the nullable {@code flink_job_id} column, in the caller's
     * transaction; a current one is left alone (no lock taken).
     */
    private static void upgradeFlinkJobId(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.columnExists())) {
            ps.setString(1, REORGS);
            ps.setString(2, FLINK_JOB_ID);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute(CatalogSql.addFlinkJobIdColumn());
        }
    }

    /**
     * A catalog created before #9 gets the {@code rows_repaired} column (0 for its reorgs), in the
     * caller's transaction; a current one is left alone (no lock taken).
     */
    private static void upgradeRowsRepaired(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.columnExists())) {
            ps.setString(1, REORGS);
            ps.setString(2, ROWS_REPAIRED);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute(CatalogSql.addRowsRepairedColumn());
        }
    }

    /**
     * A catalog created before #10 gets the adaptive throttle's columns (see {@link
     * CatalogSql#addThrottleColumns}), in the caller's transaction; a current one is left alone.
     */
    private static void upgradeThrottle(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.columnExists())) {
            ps.setString(1, REORGS);
            ps.setString(2, THROTTLE_REASON);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute(CatalogSql.addThrottleColumns());
        }
    }

    /** Reads the throttle's live knobs; empty when the reorg is not in the catalog. */
    public static Optional<dev.backfill.model.ThrottleSettings> throttleKnobs(
            Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.throttleKnobs())) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(
                        new dev.backfill.model.ThrottleSettings(
                                rs.getBoolean(1),
                                rs.getDouble(2),
                                java.time.Duration.ofMillis(Math.max(0, rs.getLong(3))),
                                Math.max(0, rs.getInt(4)),
                                Math.max(1, rs.getLong(5))));
            }
        }
    }

    /** Sets the throttle's knobs a run starts with (from its spec) and clears its last decision. */
    public static void setThrottleKnobs(
            Connection c, String id, dev.backfill.model.ThrottleSettings t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.setThrottleKnobs())) {
            ps.setBoolean(1, t.enabled());
            ps.setDouble(2, t.maxLatencyRatio());
            ps.setLong(3, t.maxReplicaLag().toMillis());
            ps.setInt(4, t.maxActiveSessions());
            ps.setLong(5, t.minRowsPerSecond());
            ps.setString(6, id);
            ps.executeUpdate();
        }
    }

    /** Records the throttle's decision: global rate cap (0: uncapped) and reason. */
    public static void recordThrottle(Connection c, String id, long globalRate, String reason)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.recordThrottle())) {
            ps.setLong(1, globalRate);
            ps.setString(2, reason);
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    /**
     * Adds {@code rows} to the reorg's {@code rows_repaired}, in the caller's transaction: the
     * finalizer calls it in the transaction of the repair it counts.
     */
    public static void addRowsRepaired(Connection c, String id, long rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.addRowsRepaired())) {
            ps.setLong(1, rows);
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    /** Records the id of the Flink job that runs the reorg now (its enumerator calls this). */
    public static void setFlinkJobId(Connection c, String id, String flinkJobId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.setFlinkJobId())) {
            ps.setString(1, flinkJobId);
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    /**
     * The reorg's row, locked FOR UPDATE until the caller's transaction ends (the cut-over holds it
     * so that an abort cannot interleave). Fails when the reorg is not in the catalog.
     */
    public static Reorg lock(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.lockReorg())) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new TableInfo.TableException("there is no reorg " + id + " in " + REORGS);
                }
                return new Reorg(rs);
            }
        }
    }

    public static Optional<Reorg> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.findReorg())) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Reorg(rs)) : Optional.empty();
            }
        }
    }

    public static void insert(
            Connection c,
            String id,
            String spec,
            String specHash,
            String tableName,
            String operation,
            long rowsEstimated)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.insertReorg())) {
            ps.setString(1, id);
            ps.setString(2, spec);
            ps.setString(3, specHash);
            ps.setString(4, tableName);
            ps.setString(5, operation);
            ps.setLong(6, rowsEstimated);
            ps.executeUpdate();
        }
    }

    /**
     * The live knobs of a reorg, re-read by the readers every few seconds (like TiDB reloading its
     * variables each round), and its state, so that a running job sees an abort.
     */
    public static final class Knobs {
        public final State state;
        public final boolean paused;
        public final long maxRowsPerSecond;
        public final int batchSize;

        public Knobs(State state, boolean paused, long maxRowsPerSecond, int batchSize) {
            this.state = state;
            this.paused = paused;
            this.maxRowsPerSecond = maxRowsPerSecond;
            this.batchSize = batchSize;
        }

        @Override
        public String toString() {
            return "{state="
                    + state.value()
                    + ", paused="
                    + paused
                    + ", max_rows_per_second="
                    + maxRowsPerSecond
                    + ", batch_size="
                    + batchSize
                    + "}";
        }
    }

    /** Reads the knobs; {@code defaultBatchSize} stands in for a NULL batch_size. */
    public static Optional<Knobs> knobs(Connection c, String id, int defaultBatchSize)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.reorgKnobs())) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                int batch = rs.getInt(4);
                return Optional.of(
                        new Knobs(
                                State.of(rs.getString(1)),
                                rs.getBoolean(2),
                                Math.max(0, rs.getLong(3)),
                                rs.wasNull() || batch < 1 ? defaultBatchSize : batch));
            }
        }
    }

    /** Sets the knobs a run starts with (from its spec); live changes are plain UPDATEs. */
    public static void setKnobs(Connection c, String id, long maxRowsPerSecond, int batchSize)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.setKnobs())) {
            ps.setLong(1, maxRowsPerSecond);
            ps.setInt(2, batchSize);
            ps.setString(3, id);
            ps.executeUpdate();
        }
    }

    /**
     * The states a reorg can be failed or aborted from: every state but the two final ones, {@code
     * public} and {@code aborted}, which nothing ever leaves.
     */
    public static final List<State> UNFINISHED =
            List.of(
                    State.WRITE_ONLY,
                    State.BACKFILLING,
                    State.VERIFYING,
                    State.READY,
                    State.FAILED);

    /**
     * Marks the reorg failed with {@code error}: a compare-and-set from the {@link #UNFINISHED}
     * states, so an abort or a finished reorg is never overwritten by a late failure. Returns true
     * if it changed.
     */
    public static boolean fail(Connection c, String id, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.failReorg())) {
            ps.setString(1, error);
            ps.setString(2, id);
            ps.setArray(3, states(c, UNFINISHED));
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * The outcome of {@link #abort}: the state the reorg was found in (under its row lock), and
     * whether abort took it.
     */
    public static final class AbortResult {
        /** The state found; when {@link #won}, the state the reorg was aborted in. */
        public final State found;

        /** Whether this call moved the reorg to {@code aborted}. */
        public final boolean won;

        AbortResult(State found, boolean won) {
            this.found = found;
            this.won = won;
        }
    }

    /**
     * Abort's compare-and-set, in the caller's transaction: locks the reorg's row, and when it is
     * in one of the {@link #UNFINISHED} states moves it to {@code aborted} (error {@code aborted in
     * state <state>}, finished now). A concurrent publish or cut-over holds the same row lock until
     * it commits, so exactly one of them wins: when this returns {@code won}, no publish can
     * follow; when it finds {@code public}, the reorg is public and abort must drop nothing. Fails
     * when the reorg is not in the catalog.
     */
    public static AbortResult abort(Connection c, String id) throws SQLException {
        State found = lock(c, id).state;
        if (!UNFINISHED.contains(found)) {
            return new AbortResult(found, false);
        }
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.abortReorg())) {
            ps.setString(1, "aborted in state " + found.value());
            ps.setString(2, id);
            ps.setString(3, found.value());
            if (ps.executeUpdate() != 1) {
                throw new SQLException(
                        "reorg " + id + " left state " + found.value() + " under its row lock");
            }
        }
        return new AbortResult(found, true);
    }

    /**
     * Takes the reorg's runner lock, a session-level advisory lock that the job's enumerator holds
     * on an idle connection for its lifetime (no transaction stays open), so that two jobs never
     * run the same reorg at once. Returns false when another session holds it.
     */
    public static boolean tryLockRunner(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.tryAdvisoryLock())) {
            ps.setString(1, "backfill:" + id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Releases the runner lock taken by {@link #tryLockRunner} on this session. */
    public static void unlockRunner(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.advisoryUnlock())) {
            ps.setString(1, "backfill:" + id);
            ps.executeQuery().close();
        }
    }

    /** Describes the session holding the reorg's runner lock, for the error message. */
    public static String runnerLockHolder(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SessionSql.advisoryLockHolder())) {
            ps.setString(1, "backfill:" + id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "another session";
                }
                return "pid "
                        + rs.getInt(1)
                        + " ("
                        + rs.getString(2)
                        + (rs.getString(3) != null ? " from " + rs.getString(3) : "")
                        + ", connected "
                        + rs.getTimestamp(4)
                        + ")";
            }
        }
    }

    /** Deletes the reorg's split rows (abort). */
    public static void deleteProgress(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.deleteProgress())) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    /**
     * Moves the reorg from one of {@code from} to {@code to} and clears its error: a
     * compare-and-set ({@code UPDATE ... WHERE id = ? AND state = ANY (from)}), the only way the
     * state changes besides {@link #fail} and {@link #abort}. Returns false, changing nothing, if
     * it was elsewhere (the caller lost, e.g. to an abort). Into {@code public} it also sets
     * finished_at; into any other state it clears it.
     */
    public static boolean transition(Connection c, String id, List<State> from, State to)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.transition())) {
            ps.setString(1, to.value());
            ps.setBoolean(2, to == State.PUBLIC);
            ps.setString(3, id);
            ps.setArray(4, states(c, from));
            return ps.executeUpdate() == 1;
        }
    }

    private static java.sql.Array states(Connection c, List<State> states) throws SQLException {
        return c.createArrayOf("text", states.stream().map(State::value).toArray());
    }

    public static void setRowsDone(Connection c, String id, long rowsDone) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.setRowsDone())) {
            ps.setLong(1, rowsDone);
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    /** Sets rows_done to the rows scanned so far over all splits; returns that number. */
    public static long refreshRowsDone(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.refreshRowsDone())) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    /**
     * Records a newly cut split; an existing row for the same split id wins and is returned. Empty
     * when the reorg is no longer running (aborted or public).
     */
    public static Optional<SplitProgress> recordSplit(
            Connection c, String reorgId, SplitRange s, boolean last) throws SQLException {
        // Only while the reorg runs: an abort (which deletes the split rows) must not be undone by
        // a split cut a moment later. The reorg row is locked against a concurrent abort.
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.recordSplit())) {
            ps.setString(1, reorgId);
            ps.setString(2, s.splitId());
            ps.setString(3, s.physicalTable());
            ps.setInt(4, s.index());
            ps.setString(5, KeyCodec.toJson(s.start()));
            ps.setString(6, KeyCodec.toJson(s.end()));
            ps.setBoolean(7, last);
            ps.setString(8, reorgId);
            ps.executeUpdate();
        }
        return findSplit(c, reorgId, s.splitId());
    }

    public static Optional<SplitProgress> findSplit(Connection c, String reorgId, String splitId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.findSplit())) {
            ps.setString(1, reorgId);
            ps.setString(2, splitId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(splitProgress(rs)) : Optional.empty();
            }
        }
    }

    /** Every split of the reorg, by physical table and index. */
    public static List<SplitProgress> splits(Connection c, String reorgId) throws SQLException {
        List<SplitProgress> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.splits())) {
            ps.setString(1, reorgId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(splitProgress(rs));
                }
            }
        }
        return out;
    }

    private static SplitProgress splitProgress(ResultSet rs) throws SQLException {
        SplitRange split =
                new SplitRange(
                        rs.getString("physical_table"),
                        rs.getInt("split_index"),
                        KeyCodec.fromJson(rs.getString("start_key")),
                        KeyCodec.fromJson(rs.getString("end_key")),
                        KeyCodec.fromJson(rs.getString("watermark")));
        return new SplitProgress(
                split,
                rs.getBoolean("done"),
                rs.getBoolean("last"),
                rs.getLong("rows_scanned"),
                rs.getLong("rows_written"));
    }

    /**
     * Waits until every transaction this session committed before is on disk: one transaction that
     * takes an xid and commits with {@code synchronous_commit = on} (WAL is flushed in order, so
     * its flush covers every earlier asynchronous commit). {@code c} must not be in autocommit.
     */
    public static void flushWal(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : SessionSql.durableCommit()) {
                st.execute(sql);
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    /**
     * Advances a split's watermark, in the caller's batch transaction: a compare-and-set from the
     * watermark the batch started at. Returns false when the stored watermark is elsewhere, which
     * means this batch was already committed (a replay after a restore) and must be rolled back.
     */
    public static boolean advance(
            Connection c,
            String reorgId,
            String splitId,
            Key from,
            Key to,
            long scanned,
            long written,
            boolean done)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.advanceSplit())) {
            ps.setString(1, KeyCodec.toJson(to));
            ps.setLong(2, scanned);
            ps.setLong(3, written);
            ps.setBoolean(4, done);
            ps.setString(5, reorgId);
            ps.setString(6, splitId);
            ps.setString(7, KeyCodec.toJson(from));
            return ps.executeUpdate() == 1;
        }
    }

    /** Splits cut, splits done and rows scanned of a reorg (for the progress metrics). */
    public static final class SplitCounts {
        public final long splits;
        public final long splitsDone;
        public final long rowsScanned;

        public SplitCounts(long splits, long splitsDone, long rowsScanned) {
            this.splits = splits;
            this.splitsDone = splitsDone;
            this.rowsScanned = rowsScanned;
        }
    }

    /** Reads {@link SplitCounts} from {@code backfill.progress}: one aggregate over its rows. */
    public static SplitCounts splitCounts(Connection c, String reorgId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.splitCounts())) {
            ps.setString(1, reorgId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new SplitCounts(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        }
    }
}
