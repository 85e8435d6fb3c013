package dev.backfill.op.addindex;

import dev.backfill.db.Catalog;
import dev.backfill.db.KeySql;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Runs {@link IndexSql}'s SQL (and {@link KeySql}'s scans) against a real PostgreSQL, on a table
 * whose every identifier needs quoting: {@code "Shop Data"."Order""s"} with the composite key
 * ({@code "Region"} text, {@code id} bigint) and the indexed column {@code "E-mail"} varchar(100),
 * indexed into {@code "Shop Data"."Order""s E-mail"}.
 */
class IndexSqlITCase {
    private static final String DB = "sqlbuilder_it";

    /** The table, written out by hand (not through Identifiers) so the test checks the quoting. */
    private static final String ORDERS = "\"Shop Data\".\"Order\"\"s\"";

    private static final String INDEX = "\"Shop Data\".\"Order\"\"s E-mail\"";
    private static final String ENTRY = "\"E-mail\", \"Region\", id";

    private DataSource ds;
    private TableInfo table;
    private IndexTable index;

    @BeforeEach
    void createTable() throws SQLException {
        ds = TestingPostgres.get().createDatabase(DB);
        exec(
                "CREATE SCHEMA backfill",
                "CREATE SCHEMA \"Shop Data\"",
                "CREATE TABLE "
                        + ORDERS
                        + " (\"Region\" text, id bigint, \"E-mail\" varchar(100), note text,"
                        + " PRIMARY KEY (\"Region\", id))");
        try (Connection c = ds.getConnection()) {
            table = TableInfo.load(c, "Shop Data", "Order\"s");
        }
        assertThat(table.keyColumnNames()).containsExactly("Region", "id");
        assertThat(table.column("E-mail").orElseThrow().type()).isEqualTo("character varying(100)");
        assertThat(table.quotedPhysical(table.physicalTables().get(0))).isEqualTo(ORDERS);
        index =
                new IndexTable(
                        table,
                        "Order\"s E-mail",
                        List.of(table.column("E-mail").orElseThrow()),
                        false,
                        "sqlbuilder-it");
        assertThat(index.quotedName()).isEqualTo(INDEX);
    }

    // ---------------------------------------------------------------- triggers

    @Test
    void triggersKeepTheIndexTableEqualToTheProjection() throws SQLException {
        exec(IndexSql.createIndexTable(index));
        exec(IndexSql.createTriggers(index));
        assertThat(userTriggers()).isEqualTo(4);
        assertThat(backfillFunctions()).isEqualTo(2);

        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES"
                        + " ('eu', 1, 'a@example.com'), ('eu', 2, NULL), ('us', 1, 'b@example.com'),"
                        + " ('us', 2, 'b@example.com'), ('ap', 7, 'O''Brien@example.com')");
        assertIndexExact(5);
        assertThat(entry("eu", 1)).isEqualTo("a@example.com");
        assertThat(entry("ap", 7)).isEqualTo("O'Brien@example.com");

        // UPDATE of the value, to NULL and back from NULL.
        exec(
                "UPDATE "
                        + ORDERS
                        + " SET \"E-mail\" = 'a2@example.com' WHERE \"Region\" = 'eu' AND id = 1");
        assertIndexExact(5);
        assertThat(entry("eu", 1)).isEqualTo("a2@example.com");
        exec("UPDATE " + ORDERS + " SET \"E-mail\" = NULL WHERE \"Region\" = 'us' AND id = 1");
        exec(
                "UPDATE "
                        + ORDERS
                        + " SET \"E-mail\" = 'c@example.com' WHERE \"Region\" = 'eu' AND id = 2");
        assertIndexExact(5);
        assertThat(entry("us", 1)).isNull();
        assertThat(entry("eu", 2)).isEqualTo("c@example.com");

