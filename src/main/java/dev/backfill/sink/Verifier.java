package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.IndexTable;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.ShadowColumn;
import dev.backfill.db.SqlBuilder;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.source.split.Key;

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
 * Checks an index table against its table with a set comparison in both directions, like TiDB's
 * {@code ADMIN CHECK INDEX}: every row has exactly its entry (values and key), and no entry lacks
 * its row. Counts alone are not enough.
 *
 * <p>The key space is checked in ranges of about {@code chunkRows} entries, each range in its own
 * short REPEATABLE READ snapshot, so that no transaction of Backfill's outlives a batch: the
 * triggers keep a row and its entry in step within every snapshot, so each range is consistent on
 * its own. Called by the finalizer.
 */
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
        long[] totals = new long[3]; // rows, missing, dangling
        List<String> missingKeys = new ArrayList<>();
        List<String> danglingKeys = new ArrayList<>();
        List<Range> bad = new ArrayList<>();
        String table = SqlBuilder.verificationSource(index.table());
        inSnapshots(
                c,
                () -> ranges(c, index, chunkRows),
                r -> {
                    long[] here = check(c, table, index, r, missingKeys, danglingKeys);
                    totals[0] += here[0];
                    totals[1] += here[1];
                    totals[2] += here[2];
                    if (here[1] > 0 || here[2] > 0) {
                        bad.add(r);
                    }
                });
        return new Result(totals[0], totals[1], missingKeys, totals[2], danglingKeys, bad);
    }

    /** One range's check, run inside its snapshot. */
    @FunctionalInterface
    private interface RangeCheck {
        void run(Range r) throws SQLException;
    }

    /** The ranges to check, cut once the connection is out of autocommit. */
    @FunctionalInterface
    private interface RangeSource {
        List<Range> get() throws SQLException;
    }

    /**
     * Runs {@code check} for each range, each in its own short REPEATABLE READ, READ ONLY
     * transaction; restores the connection's autocommit and isolation afterwards.
     */
    private static void inSnapshots(Connection c, RangeSource ranges, RangeCheck check)
            throws SQLException {
        boolean auto = c.getAutoCommit();
        int iso = c.getTransactionIsolation();
        c.setAutoCommit(false);
        try {
            for (Range r : ranges.get()) {
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try {
                    try (Statement st = c.createStatement()) {
                        st.execute("SET TRANSACTION READ ONLY");
                    }
                    check.run(r);
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setTransactionIsolation(iso);
                }
            }
        } finally {
            c.setAutoCommit(auto);
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
                    c.prepareStatement(SqlBuilder.splitBoundary(source, key, lower != null))) {
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
                        + SqlBuilder.verificationSource(table)
                        + SqlBuilder.keyRange(
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
     * One range's check ({@link SqlBuilder#entryCheck}): returns {rows, missing, dangling} and adds
     * the first missing and dangling keys to the samples, up to {@link #SAMPLE} each.
     */
    private static long[] check(
            Connection c,
            String table,
            IndexTable index,
            Range r,
            List<String> missingKeys,
            List<String> danglingKeys)
            throws SQLException {
        String sql = SqlBuilder.entryCheck(table, index, SAMPLE, r.lower != null, r.upper != null);
        long[] out = new long[3];
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            r.bind(ps, r.bind(ps, 1));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int kind = rs.getInt(1);
                    out[kind] = rs.getLong(3);
                    List<String> keys = kind == 1 ? missingKeys : kind == 2 ? danglingKeys : null;
                    if (keys != null && keys.size() < SAMPLE) {
                        keys.add(rs.getString(2));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Repairs the given ranges, each in one short transaction (see {@link SqlBuilder#repairRange}).
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
                r -> SqlBuilder.repairRange(index, r.lower != null, r.upper != null),
                reorgId,
                "entries of " + index.displayName(),
                listener);
    }

    /**
     * Repairs a modify-column's shadow column in the given ranges (see {@link
     * SqlBuilder#repairShadowRange}), each in one short transaction, counted like {@link
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
                r -> SqlBuilder.repairShadowRange(sc, r.lower != null, r.upper != null),
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
     * snapshot (see {@link SqlBuilder#shadowDifference(ShadowColumn, int, boolean, boolean,
     * boolean)}). The write-only trigger keeps a row and its shadow in step within every snapshot,
     * so each range is consistent on its own.
     */
    public static ShadowResult verifyShadow(
            Connection c, ShadowColumn sc, long chunkRows, boolean nullCheck) throws SQLException {
        TableInfo t = sc.table();
        String what =
                sc.shadowName()
                        + " has the text of "
                        + sc.using().replace('\n', ' ')
                        + (nullCheck
                                ? ", and no NULL where " + sc.column().name() + " is not"
                                : "");
        long[] totals = new long[2]; // rows, differing
        List<String> keys = new ArrayList<>();
        List<Range> bad = new ArrayList<>();
        inSnapshots(
                c,
                () -> ranges(c, SqlBuilder.verificationSource(t), t.keyColumns(), chunkRows),
                r -> {
                    totals[0] += count(c, t, r);
                    String sql =
                            SqlBuilder.shadowDifference(
                                    sc, SAMPLE, r.lower != null, r.upper != null, nullCheck);
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        r.bind(ps, 1);
                        try (ResultSet rs = ps.executeQuery()) {
                            long total = 0;
                            while (rs.next()) {
                                if (keys.size() < SAMPLE) {
                                    keys.add(rs.getString(1));
                                }
                                total = rs.getLong(2);
                            }
                            totals[1] += total;
                            if (total > 0) {
                                bad.add(r);
                            }
                        }
                    }
                });
        return new ShadowResult(totals[0], totals[1], keys, what, bad);
    }
}
