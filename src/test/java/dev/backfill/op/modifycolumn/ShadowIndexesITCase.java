package dev.backfill.op.modifycolumn;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.op.modifycolumn.ShadowIndexes.Planned;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ShadowIndexes} against a real PostgreSQL: {@code shop.orders} whose integer column {@code
 * "Amount"} becomes a bigint (issue #4), with the indexes that cover it rebuilt on {@code
 * "_backfill_new_Amount"}.
 */
class ShadowIndexesITCase {
    private static final String DB = "shadow_indexes_it";
    private static final String REORG = "shadow-indexes-it";

    private DataSource ds;

    @BeforeEach
    void createTable() throws SQLException {
        ds = TestingPostgres.get().createDatabase(DB);
        exec(
                "CREATE SCHEMA shop",
                "CREATE TABLE shop.orders (id bigint PRIMARY KEY, \"Amount\" integer, note text,"
                        + " qty integer)",
                "INSERT INTO shop.orders VALUES (1, 10, 'a', 1), (2, 20, 'b', 2), (3, NULL, 'c', 3)");
    }

    private ShadowColumn toBigint(String table, String column) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return ShadowColumn.resolve(
                    TableInfo.load(c, "shop", table), column, "bigint", null, REORG);
        }
    }

    private ShadowColumn amount() throws SQLException {
        return toBigint("orders", "Amount");
    }

    @Test
    void tempNamesAreShortAndPerReorg() throws SQLException {
        ShadowColumn sc = amount();
        assertThat(ShadowIndexes.tempName(sc, 1)).matches("_backfill_[0-9a-f]{12}_1");
        assertThat(ShadowIndexes.tempName(sc, 1)).startsWith(ShadowIndexes.tempPrefix(sc));
        assertThat(ShadowIndexes.tempName(sc, 1))
                .isNotEqualTo(
                        ShadowIndexes.tempName(
                                new ShadowColumn(sc.table(), sc.column(), "bigint", null, "other"),
                                1));
    }

    @Test
    void aUniqueIndex() throws SQLException {
        exec("CREATE UNIQUE INDEX orders_amount_uq ON shop.orders (\"Amount\")");
        ShadowColumn sc = amount();
        String temp = ShadowIndexes.tempName(sc, 1);
        assertThat(plan(sc))
                .containsExactly(
                        new Planned(
                                "orders_amount_uq",
                                temp,
                                null,
                                "CREATE UNIQUE INDEX CONCURRENTLY \""
                                        + temp
                                        + "\" ON \"shop\".\"orders\" USING \"btree\""
                                        + " (\"_backfill_new_Amount\")",
                                List.of("DROP INDEX \"shop\".\"orders_amount_uq\""),
                                List.of(
                                        "ALTER INDEX \"shop\".\""
                                                + temp
                                                + "\" RENAME TO \"orders_amount_uq\"")));
    }

    @Test
    void aMultiColumnIndexWithTheColumnSecondDescNullsFirst() throws SQLException {
        exec(
                "CREATE INDEX multi ON shop.orders (note, \"Amount\" DESC NULLS FIRST)",
                "CREATE INDEX multi_last ON shop.orders (\"Amount\" DESC NULLS LAST, qty NULLS"
                        + " FIRST) INCLUDE (note)",
                "CREATE INDEX pattern ON shop.orders"
                        + " (note COLLATE \"C\" text_pattern_ops, \"Amount\") WITH (fillfactor = 70)",
                "CREATE INDEX \"incl\" ON shop.orders (qty) INCLUDE (\"Amount\")");
        ShadowColumn sc = amount();
        List<Planned> plan = plan(sc);
        assertThat(plan)
                .extracting(Planned::indexName)
                .containsExactly("incl", "multi", "multi_last", "pattern");
        assertThat(plan)
                .extracting(Planned::tempName)
                .containsExactly(
                        ShadowIndexes.tempName(sc, 1),
                        ShadowIndexes.tempName(sc, 2),
                        ShadowIndexes.tempName(sc, 3),
                        ShadowIndexes.tempName(sc, 4));
        String on = " ON \"shop\".\"orders\" USING \"btree\" ";
        assertThat(plan)
                .extracting(Planned::create)
                .containsExactly(
                        "CREATE INDEX CONCURRENTLY \""
                                + ShadowIndexes.tempName(sc, 1)
                                + "\""
                                + on
                                + "(\"qty\") INCLUDE (\"_backfill_new_Amount\")",
                        "CREATE INDEX CONCURRENTLY \""
                                + ShadowIndexes.tempName(sc, 2)
                                + "\""
                                + on
                                + "(\"note\", \"_backfill_new_Amount\" DESC)",
                        "CREATE INDEX CONCURRENTLY \""
                                + ShadowIndexes.tempName(sc, 3)
                                + "\""
                                + on
                                + "(\"_backfill_new_Amount\" DESC NULLS LAST, \"qty\" NULLS FIRST)"
                                + " INCLUDE (\"note\")",
                        "CREATE INDEX CONCURRENTLY \""
                                + ShadowIndexes.tempName(sc, 4)
                                + "\""
                                + on
                                + "(\"note\" COLLATE \"pg_catalog\".\"C\""
                                + " \"pg_catalog\".\"text_pattern_ops\", \"_backfill_new_Amount\")"
                                + " WITH (\"fillfactor\" = '70')");
    }

    @Test
    void aPrimaryKeyOnTheColumnIsRebuiltAndSwappedAsAConstraint() throws SQLException {
        exec(
                "CREATE TABLE shop.codes (\"Code\" integer PRIMARY KEY, v text)",
                "INSERT INTO shop.codes VALUES (1, 'a'), (2, 'b')",
                "COMMENT ON INDEX shop.codes_pkey IS 'the key'");
        ShadowColumn sc = toBigint("codes", "Code");
        String temp = ShadowIndexes.tempName(sc, 1);
        List<Planned> plan = plan(sc);
        assertThat(plan)
                .containsExactly(
                        new Planned(
                                "codes_pkey",
                                temp,
                                "codes_pkey",
                                "CREATE UNIQUE INDEX CONCURRENTLY \""
                                        + temp
                                        + "\" ON \"shop\".\"codes\" USING \"btree\""
                                        + " (\"_backfill_new_Code\")",
                                List.of(
                                        "ALTER TABLE \"shop\".\"codes\" DROP CONSTRAINT"
                                                + " \"codes_pkey\""),
                                List.of(
                                        "ALTER TABLE \"shop\".\"codes\" ADD CONSTRAINT"
                                                + " \"codes_pkey\" PRIMARY KEY USING INDEX \""
                                                + temp
                                                + "\"",
                                        "COMMENT ON INDEX \"shop\".\"codes_pkey\" IS 'the key'")));

        // Build it, then swap it in as the cut-over would (columns not renamed here).
        exec(
                ColumnSql.addShadowColumn(sc),
                "UPDATE shop.codes SET \"_backfill_new_Code\" = \"Code\"");
        exec(plan.get(0).create());
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String sql : plan.get(0).dropOld()) {
                s.execute(sql);
            }
            s.execute("ALTER TABLE shop.codes ALTER COLUMN \"_backfill_new_Code\" SET NOT NULL");
            for (String sql : plan.get(0).promote()) {
                s.execute(sql);
            }
            c.commit();
        }
        assertThat(
                        strings(
                                "SELECT pg_get_constraintdef(oid) || ' ' ||"
                                        + " obj_description(conindid, 'pg_class') FROM pg_constraint"
                                        + " WHERE conrelid = 'shop.codes'::regclass AND contype = 'p'"
                                        + " AND conname = 'codes_pkey'"))
                .containsExactly("PRIMARY KEY (\"_backfill_new_Code\") the key");
        assertThat(strings("SELECT indexname FROM pg_indexes WHERE tablename = 'codes'"))
                .containsExactly("codes_pkey");
    }

    @Test
    void aUniqueConstraintIsSwappedAsAConstraint() throws SQLException {
        exec(
                "ALTER TABLE shop.orders ADD CONSTRAINT amount_key UNIQUE NULLS NOT DISTINCT (\"Amount\")");
        ShadowColumn sc = amount();
        Planned p = plan(sc).get(0);
        assertThat(p.constraintName()).isEqualTo("amount_key");
        assertThat(p.create()).endsWith("(\"_backfill_new_Amount\") NULLS NOT DISTINCT");
        assertThat(p.promote())
                .containsExactly(
                        "ALTER TABLE \"shop\".\"orders\" ADD CONSTRAINT \"amount_key\" UNIQUE"
                                + " USING INDEX \""
                                + p.tempName()
                                + "\"");
    }

    @Test
    void indexesThatDoNotCoverTheColumnAreIgnored() throws SQLException {
        exec(
                "CREATE INDEX on_note ON shop.orders (note)",
                "CREATE INDEX on_qty_expr ON shop.orders ((qty + 1)) WHERE note <> ''");
        assertThat(plan(amount())).isEmpty();
    }

    @Test
    void expressionAndPartialIndexesAreRefused() throws SQLException {
        exec("CREATE INDEX amount_expr ON shop.orders ((\"Amount\" * 2))");
        assertThatThrownBy(() -> plan(amount()))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessage(
                        "index amount_expr on shop.orders is an expression or partial index and"
                                + " covers column Amount and cannot be rebuilt on the new column"
                                + " yet (future work)");
        exec(
                "DROP INDEX shop.amount_expr",
                "CREATE INDEX partial ON shop.orders (note) WHERE \"Amount\" > 0");
        assertThatThrownBy(() -> plan(amount()))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessageStartingWith("index partial on shop.orders is an expression or partial");
    }

    @Test
    void thePlannedIndexesBuildConcurrentlyAsTheOldOnesOnTheShadowColumn() throws SQLException {
        exec(
                "CREATE UNIQUE INDEX orders_amount_uq ON shop.orders (\"Amount\")",
                "CREATE INDEX multi ON shop.orders (note, \"Amount\" DESC NULLS FIRST)"
                        + " INCLUDE (qty) WITH (fillfactor = 70)",
                "CREATE INDEX pattern ON shop.orders (note COLLATE \"C\" text_pattern_ops,"
                        + " \"Amount\" NULLS FIRST)",
                "CREATE INDEX hashed ON shop.orders USING hash (\"Amount\")");
        ShadowColumn sc = amount();
        exec(ColumnSql.addShadowColumn(sc));
        List<Planned> plan = plan(sc);
        assertThat(plan).hasSize(4);
        for (Planned p : plan) {
            exec(p.create());
            String old = indexDef(p.indexName());
            String expected =
                    old.replace("INDEX " + p.indexName() + " ON", "INDEX " + p.tempName() + " ON")
                            .replace("\"Amount\"", "\"_backfill_new_Amount\"");
            assertThat(old).contains("\"Amount\"");
            assertThat(indexDef(p.tempName())).isEqualTo(expected);
            assertThat(
                            strings(
                                    "SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop.\""
                                            + p.tempName()
                                            + "\"'::regclass"))
                    .containsExactly("t");
        }
        // The integer index used int4_ops; the bigint one uses the default for bigint.
        assertThat(
                        strings(
                                "SELECT opcname FROM pg_index i JOIN pg_opclass o"
                                        + " ON o.oid = i.indclass[0] WHERE i.indexrelid = 'shop.\""
                                        + plan.stream()
                                                .filter(
                                                        p ->
                                                                p.indexName()
                                                                        .equals("orders_amount_uq"))
                                                .findFirst()
                                                .orElseThrow()
                                                .tempName()
                                        + "\"'::regclass"))
                .containsExactly("int8_ops");
        try (Connection c = ds.getConnection()) {
            assertThat(ShadowIndexes.dropInvalid(c, sc)).as("valid indexes are kept").isEmpty();
        }
    }

    @Test
    void dropInvalidDropsAFailedConcurrentBuild() throws SQLException {
        exec(
                "CREATE UNIQUE INDEX orders_amount_uq ON shop.orders (\"Amount\")",
                "CREATE INDEX other_invalid ON shop.orders (note)",
                "UPDATE pg_index SET indisvalid = false"
                        + " WHERE indexrelid = 'shop.other_invalid'::regclass");
        ShadowColumn sc = amount();
        exec(ColumnSql.addShadowColumn(sc));
        // Two rows with the same shadow value: the unique build fails and leaves its index.
        exec("UPDATE shop.orders SET \"_backfill_new_Amount\" = 7 WHERE id IN (1, 2)");
        Planned p = plan(sc).get(0);
        assertThatThrownBy(() -> exec(p.create()))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23505"));
        assertThat(
                        strings(
                                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop.\""
                                        + p.tempName()
                                        + "\"'::regclass"))
                .containsExactly("f");
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> ShadowIndexes.dropInvalid(c, sc))
                    .isInstanceOf(IllegalArgumentException.class);
            c.rollback();
            c.setAutoCommit(true);
            assertThat(ShadowIndexes.dropInvalid(c, sc)).containsExactly(p.tempName());
            assertThat(ShadowIndexes.dropInvalid(c, sc)).isEmpty();
        }
        assertThat(strings("SELECT relname FROM pg_class WHERE relname = '" + p.tempName() + "'"))
                .isEmpty();
        // Only Backfill's own leftovers are dropped.
        assertThat(
                        strings(
                                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop.other_invalid'::regclass"))
                .containsExactly("f");
        // A second build, after the duplicate is fixed, succeeds under the same name.
        exec("UPDATE shop.orders SET \"_backfill_new_Amount\" = 8 WHERE id = 2", p.create());
        assertThat(
                        strings(
                                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop.\""
                                        + p.tempName()
                                        + "\"'::regclass"))
                .containsExactly("t");
    }

    private List<Planned> plan(ShadowColumn sc) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return ShadowIndexes.plan(c, sc);
        }
    }

    private String indexDef(String name) throws SQLException {
        return strings("SELECT pg_get_indexdef('shop.\"" + name + "\"'::regclass)").get(0);
    }

    private void exec(String... sqls) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            for (String sql : sqls) {
                s.execute(sql);
            }
        }
    }

    private List<String> strings(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
