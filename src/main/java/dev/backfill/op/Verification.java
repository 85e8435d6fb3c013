package dev.backfill.op;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.KeySql;
import dev.backfill.db.SessionSql;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.model.Key;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.PublicEvolving;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;

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
 * The verification machinery the operations share ({@code op.addindex.IndexVerifier}, {@code
 * op.modifycolumn.ShadowVerifier}): the key space cut into ranges, each range checked in its own
 * short REPEATABLE READ snapshot on one or more connections (paced when asked), and the repair of
 * the ranges that differ, each in its own transaction and counted in the catalog. What a range's
 * check and repair are is the operation's.
 *
 * <p>No transaction of Backfill's outlives a range: the operation's triggers keep a row and what
 * the reorg builds from it in step within every snapshot, so each range is consistent on its own.
 */
@PublicEvolving
public final class Verification {
    private static final Logger LOG = LoggerFactory.getLogger(Verification.class);

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

        /** Binds the range's bounds from parameter {@code first} on; returns the next one. */
        public int bind(PreparedStatement ps, int first) throws SQLException {
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

    /**
     * The outcome of one verification: the rows checked, whether what the reorg built matches them,
     * and the ranges to repair. Its {@code toString} is the message the finalizer logs and, on a
     * failure, records.
     */
    public abstract static class Result {
        public final long rows;

        /** The ranges where a difference was found. */
        public final List<Range> badRanges;

        protected Result(long rows, List<Range> badRanges) {
            this.rows = rows;
            this.badRanges = badRanges;
        }

        /** Whether nothing differs. */
        public abstract boolean ok();
    }

    /**
     * Told of each range a repair changed, after its transaction committed: the range and the rows
     * repaired in it (more than 0).
     */
    @FunctionalInterface
    public interface RepairListener {
        void repaired(Range range, long rows);
    }

    /** What one range's check found: counts, and the first keys of up to two kinds. */
    public static final class RangeOutcome {
        public final long[] counts;
        public final List<String> firstKeys = new ArrayList<>();
        public final List<String> otherKeys = new ArrayList<>();

        public RangeOutcome(int counts) {
            this.counts = new long[counts];
        }
    }

    /** One range's check, on the given connection, inside its snapshot. */
    @FunctionalInterface
    public interface RangeCheck {
        RangeOutcome run(Connection c, Range r) throws SQLException;
    }

    /** Work done in one transaction of a connection out of autocommit. */
    @FunctionalInterface
    public interface InTransaction<T> {
        T get() throws SQLException;
    }

    /** The statements that repair one range; SELECTs lock, the others count. */
    @FunctionalInterface
    public interface RangeRepair {
        List<String> statements(Range r);
    }

    private Verification() {}

    /** Adds {@code keys} to {@code sample} while it has fewer than {@link #SAMPLE}. */
    public static void addSample(List<String> sample, List<String> keys) {
        for (String k : keys) {
            if (sample.size() < SAMPLE) {
                sample.add(k);
            }
        }
    }

    /** Runs {@code work} in one transaction of {@code c}, committed, or rolled back on an error. */
    public static <T> T inTransaction(Connection c, InTransaction<T> work) throws SQLException {
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
     * (none when {@code ds} is null), which take the next unchecked range as they finish one. After
     * each range, the worker waits on {@code pace} (shared by the workers; null: no pacing) for the
     * range's rows ({@code counts[0]}), so that the whole verification keeps to the pace's rate.
     * Returns the outcomes in the ranges' order. The first error stops every worker and is thrown.
     */
    public static List<RangeOutcome> checkRanges(
            DataSource ds,
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
                            st.execute(SessionSql.setTransactionReadOnly());
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

    /** Ranges of about {@code chunkRows} rows of {@code source} (a FROM item), by {@code key}. */
    public static List<Range> ranges(Connection c, String source, List<Column> key, long chunkRows)
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

    /**
     * Repairs the given ranges with {@code repair}'s statements, each range in one short
     * transaction. When {@code reorgId} is given, each range's repaired rows are added to the
     * reorg's {@code rows_repaired} in the range's own transaction, so the count is exact whatever
     * fails after; each changed range is logged at WARN (naming {@code what} was repaired) and,
     * when given, told to {@code listener}. Returns the rows changed.
     */
    public static long repairRanges(
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
}
