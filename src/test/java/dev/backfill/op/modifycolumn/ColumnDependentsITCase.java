package dev.backfill.op.modifycolumn;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ColumnDependents} against a real PostgreSQL: one test per kind of dependent that blocks an
 * online type change (issue #4), on {@code shop.orders} and a second table whose names need
 * quoting.
 */
class ColumnDependentsITCase {
    private static final String DB = "column_dependents_it";

    private DataSource ds;
    private TableInfo orders;

    @BeforeEach
    void createTables() throws SQLException {
        ds = TestingPostgres.get().createDatabase(DB);
        exec(
                "CREATE SCHEMA shop",
                "CREATE TABLE shop.orders (id bigint PRIMARY KEY, amount integer,"
                        + " \"Total Due\" integer, note text)",
                "INSERT INTO shop.orders VALUES (1, 10, 11, 'a'), (2, 20, 21, 'b')");
        orders = load("shop", "orders");
    }

    @Test
    void aColumnWithoutDependentsHasNone() throws SQLException {
        assertThat(find(orders, "amount")).isEmpty();
        try (Connection c = ds.getConnection()) {
            ColumnDependents.check(c, orders, "amount");
        }
    }

    @Test
    void anIndexIsNotABlocker() throws SQLException {
        exec(
                "CREATE INDEX orders_amount ON shop.orders (amount)",
                "CREATE UNIQUE INDEX orders_amount_note ON shop.orders (note, amount DESC)"
                        + " INCLUDE (\"Total Due\")",
                "CREATE INDEX orders_amount_expr ON shop.orders ((amount + 1)) WHERE amount > 0",
                "ALTER TABLE shop.orders ADD CONSTRAINT orders_amount_key UNIQUE (amount)");
        assertThat(find(orders, "amount")).isEmpty();
        assertThat(find(orders, "Total Due")).isEmpty();
    }

    @Test
    void viewsAndMaterializedViews() throws SQLException {
        exec(
                "CREATE VIEW shop.v_totals AS SELECT sum(amount) FROM shop.orders",
                "CREATE MATERIALIZED VIEW shop.\"M V\" AS SELECT id, amount FROM shop.orders",
                "CREATE VIEW shop.v_notes AS SELECT note FROM shop.orders");
        assertThat(find(orders, "amount"))
                .containsExactly("materialized view shop.M V", "view shop.v_totals");
        assertThat(find(orders, "Total Due")).isEmpty();
    }

    @Test
    void aRuleOnTheTable() throws SQLException {
        exec(
                "CREATE TABLE shop.log (amount integer)",
                "CREATE RULE log_it AS ON UPDATE TO shop.orders DO ALSO"
                        + " INSERT INTO shop.log VALUES (NEW.amount)");
        assertThat(find(orders, "amount")).containsExactly("rule log_it on shop.orders");
    }

    @Test
    void foreignKeysOnEitherSide() throws SQLException {
        exec(
                "ALTER TABLE shop.orders ADD CONSTRAINT orders_amount_key UNIQUE (amount)",
                "CREATE TABLE shop.lines (id bigint PRIMARY KEY, order_amount integer,"
                        + " CONSTRAINT orders_fk FOREIGN KEY (order_amount)"
                        + " REFERENCES shop.orders (amount))",
                "CREATE TABLE shop.refs (n integer PRIMARY KEY)",
                "INSERT INTO shop.refs VALUES (11), (21)",
                "ALTER TABLE shop.orders ADD CONSTRAINT \"Due FK\" FOREIGN KEY (\"Total Due\")"
                        + " REFERENCES shop.refs (n)");
        assertThat(find(orders, "amount")).containsExactly("foreign key orders_fk on shop.lines");
        assertThat(find(orders, "Total Due")).containsExactly("foreign key Due FK on shop.orders");
        assertThat(find(load("shop", "lines"), "order_amount"))
                .containsExactly("foreign key orders_fk on shop.lines");
        assertThat(find(orders, "note")).isEmpty();
    }

    @Test
    void generatedColumns() throws SQLException {
        exec(
                "ALTER TABLE shop.orders ADD COLUMN doubled integer"
                        + " GENERATED ALWAYS AS (amount * 2) STORED");
        orders = load("shop", "orders");
        assertThat(find(orders, "amount"))
                .containsExactly("generated column doubled of shop.orders");
        assertThat(find(orders, "doubled")).isEmpty();
        assertThat(find(orders, "note")).isEmpty();
    }

    @Test
    void publicationsWithAColumnListOrARowFilter() throws SQLException {
        exec(
                "CREATE PUBLICATION pub_cols FOR TABLE shop.orders (id, amount)",
                "CREATE PUBLICATION pub_filter FOR TABLE shop.orders WHERE (\"Total Due\" > 0)",
                "CREATE PUBLICATION pub_all FOR TABLE shop.orders");
        assertThat(find(orders, "amount")).containsExactly("publication pub_cols");
        assertThat(find(orders, "Total Due")).containsExactly("publication pub_filter");
        // A publication of the whole table copies whatever the column is.
        assertThat(find(orders, "note")).isEmpty();
    }

    @Test
    void statisticsObjects() throws SQLException {
        exec(
                "CREATE STATISTICS shop.st1 ON amount, note FROM shop.orders",
                "CREATE STATISTICS shop.st_expr ON (\"Total Due\" + 1), id FROM shop.orders");
        assertThat(find(orders, "amount")).containsExactly("statistics object shop.st1");
        assertThat(find(orders, "Total Due")).containsExactly("statistics object shop.st_expr");
    }

    @Test
    void policies() throws SQLException {
        exec(
                "CREATE POLICY own ON shop.orders USING (amount > 0)",
                "CREATE POLICY chk ON shop.orders FOR INSERT WITH CHECK (\"Total Due\" < 100)");
        assertThat(find(orders, "amount")).containsExactly("policy own on shop.orders");
        assertThat(find(orders, "Total Due")).containsExactly("policy chk on shop.orders");
        assertThat(find(orders, "note")).isEmpty();
    }

    @Test
    void checkConstraintsAndTriggers() throws SQLException {
        exec(
                "ALTER TABLE shop.orders ADD CONSTRAINT positive CHECK (amount > 0)",
                "CREATE FUNCTION shop.noop() RETURNS trigger LANGUAGE plpgsql"
                        + " AS 'BEGIN RETURN NEW; END'",
                "CREATE TRIGGER on_due BEFORE UPDATE OF \"Total Due\" ON shop.orders"
                        + " FOR EACH ROW EXECUTE FUNCTION shop.noop()",
                "CREATE TRIGGER when_note BEFORE UPDATE ON shop.orders FOR EACH ROW"
                        + " WHEN (OLD.note IS DISTINCT FROM NEW.note) EXECUTE FUNCTION shop.noop()");
        assertThat(find(orders, "amount"))
                .containsExactly("check constraint positive on shop.orders");
        assertThat(find(orders, "Total Due")).containsExactly("trigger on_due on shop.orders");
        assertThat(find(orders, "note")).containsExactly("trigger when_note on shop.orders");
    }

    @Test
    void checkListsEveryDependentInOneMessage() throws SQLException {
        exec(
                "CREATE VIEW shop.v_totals AS SELECT sum(amount) FROM shop.orders",
                "ALTER TABLE shop.orders ADD CONSTRAINT orders_amount_key UNIQUE (amount)",
                "CREATE TABLE shop.lines (id bigint PRIMARY KEY, order_amount integer,"
                        + " CONSTRAINT orders_fk FOREIGN KEY (order_amount)"
                        + " REFERENCES shop.orders (amount))",
                "CREATE STATISTICS shop.st1 ON amount, note FROM shop.orders");
        try (Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> ColumnDependents.check(c, orders, "amount"))
                    .isInstanceOf(TableInfo.TableException.class)
                    .hasMessage(
                            "column amount of shop.orders cannot be changed online: it is used by"
                                    + " view shop.v_totals, foreign key orders_fk on shop.lines,"
                                    + " statistics object shop.st1; handling these is future work");
            assertThatThrownBy(() -> ColumnDependents.find(c, orders, "nope"))
                    .isInstanceOf(TableInfo.TableException.class)
                    .hasMessage("column nope does not exist in table shop.orders");
        }
    }

    private TableInfo load(String schema, String table) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return TableInfo.load(c, schema, table);
        }
    }

    private List<String> find(TableInfo table, String column) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return ColumnDependents.find(c, table, column);
        }
    }

    private void exec(String... sqls) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            for (String sql : sqls) {
                s.execute(sql);
            }
        }
    }
}
