// A/B of the add-index batch statement (issue #10, item 2): today's locking batch
// (IndexSql.addIndexBatch: unnest + join + FOR SHARE + insert) against the write-only one
// (IndexSql.addIndexBatchWriteOnly: insert ON CONFLICT (key) DO NOTHING, no re-read, no lock),
// with the statements Backfill builds, over JDBC, on the same table, alternately.
//
// Per run: a fresh index table (the write-only one with its marker column, partial index and
// revive trigger), VACUUM (FREEZE) of the source and a CHECKPOINT first, then keyset pages of
// BATCH rows read as text (like the reader), each batch bound as text[] and run in its own
// transaction (statement, then commit). Prints per run: seconds in the batch statement, in the
// commit, in the page reads, and the WAL written (insert LSN difference).
//
//   mvn -B -q -o compile
//   CP=target/classes:$(ls ~/.m2/repository/org/postgresql/postgresql/42.7.*/postgresql-*.jar | tail -1):$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.*/slf4j-api-*.jar | tail -1)
//   java -cp "$CP" scripts/WriteOnlyBench.java jdbc:postgresql://localhost:55437/postgres 500000 2
//
// Arguments: JDBC URL (user postgres), rows (default 500000), rounds (default 2; each round runs
// locking then write-only, and the next one the other way round).
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.db.TableInfo;
import dev.backfill.op.addindex.IndexSql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

public class WriteOnlyBench {
    static final int BATCH = 1000;

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET extra_float_digits = 3");
                st.execute("CREATE SCHEMA IF NOT EXISTS bench");
                st.execute("DROP TABLE IF EXISTS bench.orders");
                st.execute(
                        "CREATE TABLE bench.orders (id bigint PRIMARY KEY, customer_id bigint,"
                                + " email text NOT NULL, amount integer NOT NULL, status text,"
                                + " created_at timestamptz, note text)");
                st.execute(
                        "INSERT INTO bench.orders SELECT g, g % 10007, 'user' || g ||"
                                + " '@example.com', (g % 1000)::int, 'paid', now(), repeat('x',"
                                + " 72) FROM generate_series(1, "
                                + rows
                                + ") g");
                st.execute("VACUUM (FREEZE, ANALYZE) bench.orders");
            }
            TableInfo t = TableInfo.load(c, "bench", "orders");
            c.setAutoCommit(false);
            IndexTable index = IndexTable.resolve(t, "orders_email", List.of("email"), true, "bench");
            System.out.println("variant\tstatement_s\tcommit_s\tread_s\twal_mb\tinserted");
            for (int r = 0; r < rounds; r++) {
                boolean[] order = r % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false};
                for (boolean writeOnly : order) {
                    run(c, t, index, writeOnly);
                }
            }
        }
    }

    static void run(Connection c, TableInfo t, IndexTable index, boolean writeOnly)
            throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + index.quotedName());
            for (String sql : IndexSql.createIndexTable(index)) {
                st.execute(sql);
            }
            if (writeOnly) {
                st.execute("CREATE SCHEMA IF NOT EXISTS backfill");
                for (String sql : IndexSql.addTombstones(index)) {
                    st.execute(sql);
                }
            }
            c.commit();
            c.setAutoCommit(true);
            st.execute("VACUUM (FREEZE) bench.orders");
            st.execute("CHECKPOINT");
            c.setAutoCommit(false);
        }
        String lsn0 = lsn(c);
        String phys = "ONLY " + t.quotedName();
        // Qualified: an unqualified ORDER BY id would sort by the output column id::text.
        String read =
                "SELECT t.id::text, t.email::text FROM "
                        + phys
                        + " t WHERE t.id > ? ORDER BY t.id LIMIT "
                        + BATCH;
        String write =
                writeOnly
                        ? IndexSql.addIndexBatchWriteOnly(index)
                        : IndexSql.addIndexBatch(index, phys);
        long stmt = 0;
        long commit = 0;
        long reading = 0;
        long inserted = 0;
        long last = 0;
        try (PreparedStatement rp = c.prepareStatement(read);
                PreparedStatement wp = c.prepareStatement(write)) {
            while (true) {
                long t0 = System.nanoTime();
                rp.setLong(1, last);
                List<String> keys = new ArrayList<>(BATCH);
                List<String> vals = new ArrayList<>(BATCH);
                try (ResultSet rs = rp.executeQuery()) {
                    while (rs.next()) {
                        keys.add(rs.getString(1));
                        vals.add(rs.getString(2));
                    }
                }
                c.commit();
                long t1 = System.nanoTime();
                reading += t1 - t0;
                if (keys.isEmpty()) {
                    break;
                }
                last = Long.parseLong(keys.get(keys.size() - 1));
                wp.setArray(1, c.createArrayOf("text", keys.toArray()));
                wp.setArray(2, c.createArrayOf("text", vals.toArray()));
                inserted += wp.executeUpdate();
                long t2 = System.nanoTime();
                c.commit();
                long t3 = System.nanoTime();
                stmt += t2 - t1;
                commit += t3 - t2;
            }
        }
        double walMb = walBytes(c, lsn0) / 1048576.0;
        System.out.printf(
                "%s\t%.2f\t%.2f\t%.2f\t%.1f\t%d%n",
                writeOnly ? "write-only" : "locking",
                stmt / 1e9,
                commit / 1e9,
                reading / 1e9,
                walMb,
                inserted);
    }

    static String lsn(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            String s = rs.getString(1);
            c.commit();
            return s;
        }
    }

    static long walBytes(Connection c, String from) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT pg_current_wal_insert_lsn() - ?::pg_lsn")) {
            ps.setString(1, from);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long b = rs.getLong(1);
                c.commit();
                return b;
            }
        }
    }
}
