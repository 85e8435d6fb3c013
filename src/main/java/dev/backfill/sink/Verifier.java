package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.KeySql;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.model.Key;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.ShadowColumn;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;

import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Checks an index table against its table with a set comparison in both directions, like TiDB's
 * {@code ADMIN CHECK INDEX}: every row has exactly its entry (values and key), and no entry lacks
 * its row. Counts alone are not enough.
 *
 * <p>The key space is checked in ranges of about {@code chunkRows} entries, each range in its own
 * short REPEATABLE READ snapshot, so that no transaction of Backfill's outlives a batch: the
 * triggers keep a row and its entry in step within every snapshot, so each range is consistent on
 * its own. Called by the finalizer.
 */
@Internal
public final class Verifier {
    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);

    /** How many offending keys a result names. */
    public static final int SAMPLE = 5;

    /** The default range size. */
    public static final long CHUNK_ROWS = 20_000;

    /** A key range {@code (lower, upper]}; a null bound is open. */
    public static final class Range {
        public final Key lower;
        public final Key upper;

        Range(Key lower, Key upper) {
            this.lower = lower;
            this.upper = upper;
        }

        int bind(PreparedStatement ps, int first) throws SQLException {
            int i = first;
            if (lower != null) {
                i = KeyCodec.bind(ps, i, lower);
            }
            if (upper != null) {
                i = KeyCodec.bind(ps, i, upper);
            }
            return i;
        }

        @Override
        public String toString() {
            return "("
                    + (lower == null ? "-inf" : lower)
                    + ", "
                    + (upper == null ? "+inf" : upper)
                    + "]";
        }
    }

    /** The outcome of one verification. */
    public static final class Result {
        public final long rows;
        public final long missing;
        public final List<String> missingKeys;
        public final long dangling;
        public final List<String> danglingKeys;

        /** The ranges where a difference was found. */
        public final List<Range> badRanges;

        Result(
                long rows,
                long missing,
                List<String> missingKeys,
                long dangling,
                List<String> danglingKeys,
                List<Range> badRanges) {
            this.rows = rows;
            this.missing = missing;
            this.missingKeys = missingKeys;
            this.dangling = dangling;
            this.danglingKeys = danglingKeys;
            this.badRanges = badRanges;
        }

        public boolean ok() {
            return missing == 0 && dangling == 0;
        }

        @Override
        public String toString() {
            if (ok()) {
                return "verified: "
                        + rows
                        + " rows, every row has its entry and every entry its row";
            }
            return "verification failed: "
                    + missing
                    + " rows without a correct entry"
                    + (missing > 0 ? " (first keys: " + String.join(", ", missingKeys) + ")" : "")
                    + ", "
                    + dangling
                    + " entries without their row"
                    + (dangling > 0
                            ? " (first keys: " + String.join(", ", danglingKeys) + ")"
                            : "");
        }
    }

    private Verifier() {}

    /** Verifies in ranges of {@link #CHUNK_ROWS}. */
    public static Result verify(Connection c, IndexTable index) throws SQLException {
        return verify(c, index, CHUNK_ROWS);
    }

    /** Verifies in ranges of about {@code chunkRows} index entries, each in its own snapshot. */
    public static Result verify(Connection c, IndexTable index, long chunkRows)
            throws SQLException {
        return verify(null, 1, c, index, chunkRows);
    }

    /**
     * Verifies in ranges of about {@code chunkRows} index entries, each in its own snapshot, on
     * {@code workers} connections at once: {@code c} cuts the ranges and checks ranges too, and
     * {@code workers - 1} more connections come from {@code ds}. The verification runs after the
     * backfill, when the server has the cores the batches used; the result (counts, the first keys
     * in key order, the ranges to repair) is the same whatever the number of workers.
     */
    public static Result verify(
            PGSimpleDataSource ds, int workers, Connection c, IndexTable index, long chunkRows)
            throws SQLException {
        return verify(ds, workers, null, c, index, chunkRows);
    }

    /**
     * {@link #verify(PGSimpleDataSource, int, Connection, IndexTable, long)}, paced: after each
     * range, the worker waits on {@code pace} (shared by the workers; null: no pacing) for the
     * range's rows, so that the whole verification keeps to the pace's rate.
     */
    public static Result verify(
            PGSimpleDataSource ds,
            int workers,
            RowRateLimiter pace,
            Connection c,
            IndexTable index,
            long chunkRows)
            throws SQLException {
        String table = KeySql.verificationSource(index.table());
        List<Range> ranges = inTransaction(c, () -> ranges(c, index, chunkRows));
        List<RangeOutcome> outcomes =
                checkRanges(
                        ds, workers, pace, c, ranges, (conn, r) -> check(conn, table, index, r));
        long[] totals = new long[3]; // rows, missing, dangling
        List<String> missingKeys = new ArrayList<>();
        List<String> danglingKeys = new ArrayList<>();
        List<Range> bad = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            RangeOutcome o = outcomes.get(i);
            for (int k = 0; k < 3; k++) {
                totals[k] += o.counts[k];
            }
            addSample(missingKeys, o.firstKeys);
            addSample(danglingKeys, o.otherKeys);
            if (o.counts[1] > 0 || o.counts[2] > 0) {
                bad.add(ranges.get(i));
            }
        }
        return new Result(totals[0], totals[1], missingKeys, totals[2], danglingKeys, bad);
    }

    private static void addSample(List<String> sample, List<String> keys) {
        for (String k : keys) {
            if (sample.size() < SAMPLE) {
                sample.add(k);
            }
        }
    }

    /** What one range's check found: counts, and the first keys of up to two kinds. */
    private static final class RangeOutcome {
        final long[] counts;
        final List<String> firstKeys = new ArrayList<>();
        final List<String> otherKeys = new ArrayList<>();

        RangeOutcome(int counts) {
            this.counts = new long[counts];
        }
    }

    /** One range's check, on the given connection, inside its snapshot. */
    @FunctionalInterface
    private interface RangeCheck {
        RangeOutcome run(Connection c, Range r) throws SQLException;
    }

    /** Work done in one transaction of a connection out of autocommit. */
    @FunctionalInterface
    private interface InTransaction<T> {
        T get() throws SQLException;
    }

    private static <T> T inTransaction(Connection c, InTransaction<T> work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            T out = work.get();
            c.commit();
            return out;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /**
     * Runs {@code check} for every range, each in its own short REPEATABLE READ, READ ONLY
     * transaction, on {@code c} and on up to {@code workers - 1} more connections of {@code ds}
     * (none when {@code ds} is null), which take the next unchecked range as they finish one.
     * Returns the outcomes in the ranges' order. The first error stops every worker and is thrown.
     */
    private static List<RangeOutcome> checkRanges(
            PGSimpleDataSource ds,
            int workers,
            RowRateLimiter pace,
            Connection c,
            List<Range> ranges,
            RangeCheck check)
            throws SQLException {
        RangeOutcome[] out = new RangeOutcome[ranges.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<SQLException> failed = new AtomicReference<>();
        int extra = ds == null ? 0 : Math.max(0, Math.min(workers, ranges.size()) - 1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < extra; w++) {
            Thread t =
                    new Thread(
                            () -> {
                                try (Connection own = Connections.open(ds)) {
                                    checkNext(own, ranges, check, pace, out, next, failed);
                                } catch (SQLException e) {
                                    failed.compareAndSet(null, e);
                                }
                            },
                            "backfill-verify-" + (w + 1));
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        try {
            checkNext(c, ranges, check, pace, out, next, failed);
        } finally {
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    failed.compareAndSet(null, SqlErrors.queryCanceled("interrupted", e));
                    next.set(ranges.size());
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        return Arrays.asList(out);
    }

    private static void checkNext(
            Connection c,
            List<Range> ranges,
            RangeCheck check,
            RowRateLimiter pace,
            RangeOutcome[] out,
            AtomicInteger next,
            AtomicReference<SQLException> failed) {
        try {
            boolean auto = c.getAutoCommit();
            int iso = c.getTransactionIsolation();
            c.setAutoCommit(false);
            try {
                for (int i = next.getAndIncrement();
                        i < ranges.size() && failed.get() == null;
                        i = next.getAndIncrement()) {
                    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    try {
                        try (Statement st = c.createStatement()) {
                            st.execute("SET TRANSACTION READ ONLY");
                        }
                        out[i] = check.run(c, ranges.get(i));
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback();
                        throw e;
                    } finally {
                        c.setTransactionIsolation(iso);
                    }
                    if (pace != null) {
                        try {
                            pace.acquire(out[i].counts[0]);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw SqlErrors.queryCanceled("interrupted while pacing", e);
                        }
                    }
                }
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            failed.compareAndSet(null, e);
        }
    }

    /**
     * Cuts the key space into ranges of about {@code chunkRows} index entries (the index table's
     * primary key is the table's key), covering it entirely: the first range has no lower bound and
     * the last no upper bound, so rows without an entry are covered too.
     */
    static List<Range> ranges(Connection c, IndexTable index, long chunkRows) throws SQLException {
        return ranges(c, "ONLY " + index.quotedName(), index.table().keyColumns(), chunkRows);
    }

    /** Ranges of about {@code chunkRows} rows of {@code source} (a FROM item), by {@code key}. */
    static List<Range> ranges(Connection c, String source, List<Column> key, long chunkRows)
            throws SQLException {
        List<Range> out = new ArrayList<>();
        Key lower = null;
        while (true) {
            Key upper;
            try (PreparedStatement ps =
                    c.prepareStatement(KeySql.splitBoundary(source, key, lower != null))) {
                int i = 1;
                if (lower != null) {
                    i = KeyCodec.bind(ps, i, lower);
                }
                ps.setLong(i, chunkRows - 1);
                try (ResultSet rs = ps.executeQuery()) {
                    upper = rs.next() ? KeyCodec.read(rs, 1, key) : null;
                }
            }
            c.commit();
            out.add(new Range(lower, upper));
            if (upper == null) {
                return out;
            }
            lower = upper;
        }
    }

    private static long count(Connection c, TableInfo table, Range r) throws SQLException {
        String sql =
                "SELECT count(*) FROM "
                        + KeySql.verificationSource(table)
                        + KeySql.keyRange(
                                null, table.keyColumns(), r.lower != null, r.upper != null);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            r.bind(ps, 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * One range's check ({@link IndexSql#entryCheck}): counts {rows, missing, dangling}, and the
     * first missing keys and dangling keys, up to {@link #SAMPLE} each, in key order.
     */
    private static RangeOutcome check(Connection c, String table, IndexTable index, Range r)
            throws SQLException {
        String sql = IndexSql.entryCheck(table, index, SAMPLE, r.lower != null, r.upper != null);
        RangeOutcome out = new RangeOutcome(3);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            r.bind(ps, r.bind(ps, 1));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int kind = rs.getInt(1);
                    out.counts[kind] = rs.getLong(3);
                    if (kind == 1) {
                        out.firstKeys.add(rs.getString(2));
                    } else if (kind == 2) {
                        out.otherKeys.add(rs.getString(2));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Repairs the given ranges, each in one short transaction (see {@link IndexSql#repairRange}).
     * Returns the entries deleted and inserted.
     */
    public static long repair(Connection c, IndexTable index, List<Range> ranges)
            throws SQLException {
        return repair(c, index, ranges, null, null);
    }

    /**
     * Told of each range a repair changed, after its transaction committed: the range and the rows
     * repaired in it (more than 0).
     */
    @FunctionalInterface
    public interface RepairListener {
        void repaired(Range range, long rows);
    }

    /**
     * {@link #repair(Connection, IndexTable, List)} that also counts: when {@code reorgId} is
     * given, each range's repaired entries (deleted and inserted) are added to the reorg's {@code
     * rows_repaired} in the range's own transaction, so the count is exact whatever fails after;
     * each changed range is logged at WARN and, when given, told to {@code listener}.
     */
    public static long repair(
            Connection c,
            IndexTable index,
            List<Range> ranges,
            String reorgId,
            RepairListener listener)
            throws SQLException {
        return repairRanges(
                c,
                ranges,
                r -> IndexSql.repairRange(index, r.lower != null, r.upper != null),
                reorgId,
                "entries of " + index.displayName(),
                listener);
    }

    /**
     * Repairs a modify-column's shadow column in the given ranges (see {@link
     * ColumnSql#repairShadowRange}), each in one short transaction, counted like {@link
     * #repair(Connection, IndexTable, List, String, RepairListener)}. Returns the rows rewritten.
     */
    public static long repairShadow(
            Connection c,
            ShadowColumn sc,
            List<Range> ranges,
            String reorgId,
            RepairListener listener)
            throws SQLException {
        return repairRanges(
                c,
                ranges,
                r -> ColumnSql.repairShadowRange(sc, r.lower != null, r.upper != null),
                reorgId,
                "values of " + sc.shadowName(),
                listener);
    }

    /** The statements that repair one range; SELECTs lock, the others count. */
    @FunctionalInterface
    private interface RangeRepair {
        List<String> statements(Range r);
    }

    private static long repairRanges(
            Connection c,
            List<Range> ranges,
            RangeRepair repair,
            String reorgId,
            String what,
            RepairListener listener)
            throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        long changed = 0;
        try {
            for (Range r : ranges) {
                long here = 0;
                try {
                    for (String sql : repair.statements(r)) {
                        try (PreparedStatement ps = c.prepareStatement(sql)) {
                            r.bind(ps, 1);
                            if (sql.startsWith("SELECT")) {
                                ps.executeQuery().close();
                            } else {
                                here += ps.executeUpdate();
                            }
                        }
                    }
                    if (reorgId != null && here > 0) {
                        Catalog.addRowsRepaired(c, reorgId, here);
                    }
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                }
                changed += here;
                if (here > 0) {
                    if (reorgId != null) {
                        LOG.warn(
                                "reorg {}: repaired {} {} in key range {}. A repair in a run"
                                        + " without faults (no crash, no manual change of"
                                        + " Backfill's tables) is a bug in Backfill: please report"
                                        + " it with this log",
                                reorgId,
                                here,
                                what,
                                r);
                    }
                    if (listener != null) {
                        listener.repaired(r, here);
                    }
                }
            }
            return changed;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** The outcome of verifying a modify-column's shadow column. */
    public static final class ShadowResult {
        public final long rows;
        public final long differing;
        public final List<String> differingKeys;
        private final String what;

        /** The ranges where a difference was found (empty when built without them). */
        public final List<Range> badRanges;

        ShadowResult(long rows, long differing, List<String> differingKeys, String what) {
            this(rows, differing, differingKeys, what, List.of());
        }

        ShadowResult(
                long rows,
                long differing,
                List<String> differingKeys,
                String what,
                List<Range> badRanges) {
            this.rows = rows;
            this.differing = differing;
            this.differingKeys = differingKeys;
            this.what = what;
            this.badRanges = badRanges;
        }

        public boolean ok() {
            return differing == 0;
        }

        @Override
        public String toString() {
            if (ok()) {
                return "verified: " + rows + " rows, every " + what;
            }
            return "verification failed: "
                    + differing
                    + " of "
                    + rows
                    + " rows break \""
                    + what
                    + "\" (first keys: "
                    + String.join(", ", differingKeys)
                    + ")";
        }
    }

    /**
     * Verifies a modify-column's shadow column against its {@code using} expression, over the whole
     * table, in ranges of about {@code chunkRows} rows, each in its own short REPEATABLE READ
     * snapshot (see {@link ColumnSql#shadowDifference(ShadowColumn, int, boolean, boolean,
     * boolean)}). The write-only trigger keeps a row and its shadow in step within every snapshot,
     * so each range is consistent on its own.
     */
    public static ShadowResult verifyShadow(
            Connection c, ShadowColumn sc, long chunkRows, boolean nullCheck) throws SQLException {
        return verifyShadow(null, 1, c, sc, chunkRows, nullCheck);
    }

    /**
     * {@link #verifyShadow(Connection, ShadowColumn, long, boolean)} on {@code workers} connections
     * at once, as {@link #verify(PGSimpleDataSource, int, Connection, IndexTable, long)} does.
     */
    public static ShadowResult verifyShadow(
            PGSimpleDataSource ds,
            int workers,
            Connection c,
            ShadowColumn sc,
            long chunkRows,
            boolean nullCheck)
            throws SQLException {
        return verifyShadow(ds, workers, null, c, sc, chunkRows, nullCheck);
    }

    /**
     * {@link #verifyShadow(PGSimpleDataSource, int, Connection, ShadowColumn, long, boolean)},
     * paced as {@link #verify(PGSimpleDataSource, int, RowRateLimiter, Connection, IndexTable,
     * long)} is.
     */
    public static ShadowResult verifyShadow(
            PGSimpleDataSource ds,
            int workers,
            RowRateLimiter pace,
            Connection c,
            ShadowColumn sc,
            long chunkRows,
            boolean nullCheck)
            throws SQLException {
        TableInfo t = sc.table();
        String what =
                sc.shadowName()
                        + " has the text of "
                        + sc.using().replace('\n', ' ')
                        + (nullCheck
                                ? ", and no NULL where " + sc.column().name() + " is not"
                                : "");
        List<Range> ranges =
                inTransaction(
                        c,
                        () -> ranges(c, KeySql.verificationSource(t), t.keyColumns(), chunkRows));
        List<RangeOutcome> outcomes =
                checkRanges(
                        ds,
                        workers,
                        pace,
                        c,
                        ranges,
                        (conn, r) -> {
                            RangeOutcome o = new RangeOutcome(2);
                            o.counts[0] = count(conn, t, r);
                            String sql =
                                    ColumnSql.shadowDifference(
                                            sc,
                                            SAMPLE,
                                            r.lower != null,
                                            r.upper != null,
                                            nullCheck);
                            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                                r.bind(ps, 1);
                                try (ResultSet rs = ps.executeQuery()) {
                                    while (rs.next()) {
                                        o.firstKeys.add(rs.getString(1));
                                        o.counts[1] = rs.getLong(2);
                                    }
                                }
                            }
                            return o;
                        });
        long rows = 0;
        long differing = 0;
        List<String> keys = new ArrayList<>();
        List<Range> bad = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            RangeOutcome o = outcomes.get(i);
            rows += o.counts[0];
            differing += o.counts[1];
            addSample(keys, o.firstKeys);
            if (o.counts[1] > 0) {
                bad.add(ranges.get(i));
            }
        }
        return new ShadowResult(rows, differing, keys, what, bad);
    }
}
