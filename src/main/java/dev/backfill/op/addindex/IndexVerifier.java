package dev.backfill.op.addindex;

import dev.backfill.db.KeySql;
import dev.backfill.op.Verification;
import dev.backfill.op.Verification.Range;
import dev.backfill.op.Verification.RangeOutcome;
import dev.backfill.op.Verification.RepairListener;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an index table against its table with a set comparison in both directions, like TiDB's
 * {@code ADMIN CHECK INDEX}: every row has exactly its entry (values and key), and no entry lacks
 * its row. Counts alone are not enough.
 *
 * <p>The key space is checked in ranges of about {@code chunkRows} entries, each range in its own
 * short REPEATABLE READ snapshot ({@link Verification}), so that no transaction of Backfill's
 * outlives a batch: the triggers keep a row and its entry in step within every snapshot, so each
 * range is consistent on its own. Called by the finalizer.
 */
@Internal
public final class IndexVerifier {

    /** The outcome of one verification of an index table. */
    public static final class Result extends Verification.Result {
        public final long missing;
        public final List<String> missingKeys;
        public final long dangling;
        public final List<String> danglingKeys;

        Result(
                long rows,
                long missing,
                List<String> missingKeys,
                long dangling,
                List<String> danglingKeys,
                List<Range> badRanges) {
            super(rows, badRanges);
            this.missing = missing;
            this.missingKeys = missingKeys;
            this.dangling = dangling;
            this.danglingKeys = danglingKeys;
        }

        @Override
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

    private IndexVerifier() {}

    /** Verifies in ranges of {@link Verification#CHUNK_ROWS}. */
    public static Result verify(Connection c, IndexTable index) throws SQLException {
        return verify(c, index, Verification.CHUNK_ROWS);
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
            DataSource ds, int workers, Connection c, IndexTable index, long chunkRows)
            throws SQLException {
        return verify(ds, workers, null, c, index, chunkRows);
    }

    /**
     * {@link #verify(DataSource, int, Connection, IndexTable, long)}, paced: after each range, the
     * worker waits on {@code pace} (shared by the workers; null: no pacing) for the range's rows,
     * so that the whole verification keeps to the pace's rate.
     */
    public static Result verify(
            DataSource ds,
            int workers,
            RowRateLimiter pace,
            Connection c,
            IndexTable index,
            long chunkRows)
            throws SQLException {
        String table = KeySql.verificationSource(index.table());
        List<Range> ranges = Verification.inTransaction(c, () -> ranges(c, index, chunkRows));
        List<RangeOutcome> outcomes =
                Verification.checkRanges(
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
            Verification.addSample(missingKeys, o.firstKeys);
            Verification.addSample(danglingKeys, o.otherKeys);
            if (o.counts[1] > 0 || o.counts[2] > 0) {
                bad.add(ranges.get(i));
            }
        }
        return new Result(totals[0], totals[1], missingKeys, totals[2], danglingKeys, bad);
    }

    /**
     * Cuts the key space into ranges of about {@code chunkRows} index entries (the index table's
     * primary key is the table's key), covering it entirely: the first range has no lower bound and
     * the last no upper bound, so rows without an entry are covered too.
     */
    static List<Range> ranges(Connection c, IndexTable index, long chunkRows) throws SQLException {
        return Verification.ranges(
                c, "ONLY " + index.quotedName(), index.table().keyColumns(), chunkRows);
    }

    /**
     * One range's check ({@link IndexSql#entryCheck}): counts {rows, missing, dangling}, and the
     * first missing keys and dangling keys, up to {@link Verification#SAMPLE} each, in key order.
     */
    private static RangeOutcome check(Connection c, String table, IndexTable index, Range r)
            throws SQLException {
        String sql =
                IndexSql.entryCheck(
                        table, index, Verification.SAMPLE, r.lower != null, r.upper != null);
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
     * {@link #repair(Connection, IndexTable, List)} that also counts: when {@code reorgId} is
     * given, each range's repaired entries (deleted and inserted) are added to the reorg's {@code
     * rows_repaired} in the range's own transaction, so the count is exact whatever fails after;
     * each changed range is logged at WARN and, when given, told to {@code listener} ({@link
     * Verification#repairRanges}).
     */
    public static long repair(
            Connection c,
            IndexTable index,
            List<Range> ranges,
            String reorgId,
            RepairListener listener)
            throws SQLException {
        return Verification.repairRanges(
                c,
                ranges,
                r -> IndexSql.repairRange(index, r.lower != null, r.upper != null),
                reorgId,
                "entries of " + index.displayName(),
                listener);
    }
}