        // UPDATE of either key column: the old entry goes, the new one comes.
        exec("UPDATE " + ORDERS + " SET id = 10 WHERE \"Region\" = 'eu' AND id = 1");
        exec("UPDATE " + ORDERS + " SET \"Region\" = 'sa' WHERE \"Region\" = 'us' AND id = 2");
        assertIndexExact(5);
        assertThat(entryCount("eu", 1)).isZero();
        assertThat(entry("eu", 10)).isEqualTo("a2@example.com");
        assertThat(entry("sa", 2)).isEqualTo("b@example.com");

        // Key and value at once, and a multi-row key update.
        exec(
                "UPDATE "
                        + ORDERS
                        + " SET id = 11, \"E-mail\" = 'z@example.com' WHERE \"Region\" = 'eu' AND id = 2");
        assertIndexExact(5);
        exec("UPDATE " + ORDERS + " SET id = id + 1000");
        assertIndexExact(5);
        assertThat(entry("eu", 1011)).isEqualTo("z@example.com");

        // A column outside the entry.
        exec("UPDATE " + ORDERS + " SET note = 'x'");
        assertIndexExact(5);

        exec("DELETE FROM " + ORDERS + " WHERE \"Region\" = 'eu'");
        assertIndexExact(3);

        exec("TRUNCATE " + ORDERS);
        assertIndexExact(0);

        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES ('eu', 1, 'again@example.com')");
        assertIndexExact(1);
    }

    @Test
    void updateOfAColumnOutsideTheEntryDoesNotCallTheTriggerFunction() throws SQLException {
        exec(IndexSql.createIndexTable(index));
        exec(IndexSql.createTriggers(index));
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES ('eu', 1, 'a@example.com'), ('eu', 2, 'b@example.com')");
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("SET track_functions = 'pl'");
            c.setAutoCommit(false);
            st.executeUpdate("UPDATE " + ORDERS + " SET note = 'changed'");
            assertThat(functionCallsInTransaction(st)).isZero();
            st.executeUpdate("UPDATE " + ORDERS + " SET \"E-mail\" = \"E-mail\"");
            assertThat(functionCallsInTransaction(st)).as("an update to the same value").isZero();
            st.executeUpdate(
                    "UPDATE " + ORDERS + " SET \"E-mail\" = 'new@example.com' WHERE id = 1");
            assertThat(functionCallsInTransaction(st)).isEqualTo(1);
            c.commit();
        }
        assertIndexExact(2);
    }

    // ---------------------------------------------------------------- reading

    @Test
    void readPageReturnsRowsInKeyOrderStrictlyAfterACompositeLowerBound() throws SQLException {
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES"
                        + " ('us', 4, 'us4'), ('eu', 40, 'eu40'), ('ap', 1, 'ap1'), ('eu', 5, 'eu5'), ('sa', 1, NULL),"
                        + " ('eu', 1, 'eu1'), ('us', 3, 'us3'), ('eu', 6, 'eu6'), ('us', 1, 'us1')");
        String sql =
                KeySql.readPage(
                        ORDERS,
                        table.keyColumns(),
                        List.of(table.column("E-mail").orElseThrow()),
                        true);

        // (eu, 5) < key <= (us, 3); id compares as a number (6 < 40), not as text.
        assertThat(query(sql, "eu", "5", "us", "3", 100))
                .containsExactly("eu|6|eu6", "eu|40|eu40", "sa|1|null", "us|1|us1", "us|3|us3");
        assertThat(query(sql, "eu", "5", "us", "3", 2)).containsExactly("eu|6|eu6", "eu|40|eu40");
        assertThat(query(sql, "us", "3", "us", "3", 100)).isEmpty();

        String first =
                KeySql.readPage(
                        ORDERS,
                        table.keyColumns(),
                        List.of(table.column("E-mail").orElseThrow()),
                        false);
        assertThat(query(first, "eu", "5", 100))
                .containsExactly("ap|1|ap1", "eu|1|eu1", "eu|5|eu5");
    }

    @Test
    void splitBoundaryAndLastKeyFindKeysAfterTheLowerBound() throws SQLException {
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id) SELECT r, n FROM unnest(ARRAY['ap', 'eu', 'us']) r, generate_series(1, 10) n");
        String boundary = KeySql.splitBoundary(ORDERS, table.keyColumns(), true);
        String last = KeySql.lastKey(ORDERS, table.keyColumns(), true);

        assertThat(query(KeySql.splitBoundary(ORDERS, table.keyColumns(), false), 0))
                .containsExactly("ap|1");
        // The 10th row after (ap, 9): (ap, 10), then eu 1..9.
        assertThat(query(boundary, "ap", "9", 9)).containsExactly("eu|9");
        assertThat(query(boundary, "us", "9", 1)).isEmpty();
        assertThat(query(last, "ap", "9")).containsExactly("us|10");
        assertThat(query(last, "us", "10")).isEmpty();
        assertThat(query(KeySql.lastKey(ORDERS, table.keyColumns(), false)))
                .containsExactly("us|10");
    }

    // ---------------------------------------------------------------- add-index batch

    @Test
    void addIndexBatchInsertsEntriesOnlyForRowsThatStillHaveTheValuesRead() throws SQLException {
        // No triggers here: the index table only gets what the batch writes.
        exec(IndexSql.createIndexTable(index));
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES"
                        + " ('eu', 1, 'a@example.com'), ('eu', 2, 'b@example.com'), ('us', 1, NULL),"
                        + " ('us', 2, 'd@example.com'), ('ap', 9, 'e@example.com')");
        List<String[]> read =
                rows("SELECT \"Region\", id::text, \"E-mail\" FROM " + ORDERS + " ORDER BY 1, 2");

        // Between reading and writing: one row's value changes, another row is deleted.
        exec(
                "UPDATE "
                        + ORDERS
                        + " SET \"E-mail\" = 'changed@example.com' WHERE \"Region\" = 'eu' AND id = 2",
                "DELETE FROM " + ORDERS + " WHERE \"Region\" = 'us' AND id = 2");

        assertThat(writeBatch(read)).isEqualTo(3);
        assertThat(
                        strings(
                                "SELECT \"Region\" || '|' || id || '|' || coalesce(\"E-mail\", 'null') FROM "
                                        + INDEX
                                        + " ORDER BY 1"))
                .containsExactly("ap|9|e@example.com", "eu|1|a@example.com", "us|1|null");

        // Written again (a replay): every entry exists, nothing is inserted.
        assertThat(writeBatch(read)).isZero();
        assertThat(count("SELECT count(*) FROM " + INDEX)).isEqualTo(3);
    }

    @Test
    void addIndexBatchLocksTheRowsItIndexesUntilItsTransactionEnds() throws SQLException {
        exec(IndexSql.createIndexTable(index));
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES ('eu', 1, 'a@example.com'), ('eu', 2, 'b@example.com')");
        List<String[]> read =
                rows("SELECT \"Region\", id::text, \"E-mail\" FROM " + ORDERS + " ORDER BY 1, 2");
        exec("UPDATE " + ORDERS + " SET \"E-mail\" = 'changed@example.com' WHERE id = 2");

        try (Connection writer = ds.getConnection();
                Connection other = ds.getConnection();
                Statement st = other.createStatement()) {
            writer.setAutoCommit(false);
            assertThat(writeBatch(writer, read)).isEqualTo(1);
            // The indexed row is share-locked: another transaction cannot lock it for update.
            assertThatThrownBy(
                            () ->
                                    st.executeQuery(
                                            "SELECT 1 FROM "
                                                    + ORDERS
                                                    + " WHERE id = 1 FOR UPDATE NOWAIT"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(
                            e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55P03"));
            // The skipped row is not locked.
            try (ResultSet rs =
                    st.executeQuery(
                            "SELECT 1 FROM " + ORDERS + " WHERE id = 2 FOR UPDATE NOWAIT")) {
                assertThat(rs.next()).isTrue();
            }
            writer.commit();
            try (ResultSet rs =
                    st.executeQuery(
                            "SELECT 1 FROM " + ORDERS + " WHERE id = 1 FOR UPDATE NOWAIT")) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    // ---------------------------------------------------------------- verification and abort

    @Test
    void entryCheckFindsMissingAndDanglingEntriesByKey() throws SQLException {
        exec(IndexSql.createIndexTable(index));
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES ('eu', 1, 'a'), ('eu', 2, 'b'), ('us', 1, NULL)",
                "INSERT INTO "
                        + INDEX
                        + " ("
                        + ENTRY
                        + ") VALUES ('a', 'eu', 1), ('wrong', 'eu', 2), ('x', 'zz', 5)");
        String source = KeySql.verificationSource(table);
        assertThat(source).isEqualTo("ONLY " + ORDERS);

        // (eu,2) has a wrong entry: missing and dangling; (us,1) has none; (zz,5) no row.
        assertThat(query(IndexSql.entryCheck(source, index, 10, false, false)))
                .containsExactly(
                        "0|null|3", "1|(eu,2)|2", "1|(us,1)|2", "2|(eu,2)|2", "2|(zz,5)|2");
        assertThat(query(IndexSql.entryCheck(source, index, 1, false, false)))
                .containsExactly("0|null|3", "1|(eu,2)|2", "2|(eu,2)|2");

        exec(
                "DELETE FROM " + INDEX,
                "INSERT INTO " + INDEX + " (" + ENTRY + ") SELECT " + ENTRY + " FROM " + ORDERS);
        assertThat(query(IndexSql.entryCheck(source, index, 10, false, false)))
                .containsExactly("0|null|3");
    }

    @Test
    void entryCheckBindsTheRangeToBothSides() throws SQLException {
        exec(IndexSql.createIndexTable(index));
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES ('eu', 1, 'a'), ('eu', 2, 'b'), ('us', 1, 'c')",
                "INSERT INTO "
                        + INDEX
                        + " ("
                        + ENTRY
                        + ") VALUES ('a', 'eu', 1), ('x', 'us', 1), ('y', 'zz', 5)");
        // (eu,1] .. (us,1]: only (eu,2) and (us,1) on both sides.
        String sql = IndexSql.entryCheck(KeySql.verificationSource(table), index, 10, true, true);
        List<String> rows = query(sql, "eu", "1", "us", "1", "eu", "1", "us", "1");
        assertThat(rows).containsExactly("0|null|2", "1|(eu,2)|2", "1|(us,1)|2", "2|(us,1)|1");
    }

    @Test
    void flushWalCommitsWithAnXidAndLeavesTheSessionAsynchronous() throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("SET synchronous_commit = off");
            c.setAutoCommit(false);
            long before;
            try (ResultSet rs = st.executeQuery("SELECT txid_current()")) {
                rs.next();
                before = rs.getLong(1);
            }
            c.commit();

            Catalog.flushWal(c);

            // It took an xid of its own (so it wrote a commit record to wait for), and its
            // synchronous_commit = on was local to it.
            try (ResultSet rs =
                    st.executeQuery(
                            "SELECT txid_current(), current_setting('synchronous_commit')")) {
                rs.next();
                assertThat(rs.getLong(1)).isGreaterThan(before + 1);
                assertThat(rs.getString(2)).isEqualTo("off");
            }
            c.rollback();
        }
    }

    @Test
    void dropAllRemovesEveryTriggerFunctionAndTheIndexTable() throws SQLException {
        exec(IndexSql.createIndexTable(index));
        exec(IndexSql.createTriggers(index));
        assertThat(userTriggers()).isEqualTo(4);
        assertThat(backfillFunctions()).isEqualTo(2);
        assertThat(strings("SELECT to_regclass('" + INDEX.replace("'", "''") + "')::text"))
                .containsExactly(INDEX);

        exec(IndexSql.dropAll(index));

        assertThat(userTriggers()).isZero();
        assertThat(backfillFunctions()).isZero();
        assertThat(strings("SELECT to_regclass('" + INDEX.replace("'", "''") + "')::text"))
                .containsOnlyNulls();
        // Idempotent, and the table itself is untouched and writable.
        exec(IndexSql.dropAll(index));
        exec("INSERT INTO " + ORDERS + " (\"Region\", id) VALUES ('eu', 1)");
        assertThat(count("SELECT count(*) FROM " + ORDERS)).isEqualTo(1);
    }

    // ---------------------------------------------------------------- bugs (fail until fixed)

    /**
     * A key column named like a PL/pgSQL variable of a trigger function ({@code found}, {@code
     * new}, {@code old}, {@code tg_op}...) is ambiguous in the function's {@code ON CONFLICT} and
     * {@code DELETE ... WHERE}: PostgreSQL refuses, and every INSERT into the user's table fails
     * while the triggers are installed.
     */
    @Test
    void triggersWorkForAKeyColumnNamedLikeAPlpgsqlVariable() throws SQLException {
        exec("CREATE TABLE \"Shop Data\".lost (found bigint PRIMARY KEY, \"E-mail\" text)");
        TableInfo lost;
        try (Connection c = ds.getConnection()) {
            lost = TableInfo.load(c, "Shop Data", "lost");
        }
        IndexTable lostIndex =
                new IndexTable(
                        lost,
                        "lost_email",
                        List.of(lost.column("E-mail").orElseThrow()),
                        true,
                        "found-it");
        exec(IndexSql.createIndexTable(lostIndex));
        exec(IndexSql.createTriggers(lostIndex));
        String projection = "SELECT \"E-mail\", found FROM \"Shop Data\".lost";
        String entries = "SELECT \"E-mail\", found FROM \"Shop Data\".lost_email";

        exec(
                "INSERT INTO \"Shop Data\".lost VALUES (1, 'a'), (2, 'b'), (3, NULL)",
                "UPDATE \"Shop Data\".lost SET \"E-mail\" = 'c' WHERE found = 3",
                "UPDATE \"Shop Data\".lost SET found = 4 WHERE found = 2",
                "DELETE FROM \"Shop Data\".lost WHERE found = 1");

        assertThat(count("SELECT count(*) FROM (" + projection + " EXCEPT " + entries + ") d"))
                .isZero();
        assertThat(count("SELECT count(*) FROM (" + entries + " EXCEPT " + projection + ") d"))
                .isZero();
        assertThat(count("SELECT count(*) FROM \"Shop Data\".lost_email")).isEqualTo(2);
    }

    /**
     * With a DEFERRABLE primary key, one UPDATE can swap two keys. The row triggers then run
     * "delete old key, upsert new key" row by row, and the second row's delete removes the entry
     * the first row's upsert just wrote: an entry goes missing. Rejecting such tables up front in
     * {@link TableInfo#load} is an acceptable fix too.
     */
    @Test
    void aTableWithADeferrablePrimaryKeyIsRejected() throws SQLException {
        exec("CREATE TABLE \"Shop Data\".swap (id bigint PRIMARY KEY DEFERRABLE, \"E-mail\" text)");
        // Row triggers cannot follow a key swap inside one statement, so such tables are refused.
        try (Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> TableInfo.load(c, "Shop Data", "swap"))
                    .isInstanceOf(TableInfo.TableException.class)
                    .hasMessage(
                            "table Shop Data.swap has a DEFERRABLE primary key; Backfill needs an immediate one");
        }
    }

    /**
     * The scan reads {@code TableInfo.scanSource}, {@code ONLY} the table, as verification does
     * (and a real index would): rows of an inheritance child get no entries and are not counted.
     */
    @Test
    void scanSqlReadsOnlyTheTableNotItsInheritanceChildren() throws SQLException {
        exec(
                "CREATE TABLE \"Shop Data\".\"Order\"\"s child\" () INHERITS (" + ORDERS + ")",
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"E-mail\") VALUES ('eu', 1, 'parent')",
                "INSERT INTO \"Shop Data\".\"Order\"\"s child\" (\"Region\", id, \"E-mail\") VALUES ('zz', 9, 'child')");
        String physical = table.scanSource(table.physicalTables().get(0));

        String page =
                KeySql.readPage(
                        physical,
                        table.keyColumns(),
                        List.of(table.column("E-mail").orElseThrow()),
                        false);
        assertThat(query(page, "zz", "99", 100)).containsExactly("eu|1|parent");
        assertThat(query(KeySql.lastKey(physical, table.keyColumns(), false)))
                .containsExactly("eu|1");
    }

    // ---------------------------------------------------------------- helpers

    private void exec(String... sql) throws SQLException {
        exec(List.of(sql));
    }

    private void exec(List<String> sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    private List<String> strings(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private List<String[]> rows(String sql) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                String[] row = new String[n];
                for (int i = 0; i < n; i++) {
                    row[i] = rs.getString(i + 1);
                }
                out.add(row);
            }
        }
        return out;
    }

    /**
     * Runs {@code sql} with Strings bound as text and Integers as limits; rows as {@code a|b|c}.
     */
    private List<String> query(String sql, Object... params) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] instanceof Integer) {
                    ps.setInt(i + 1, (Integer) params[i]);
                } else {
                    ps.setString(i + 1, (String) params[i]);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        sb.append(i > 1 ? "|" : "").append(rs.getString(i));
                    }
                    out.add(sb.toString());
                }
            }
        }
        return out;
    }

    /** The add-index batch for rows (Region, id, E-mail) as read, as the sink binds it. */
    private int writeBatch(List<String[]> read) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return writeBatch(c, read);
        }
    }

    private int writeBatch(Connection c, List<String[]> read) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(IndexSql.addIndexBatch(index, ORDERS))) {
            for (int col = 0; col < 3; col++) {
                String[] values = new String[read.size()];
                for (int r = 0; r < read.size(); r++) {
                    values[r] = read.get(r)[col];
                }
                Array a = c.createArrayOf("text", values);
                ps.setArray(col + 1, a);
            }
            return ps.executeUpdate();
        }
    }

    private void assertIndexExact(long rows) throws SQLException {
        String projection = "SELECT " + ENTRY + " FROM " + ORDERS;
        String entries = "SELECT " + ENTRY + " FROM " + INDEX;
        assertThat(count("SELECT count(*) FROM (" + projection + " EXCEPT " + entries + ") d"))
                .as("rows without their entry")
                .isZero();
        assertThat(count("SELECT count(*) FROM (" + entries + " EXCEPT " + projection + ") d"))
                .as("entries without their row")
                .isZero();
        assertThat(count("SELECT count(*) FROM " + ORDERS)).isEqualTo(rows);
        assertThat(count("SELECT count(*) FROM " + INDEX)).isEqualTo(rows);
    }

    private String entry(String region, long id) throws SQLException {
        assertThat(entryCount(region, id)).isEqualTo(1);
        return strings(
                        "SELECT \"E-mail\" FROM "
                                + INDEX
                                + " WHERE \"Region\" = '"
                                + region
                                + "' AND id = "
                                + id)
                .get(0);
    }

    private long entryCount(String region, long id) throws SQLException {
        return count(
                "SELECT count(*) FROM "
                        + INDEX
                        + " WHERE \"Region\" = '"
                        + region
                        + "' AND id = "
                        + id);
    }

    private long userTriggers() throws SQLException {
        return count(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = '"
                        + ORDERS.replace("'", "''")
                        + "'::regclass AND NOT tgisinternal");
    }

    private long backfillFunctions() throws SQLException {
        return count(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'backfill'");
    }

    private static long functionCallsInTransaction(Statement st) throws SQLException {
        try (ResultSet rs =
                st.executeQuery(
                        "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE schemaname = 'backfill'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
