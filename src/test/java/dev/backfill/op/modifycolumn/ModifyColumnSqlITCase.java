package dev.backfill.op.modifycolumn;

import dev.backfill.db.Identifiers;
import dev.backfill.db.SessionSql;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.TestingReorgs;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

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
 * Runs {@link ColumnSql}'s modify-column SQL (issue #4) against a real PostgreSQL, on a table whose
 * every identifier needs quoting: {@code "Shop Data"."Order""s"} with the composite key ({@code
 * "Region"} text, {@code id} bigint), and the text column {@code "Amount"} that becomes an integer
 * (or a numeric through a {@code using} expression).
 */
class ModifyColumnSqlITCase {
    private static final String DB = "modify_column_sql_it";

    /** Written out by hand (not through Identifiers) so the test checks the quoting. */
    private static final String ORDERS = "\"Shop Data\".\"Order\"\"s\"";

    private static final String SHADOW = "\"_backfill_new_Amount\"";

    private DataSource ds;
    private TableInfo table;

    @BeforeEach
    void createTable() throws SQLException {
        ds = TestingPostgres.get().createDatabase(DB);
        exec(
                "CREATE SCHEMA backfill",
                "CREATE SCHEMA \"Shop Data\"",
                "CREATE TABLE "
                        + ORDERS
                        + " (\"Region\" text, id bigint, \"Amount\" text, rate integer DEFAULT 1,"
                        + " note text, PRIMARY KEY (\"Region\", id))",
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"Amount\", rate) VALUES ('eu', 1, '10', 2),"
                        + " ('eu', 2, NULL, 3), ('us', 1, ' -7', 1), ('us', 2, '2147483647', 1),"
                        + " ('ap', 1, '0', 5)");
        try (Connection c = ds.getConnection()) {
            table = TableInfo.load(c, "Shop Data", "Order\"s");
        }
    }

    private ShadowColumn toInteger() throws SQLException {
        return ShadowColumn.resolve(table, "Amount", "integer", null, "modify-it");
    }

    // ---------------------------------------------------------------- prepare

    @Test
    void addShadowColumnDoesNotRewriteTheTable() throws SQLException {
        ShadowColumn sc = toInteger();
        long before = count("SELECT pg_relation_filenode('" + ORDERS + "')");
        String checksum = rowChecksum();
        exec(ColumnSql.addShadowColumn(sc));
        assertThat(count("SELECT pg_relation_filenode('" + ORDERS + "')"))
                .as("relfilenode: no rewrite")
                .isEqualTo(before);
        assertThat(
                        strings(
                                "SELECT format_type(atttypid, atttypmod) || ' ' || attnotnull || ' '"
                                        + " || atthasdef || ' ' || atthasmissing FROM pg_attribute"
                                        + " WHERE attrelid = '"
                                        + ORDERS
                                        + "'::regclass AND attname = '_backfill_new_Amount'"))
                .containsExactly("integer false false false");
        assertThat(count("SELECT count(*) FROM " + ORDERS + " WHERE " + SHADOW + " IS NULL"))
                .isEqualTo(5);
        assertThat(rowChecksum()).isEqualTo(checksum);
    }

    @Test
    void checkUsingFailsOnAnExpressionWithoutAnAssignmentCast() throws SQLException {
        exec(ColumnSql.addShadowColumn(toInteger()));
        exec(ColumnSql.checkUsing(toInteger()));
        exec(
                ColumnSql.checkUsing(
                        ShadowColumn.resolve(
                                table, "Amount", "integer", "length(\"Amount\") -- c", "r")));
        assertThatThrownBy(
                        () ->
                                exec(
                                        ColumnSql.checkUsing(
                                                ShadowColumn.resolve(
                                                        table,
                                                        "Amount",
                                                        "integer",
                                                        "\"Amount\" || 'x'",
                                                        "modify-it"))))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42804"));
        assertThatThrownBy(
                        () ->
                                exec(
                                        ColumnSql.checkUsing(
                                                ShadowColumn.resolve(
                                                        table,
                                                        "Amount",
                                                        "integer",
                                                        "nope + 1",
                                                        "modify-it"))))
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42703"));
        assertThat(count("SELECT count(*) FROM " + ORDERS + " WHERE " + SHADOW + " IS NULL"))
                .isEqualTo(5);
    }

