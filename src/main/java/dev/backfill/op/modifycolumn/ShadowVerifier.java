package dev.backfill.op.modifycolumn;

import dev.backfill.db.KeySql;
import dev.backfill.db.TableInfo;
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
 * Checks a modify-column's shadow column against its {@code using} expression, over the whole
 * table, in ranges of rows each checked in its own short REPEATABLE READ snapshot ({@link
 * Verification}), and repairs the ranges that differ. Called by the finalizer.
 */
@Internal
public final class ShadowVerifier {

    /** The outcome of verifying a modify-column's shadow column. */
    public static final class Result extends Verification.Result {
        public final long differing;
        public final List<String> differingKeys;
        private final String what;

        Result(
                long rows,
                long differing,
                List<String> differingKeys,
                String what,
                List<Range> badRanges) {
            super(rows, badRanges);
            this.differing = differing;
            this.differingKeys = differingKeys;
            this.what = what;
        }

        @Override
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

    private ShadowVerifier() {}

    /**
     * Verifies a modify-column's shadow column against its {@code using} expression, over the whole
     * table, in ranges of about {@code chunkRows} rows, each in its own short REPEATABLE READ
     * snapshot (see {@link ColumnSql#shadowDifference(ShadowColumn, int, boolean, boolean,
     * boolean)}). The write-only trigger keeps a row and its shadow in step within every snapshot,
     * so each range is consistent on its own.
     */
    public static Result verify(Connection c, ShadowColumn sc, long chunkRows, boolean nullCheck)
            throws SQLException {
        return verify(null, 1, c, sc, chunkRows, nullCheck);
    }

    /**
     * {@link #verify(Connection, ShadowColumn, long, boolean)} on {@code workers} connections at
     * once, as the index table's verification does ({@code IndexVerifier}).
     */
    public static Result verify(
            DataSource ds,
            int workers,
            Connection c,
            ShadowColumn sc,
            long chunkRows,
            boolean nullCheck)
            throws SQLException {
        return verify(ds, workers, null, c, sc, chunkRows, nullCheck);
    }

    /**
     * {@link #verify(DataSource, int, Connection, ShadowColumn, long, boolean)}, paced as {@link
     * Verification#checkRanges} paces.
     */
    public static Result verify(
            DataSource ds,
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
                Verification.inTransaction(
                        c,
                        () ->
                                Verification.ranges(
                                        c,
                                        KeySql.verificationSource(t),
                                        t.keyColumns(),
                                        chunkRows));
        List<RangeOutcome> outcomes =
                Verification.checkRanges(
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
                                            Verification.SAMPLE,
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
            Verification.addSample(keys, o.firstKeys);
            if (o.counts[1] > 0) {
                bad.add(ranges.get(i));
            }
        }
        return new Result(rows, differing, keys, what, bad);
    }

    private static long count(Connection c, TableInfo table, Range r) throws SQLException {
        String sql = KeySql.countInRange(table, r.lower != null, r.upper != null);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            r.bind(ps, 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Repairs a modify-column's shadow column in the given ranges (see {@link
     * ColumnSql#repairShadowRange}), each in one short transaction, counted as {@link
     * Verification#repairRanges} counts. Returns the rows rewritten.
     */
    public static long repair(
            Connection c,
            ShadowColumn sc,
            List<Range> ranges,
            String reorgId,
            RepairListener listener)
            throws SQLException {
        return Verification.repairRanges(
                c,
                ranges,
                r -> ColumnSql.repairShadowRange(sc, r.lower != null, r.upper != null),
                reorgId,
                "values of " + sc.shadowName(),
                listener);
    }
}
