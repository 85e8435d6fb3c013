package dev.backfill.sink;

import dev.backfill.db.IndexTable;
import dev.backfill.db.SqlBuilder;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks an index table against its table with a set comparison in both directions, in one
 * REPEATABLE READ snapshot, like TiDB's {@code ADMIN CHECK INDEX}: every row has exactly its entry
 * (values and key), and no entry lacks its row. Counts alone are not enough. Called by the
 * finalizer.
 */
public final class Verifier {
    /** How many offending keys a result names. */
    public static final int SAMPLE = 5;

    /** The outcome of one verification. */
    public static final class Result {
        public final long rows;
        public final long missing;
        public final List<String> missingKeys;
        public final long dangling;
        public final List<String> danglingKeys;

        Result(
                long rows,
                long missing,
                List<String> missingKeys,
                long dangling,
                List<String> danglingKeys) {
            this.rows = rows;
            this.missing = missing;
            this.missingKeys = missingKeys;
            this.dangling = dangling;
            this.danglingKeys = danglingKeys;
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

    /** Runs the comparison on {@code c} in its own read-only REPEATABLE READ transaction. */
    public static Result verify(Connection c, IndexTable index) throws SQLException {
        boolean auto = c.getAutoCommit();
        int iso = c.getTransactionIsolation();
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            try (Statement st = c.createStatement()) {
                st.execute("SET TRANSACTION READ ONLY");
            }
            String table = SqlBuilder.verificationSource(index.table());
            long rows;
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                rs.next();
                rows = rs.getLong(1);
            }
            List<String> missingKeys = new ArrayList<>();
            long missing =
                    diff(
                            c,
                            SqlBuilder.entryDifference(table, index.quotedName(), index, SAMPLE),
                            missingKeys);
            List<String> danglingKeys = new ArrayList<>();
            long dangling =
                    diff(
                            c,
                            SqlBuilder.entryDifference(index.quotedName(), table, index, SAMPLE),
                            danglingKeys);
            c.commit();
            return new Result(rows, missing, missingKeys, dangling, danglingKeys);
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setTransactionIsolation(iso);
            c.setAutoCommit(auto);
        }
    }

    private static long diff(Connection c, String sql, List<String> keys) throws SQLException {
        long total = 0;
        try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(rs.getString(1));
                total = rs.getLong(2);
            }
        }
        return total;
    }
}