    // ---------------------------------------------------------------- trigger

    @Test
    void triggerSetsTheShadowOnInsertAndUpdateAndFailsAValueThatDoesNotConvert()
            throws SQLException {
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));

        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"Amount\") VALUES ('sa', 1, '42'), ('sa', 2, NULL)");
        assertThat(shadow("sa", 1)).isEqualTo("42");
        assertThat(shadow("sa", 2)).isNull();
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '43' WHERE \"Region\" = 'sa' AND id = 1");
        assertThat(shadow("sa", 1)).isEqualTo("43");
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '5' WHERE \"Region\" = 'sa' AND id = 2");
        assertThat(shadow("sa", 2)).isEqualTo("5");
        exec("UPDATE " + ORDERS + " SET \"Amount\" = NULL WHERE \"Region\" = 'sa' AND id = 2");
        assertThat(shadow("sa", 2)).isNull();
        // An update of another column fills the shadow of a row written before the trigger.
        exec("UPDATE " + ORDERS + " SET note = 'x' WHERE \"Region\" = 'eu' AND id = 1");
        assertThat(shadow("eu", 1)).isEqualTo("10");
        // Even a try to write the shadow directly gets the expression's value.
        exec("UPDATE " + ORDERS + " SET " + SHADOW + " = 999 WHERE \"Region\" = 'sa' AND id = 1");
        assertThat(shadow("sa", 1)).isEqualTo("43");

        assertThatThrownBy(
                        () ->
                                exec(
                                        "INSERT INTO "
                                                + ORDERS
                                                + " (\"Region\", id, \"Amount\") VALUES ('sa', 3, 'abc')"))
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22P02"))
                .hasMessageContaining("abc");
        assertThat(count("SELECT count(*) FROM " + ORDERS + " WHERE \"Region\" = 'sa' AND id = 3"))
                .isZero();
        assertThatThrownBy(
                        () ->
                                exec(
                                        "UPDATE "
                                                + ORDERS
                                                + " SET \"Amount\" = '2147483648' WHERE \"Region\" = 'sa' AND id = 1"))
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22003"));
        assertThat(
                        strings(
                                "SELECT \"Amount\" FROM "
                                        + ORDERS
                                        + " WHERE \"Region\" = 'sa' AND id = 1"))
                .containsExactly("43");

        exec(ColumnSql.dropShadow(sc));
        exec("INSERT INTO " + ORDERS + " (\"Region\", id, \"Amount\") VALUES ('sa', 3, 'abc')");
    }

    @Test
    void triggerEvaluatesAUsingExpressionOverSeveralColumnsAndTheTableName() throws SQLException {
        ShadowColumn sc =
                ShadowColumn.resolve(
                        table,
                        "Amount",
                        "numeric(12,2)",
                        "\"Order\"\"s\".\"Amount\"::numeric * rate / 100 -- cents times rate",
                        "modify-it");
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.checkUsing(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"Amount\", rate) VALUES ('sa', 1, '12345', 3)");
        assertThat(shadow("sa", 1)).isEqualTo("370.35");
        exec("UPDATE " + ORDERS + " SET rate = 1 WHERE \"Region\" = 'sa' AND id = 1");
        assertThat(shadow("sa", 1)).isEqualTo("123.45");
        // Assignment rounds to the scale, as ALTER TABLE ... TYPE numeric(12,2) would.
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '1' WHERE \"Region\" = 'sa' AND id = 1");
        assertThat(shadow("sa", 1)).isEqualTo("0.01");
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '1', rate = 2 WHERE \"Region\" = 'sa'");
        assertThat(shadow("sa", 1)).isEqualTo("0.02");
    }

    // ---------------------------------------------------------------- batch

    @Test
    void batchSetsOnlyRowsStillAsReadAndSkipsRowsAlreadyRight() throws SQLException {
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        // Rows as a reader read them, before the changes below.
        List<String[]> read = readAll();
        assertThat(read).hasSize(5);
        // Changed since read: the trigger wrote its shadow; the batch must not overwrite it.
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '11' WHERE \"Region\" = 'eu' AND id = 1");
        // Deleted since read, and re-inserted by the application with another value.
        exec("DELETE FROM " + ORDERS + " WHERE \"Region\" = 'us' AND id = 2");
        exec("INSERT INTO " + ORDERS + " (\"Region\", id, \"Amount\") VALUES ('us', 2, '5')");
        // Already right through the trigger (an update of another column), value unchanged.
        exec("UPDATE " + ORDERS + " SET note = 'n' WHERE \"Region\" = 'ap' AND id = 1");

        // Written: only (us, 1); (eu, 2) is NULL and already NULL.
        assertThat(writeBatch(sc, read)).isEqualTo(1);
        assertThat(shadow("us", 1)).isEqualTo("-7");
        assertThat(shadow("eu", 1)).isEqualTo("11");
        assertThat(shadow("us", 2)).isEqualTo("5");
        assertThat(shadow("ap", 1)).isEqualTo("0");
        assertThat(shadow("eu", 2)).isNull();
        // A replay writes nothing.
        assertThat(writeBatch(sc, read)).isZero();
        assertThat(query(ColumnSql.shadowDifference(sc))).isEmpty();
    }

    @Test
    void theShadowTriggerFiresForEverySessionButTheSinks() throws SQLException {
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));

        // An application session (and the finalizer's): the trigger sets the shadow.
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '42' WHERE \"Region\" = 'eu' AND id = 1");
        assertThat(shadow("eu", 1)).isEqualTo("42");

        // The sink's session: its own UPDATEs set the shadow themselves, the trigger stays out.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute(SessionSql.markSinkSession());
            st.execute(
                    "UPDATE "
                            + ORDERS
                            + " SET \"Amount\" = '43' WHERE \"Region\" = 'eu' AND id = 1");
        }
        assertThat(shadow("eu", 1)).isEqualTo("42");

        // A setting of another value, or none, fires it as before.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("SET " + SessionSql.SINK_SETTING + " = off");
            st.execute(
                    "UPDATE "
                            + ORDERS
                            + " SET \"Amount\" = '44' WHERE \"Region\" = 'eu' AND id = 1");
        }
        assertThat(shadow("eu", 1)).isEqualTo("44");
    }

    @Test
    void batchWritesTheExpressionOverTheCurrentRowWhenTheTriggerIsOff() throws SQLException {
        // Without the trigger (as if rows were written before prepare): the batch alone fills it.
        ShadowColumn sc =
                ShadowColumn.resolve(
                        table, "Amount", "bigint", "\"Amount\"::bigint * rate", "modify-it");
        exec(ColumnSql.addShadowColumn(sc));
        List<String[]> read = readAll();
        assertThat(writeBatch(sc, read)).isEqualTo(4);
        assertThat(shadow("eu", 1)).isEqualTo("20");
        assertThat(shadow("us", 2)).isEqualTo("2147483647");
        assertThat(writeBatch(sc, read)).isZero();
        assertThat(query(ColumnSql.shadowDifference(sc))).isEmpty();
    }

    @Test
    void batchFailsOnAValueThatDoesNotConvertAndChangesNothing() throws SQLException {
        exec("UPDATE " + ORDERS + " SET \"Amount\" = '1.5' WHERE \"Region\" = 'us' AND id = 1");
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        List<String[]> read = readAll();
        assertThatThrownBy(() -> writeBatch(sc, read))
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22P02"));
        assertThat(count("SELECT count(*) FROM " + ORDERS + " WHERE " + SHADOW + " IS NULL"))
                .isEqualTo(5);
    }

    @Test
    void batchWaitsForAConcurrentWriterAndThenSkipsTheRowItChanged() throws Exception {
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        List<String[]> read = readAll();
        try (Connection writer = ds.getConnection()) {
            writer.setAutoCommit(false);
            long writerPid;
            try (Statement st = writer.createStatement()) {
                st.executeUpdate(
                        "UPDATE "
                                + ORDERS
                                + " SET \"Amount\" = '77' WHERE \"Region\" = 'us' AND id = 1");
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    writerPid = rs.getLong(1);
                }
            }
            java.util.concurrent.CompletableFuture<Integer> batch =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return writeBatch(sc, read);
                                } catch (SQLException e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            // The batch's session is waiting for a lock that the writer holds (pg_blocking_pids),
            // and it is still waiting: not merely not started yet.
            TestingReorgs.await(
                    "the batch's session waits for a lock held by the writer",
                    java.time.Duration.ofSeconds(30),
                    () ->
                            count(
                                            "SELECT count(*) FROM pg_stat_activity"
                                                    + " WHERE wait_event_type = 'Lock'"
                                                    + " AND pg_blocking_pids(pid) @> ARRAY["
                                                    + writerPid
                                                    + "]")
                                    == 1);
            assertThat(batch).as("the batch waits for the row lock").isNotDone();
            writer.commit();
            // (us, 1) changed: skipped; (eu, 1), (us, 2), (ap, 1) written; (eu, 2) NULL.
            assertThat(batch.get()).isEqualTo(3);
        }
        assertThat(shadow("us", 1)).isEqualTo("77");
        assertThat(query(ColumnSql.shadowDifference(sc))).isEmpty();
    }

    @Test
    void batchFindsItsRowsThroughThePrimaryKey() throws SQLException {
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"Amount\") SELECT 'zz', n, n::text FROM generate_series(1, 50000) n",
                "ANALYZE " + ORDERS);
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        List<String> plan = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "EXPLAIN "
                                        + ColumnSql.modifyColumnBatch(
                                                sc,
                                                table.scanSource(table.physicalTables().get(0))))) {
            ps.setArray(1, c.createArrayOf("text", new String[] {"zz", "zz"}));
            ps.setArray(2, c.createArrayOf("text", new String[] {"7", "8"}));
            ps.setArray(3, c.createArrayOf("text", new String[] {"7", "8"}));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            }
        }
        assertThat(String.join("\n", plan)).contains("Index Scan").doesNotContain("Seq Scan");
    }

    // ---------------------------------------------------------------- verification

    @Test
    void shadowDifferenceCountsAndListsTheFirstFiveWrongRows() throws SQLException {
        exec(
                "INSERT INTO "
                        + ORDERS
                        + " (\"Region\", id, \"Amount\") SELECT 'zz', n, n::text FROM generate_series(1, 10) n");
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        // Nothing backfilled yet: every non-NULL source has a NULL shadow.
        assertThat(query(ColumnSql.shadowDifference(sc)))
                .containsExactly("(ap,1)|14", "(eu,1)|14", "(us,1)|14", "(us,2)|14", "(zz,1)|14");
        exec("UPDATE " + ORDERS + " SET " + SHADOW + " = CAST(\"Amount\" AS integer)");
        assertThat(query(ColumnSql.shadowDifference(sc))).isEmpty();
        // A wrong value, and a value where the source is NULL.
        exec(
                "UPDATE " + ORDERS + " SET " + SHADOW + " = 11 WHERE \"Region\" = 'zz' AND id = 10",
                "UPDATE " + ORDERS + " SET " + SHADOW + " = 1 WHERE \"Region\" = 'eu' AND id = 2");
        assertThat(query(ColumnSql.shadowDifference(sc))).containsExactly("(eu,2)|2", "(zz,10)|2");
        // Within a key range: (eu, 2) < key <= (zz, 10).
        assertThat(query(ColumnSql.shadowDifference(sc, 5, true, true), "eu", "2", "zz", "10"))
                .containsExactly("(zz,10)|1");
        assertThat(query(ColumnSql.shadowDifference(sc, 5, false, true), "zz", "9"))
                .containsExactly("(eu,2)|1");
    }

    // ---------------------------------------------------------------- abort

    @Test
    void dropShadowRestoresTheTableDefinitionAndIsIdempotent() throws SQLException {
        ShadowColumn sc = toInteger();
        List<String> columns = columns();
        List<String> triggers = triggers();
        List<String> constraints = constraints();
        String checksum = rowChecksum();

        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        exec(
                "ALTER TABLE "
                        + ORDERS
                        + " ADD CONSTRAINT "
                        + Identifiers.quote(sc.notNullConstraint())
                        + " CHECK ("
                        + SHADOW
                        + " IS NOT NULL) NOT VALID");
        writeBatch(sc, readAll());
        assertThat(triggers()).hasSize(1);
        assertThat(columns()).hasSize(6);

        exec(ColumnSql.dropShadow(sc));
        assertThat(columns()).isEqualTo(columns);
        assertThat(triggers()).isEqualTo(triggers);
        assertThat(constraints()).isEqualTo(constraints);
        assertThat(rowChecksum()).isEqualTo(checksum);
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_proc WHERE pronamespace = 'backfill'::regnamespace"))
                .isZero();
        // PostgreSQL only marks a dropped column dropped; nothing sees it.
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_attribute WHERE attrelid = '"
                                        + ORDERS
                                        + "'::regclass AND attisdropped"))
                .isEqualTo(1);
        assertThat(
                        strings(
                                "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM"
                                        + " information_schema.columns WHERE table_name = 'Order\"s'"))
                .containsExactly("Region,id,Amount,rate,note");

        exec(ColumnSql.dropShadow(sc));
        assertThat(columns()).isEqualTo(columns);
    }

    @Test
    void dropShadowAfterAPartialPrepare() throws SQLException {
        ShadowColumn sc = toInteger();
        List<String> columns = columns();
        exec(ColumnSql.dropShadow(sc));
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.dropShadow(sc));
        assertThat(columns()).isEqualTo(columns);
    }

    // ---------------------------------------------------------------- cut-over

    @Test
    void cutOverGivesWhatAnOfflineAlterTypeUsingGivesAndCarriesDefaultAndNotNull()
            throws SQLException {
        String copy = "\"Shop Data\".\"copy\"";
        exec(
                "ALTER TABLE " + ORDERS + " ALTER COLUMN rate SET NOT NULL",
                "CREATE TABLE " + copy + " (LIKE " + ORDERS + " INCLUDING ALL)");
        try (Connection c = ds.getConnection()) {
            table = TableInfo.load(c, "Shop Data", "Order\"s");
        }
        String using = "rate::bigint * 3000000000";
        ShadowColumn sc = ShadowColumn.resolve(table, "rate", "bigint", using, "modify-it");
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.checkUsing(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        exec(
                "INSERT INTO " + ORDERS + " (\"Region\", id) VALUES ('sa', 1)",
                "UPDATE " + ORDERS + " SET rate = 4 WHERE \"Region\" = 'us' AND id = 1");
        List<String[]> read = new ArrayList<>();
        for (String row : query("SELECT \"Region\", id, rate FROM " + ORDERS)) {
            read.add(row.split("\\|"));
        }
        writeBatch(sc, read);
        exec(ColumnSql.prepareNotNull(sc));
        assertThat(query(ColumnSql.shadowDifference(sc))).isEmpty();
        // The copy, taken at the end of the run, converted offline.
        exec(
                "INSERT INTO "
                        + copy
                        + " SELECT \"Region\", id, \"Amount\", rate, note FROM "
                        + ORDERS,
                "ALTER TABLE " + copy + " ALTER COLUMN rate TYPE bigint USING " + using);

        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '2s'");
                String dflt;
                try (PreparedStatement ps = c.prepareStatement(ColumnSql.columnDefault())) {
                    ps.setString(1, table.quotedName());
                    ps.setString(2, "rate");
                    try (ResultSet rs = ps.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        dflt = rs.getString(1);
                    }
                }
                assertThat(dflt).isEqualTo("1");
                for (String sql : ColumnSql.cutOver(sc, dflt)) {
                    st.execute(sql);
                }
            }
            c.commit();
        }

        // Same values, same definition of the column (\d, apart from the column order).
        String cols = "\"Region\", id, \"Amount\", rate, note";
        assertThat(
                        query(
                                "SELECT count(*) FROM (SELECT "
                                        + cols
                                        + " FROM "
                                        + ORDERS
                                        + " EXCEPT SELECT "
                                        + cols
                                        + " FROM "
                                        + copy
                                        + ") d"))
                .containsExactly("0");
        assertThat(query("SELECT count(*) FROM " + ORDERS)).containsExactly("6");
        assertThat(query("SELECT rate FROM " + ORDERS + " WHERE \"Region\" = 'us' AND id = 1"))
                .containsExactly("12000000000");
        assertThat(columnDefinition(ORDERS, "rate"))
                .isEqualTo(columnDefinition(copy, "rate"))
                .isEqualTo("bigint true 1");
        assertThat(columnDefinition(ORDERS, "_backfill_old_rate")).isEqualTo("integer false ");
        assertThat(triggers()).isEmpty();
        assertThat(constraints())
                .isEqualTo(
                        constraintsOf(copy).stream()
                                .map(x -> x.replace("copy_pkey", "Order\"s_pkey"))
                                .toList());
        assertThat(
                        count(
                                "SELECT count(*) FROM pg_proc WHERE pronamespace = 'backfill'::regnamespace"))
                .isZero();

        // The default and NOT NULL apply to new writes; the old column is no longer written.
        exec("INSERT INTO " + ORDERS + " (\"Region\", id) VALUES ('sa', 2)");
        assertThat(
                        query(
                                "SELECT rate, _backfill_old_rate FROM "
                                        + ORDERS
                                        + " WHERE id = 2 AND \"Region\" = 'sa'"))
                .containsExactly("1|null");
        assertThatThrownBy(
                        () ->
                                exec(
                                        "INSERT INTO "
                                                + ORDERS
                                                + " (\"Region\", id, rate) VALUES ('sa', 3, NULL)"))
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23502"));

        // Cleanup.
        exec(ColumnSql.dropOldColumn(sc));
        exec(ColumnSql.dropOldColumn(sc));
        assertThat(
                        query(
                                "SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute"
                                        + " WHERE attrelid = '"
                                        + ORDERS
                                        + "'::regclass AND attnum > 0 AND NOT attisdropped"))
                .containsExactly("Amount,Region,id,note,rate");
    }

    @Test
    void cutOverWaitsNoLongerThanLockTimeoutBehindALongTransaction() throws SQLException {
        ShadowColumn sc = toInteger();
        exec(ColumnSql.addShadowColumn(sc));
        exec(ColumnSql.createShadowTrigger(sc));
        try (Connection holder = ds.getConnection();
                Connection cut = ds.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.executeQuery("SELECT count(*) FROM " + ORDERS).close();
            }
            cut.setAutoCommit(false);
            long start = System.nanoTime();
            try (Statement st = cut.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '200ms'");
                assertThatThrownBy(
                                () -> {
                                    for (String sql : ColumnSql.cutOver(sc, null)) {
                                        st.execute(sql);
                                    }
                                })
                        .satisfies(
                                e ->
                                        assertThat(((SQLException) e).getSQLState())
                                                .isEqualTo("55P03"));
            }
            cut.rollback();
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
            holder.commit();
        }
        // Nothing changed: the trigger still works, the column is still text.
        assertThat(triggers()).containsExactly(sc.trigger());
        assertThat(columnDefinition(ORDERS, "Amount")).isEqualTo("text false ");
    }

    private String columnDefinition(String quotedTable, String column) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull"
                                        + " || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')"
                                        + " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid"
                                        + " = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid ="
                                        + " ?::regclass AND a.attname = ? AND NOT a.attisdropped")) {
            ps.setString(1, quotedTable);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("column %s", column).isTrue();
                return rs.getString(1);
            }
        }
    }

    private List<String> constraintsOf(String quotedTable) throws SQLException {
        return strings(
                "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE"
                        + " conrelid = '"
                        + quotedTable.replace("'", "''")
                        + "'::regclass ORDER BY conname");
    }

    // ---------------------------------------------------------------- helpers

    /** All rows as a reader reads them: Region, id, Amount (text form). */
    private List<String[]> readAll() throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT \"Region\", id, \"Amount\" FROM "
                                        + ORDERS
                                        + " ORDER BY \"Region\", id")) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            }
        }
        return out;
    }

    /** The modify-column batch for rows (Region, id, Amount) as read, as the sink binds it. */
    private int writeBatch(ShadowColumn sc, List<String[]> read) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                ColumnSql.modifyColumnBatch(
                                        sc, table.scanSource(table.physicalTables().get(0))))) {
            for (int col = 0; col < 3; col++) {
                String[] values = new String[read.size()];
                for (int r = 0; r < read.size(); r++) {
                    values[r] = read.get(r)[col];
                }
                ps.setArray(col + 1, c.createArrayOf("text", values));
            }
            return ps.executeUpdate();
        }
    }

    /** The shadow of one row as text, null for NULL. */
    private String shadow(String region, long id) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "SELECT "
                                        + SHADOW
                                        + "::text FROM "
                                        + ORDERS
                                        + " WHERE \"Region\" = ? AND id = ?")) {
            ps.setString(1, region);
            ps.setLong(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("row (%s, %s)", region, id).isTrue();
                String v = rs.getString(1);
                assertThat(rs.next()).isFalse();
                return v;
            }
        }
    }

    private List<String> columns() throws SQLException {
        return strings(
                "SELECT attnum || ' ' || attname || ' ' || format_type(atttypid, atttypmod) || ' '"
                        + " || attnotnull || ' ' || atthasdef || ' ' || coalesce(pg_get_expr(d.adbin,"
                        + " d.adrelid), '') FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid ="
                        + " a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = '"
                        + ORDERS
                        + "'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY attnum");
    }

    private List<String> triggers() throws SQLException {
        return strings(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = '"
                        + ORDERS
                        + "'::regclass ORDER BY tgname");
    }

    private List<String> constraints() throws SQLException {
        return strings(
                "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE"
                        + " conrelid = '"
                        + ORDERS
                        + "'::regclass ORDER BY conname");
    }

    private String rowChecksum() throws SQLException {
        return strings(
                        "SELECT md5(string_agg(ROW(\"Region\", id, \"Amount\", rate, note)::text,"
                                + " ';' ORDER BY \"Region\", id)) FROM "
                                + ORDERS)
                .get(0);
    }

    private void exec(List<String> sqls) throws SQLException {
        exec(sqls.toArray(new String[0]));
    }

    private void exec(String... sqls) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            for (String sql : sqls) {
                s.execute(sql);
            }
        }
    }

    /** The first column of the single row {@code sql} returns, as a number. */
    private long count(String sql) throws SQLException {
        List<String> rows = strings(sql);
        assertThat(rows).hasSize(1);
        return Long.parseLong(rows.get(0));
    }

    private List<String> strings(String sql) throws SQLException {
        return query(sql);
    }

    /** Runs {@code sql} with Strings bound as text; rows as {@code a|b|c}. */
    private List<String> query(String sql, String... params) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
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
}
