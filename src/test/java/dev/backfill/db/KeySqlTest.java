package dev.backfill.db;

import dev.backfill.db.TableInfo.Column;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Pure string tests for {@link KeySql}: no database. See {@code IndexSqlITCase} for execution. */
class KeySqlTest {
    private static final Column ID = new Column("id", "bigint", true, true);
    private static final Column REGION = new Column("region", "text", true, false);
    private static final Column NAME = new Column("name", "text", true, false);
    private static final Column EMAIL = new Column("email", "text", false, false);
    private static final Column EMAIL_VARCHAR =
            new Column("email", "character varying(100)", false, false);
    private static final Column AMOUNT = new Column("amount", "numeric(12,2)", false, false);

    private static final String ORDERS = "\"shop\".\"orders\"";

    private static TableInfo table(boolean partitioned, List<Column> columns, List<Column> key) {
        return partitioned
                ? new TableInfo(
                        "shop",
                        "orders",
                        true,
                        columns,
                        key,
                        List.of("shop.orders_2024", "shop.orders_2025"),
                        List.of("\"shop\".\"orders_2024\"", "\"shop\".\"orders_2025\""))
                : new TableInfo(
                        "shop",
                        "orders",
                        false,
                        columns,
                        key,
                        List.of("shop.orders"),
                        List.of(ORDERS));
    }

    /** shop.orders (id bigint PRIMARY KEY, email text, amount numeric(12,2)). */
    private static TableInfo simple() {
        return table(false, List.of(ID, EMAIL, AMOUNT), List.of(ID));
    }

    /** shop.orders (region text, id bigint, email varchar(100), PRIMARY KEY (region, id)). */
    private static TableInfo composite(boolean partitioned) {
        return table(partitioned, List.of(REGION, ID, EMAIL_VARCHAR), List.of(REGION, ID));
    }

    @Test
    void readPageForOneBigintKeyWithLowerBound() {
        assertThat(KeySql.readPage(ORDERS, List.of(ID), List.of(EMAIL), true))
                .isEqualTo(
                        "SELECT t.\"id\"::text, t.\"email\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE t.\"id\" > ?::bigint AND t.\"id\" <= ?::bigint"
                                + " ORDER BY t.\"id\" LIMIT ?");
    }

    @Test
    void readPageForOneBigintKeyWithoutLowerBound() {
        assertThat(KeySql.readPage(ORDERS, List.of(ID), List.of(EMAIL, AMOUNT), false))
                .isEqualTo(
                        "SELECT t.\"id\"::text, t.\"email\"::text, t.\"amount\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE t.\"id\" <= ?::bigint ORDER BY t.\"id\" LIMIT ?");
    }

    @Test
    void readPageForACompositeKeyUsesRowComparisons() {
        assertThat(KeySql.readPage(ORDERS, List.of(ID, NAME), List.of(EMAIL), true))
                .isEqualTo(
                        "SELECT t.\"id\"::text, t.\"name\"::text, t.\"email\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE (t.\"id\", t.\"name\") > (?::bigint, ?::text)"
                                + " AND (t.\"id\", t.\"name\") <= (?::bigint, ?::text)"
                                + " ORDER BY t.\"id\", t.\"name\" LIMIT ?");
        assertThat(KeySql.readPage(ORDERS, List.of(ID, NAME), List.of(EMAIL), false))
                .isEqualTo(
                        "SELECT t.\"id\"::text, t.\"name\"::text, t.\"email\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE (t.\"id\", t.\"name\") <= (?::bigint, ?::text)"
                                + " ORDER BY t.\"id\", t.\"name\" LIMIT ?");
    }

    @Test
    void splitBoundaryOffsetsAfterTheLowerBound() {
        assertThat(KeySql.splitBoundary(ORDERS, List.of(ID), false))
                .isEqualTo(
                        "SELECT t.\"id\"::text FROM \"shop\".\"orders\" t ORDER BY t.\"id\" OFFSET ? LIMIT 1");
        assertThat(KeySql.splitBoundary(ORDERS, List.of(ID), true))
                .isEqualTo(
                        "SELECT t.\"id\"::text FROM \"shop\".\"orders\" t WHERE t.\"id\" > ?::bigint"
                                + " ORDER BY t.\"id\" OFFSET ? LIMIT 1");
        assertThat(KeySql.splitBoundary(ORDERS, List.of(ID, NAME), true))
                .isEqualTo(
                        "SELECT t.\"id\"::text, t.\"name\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE (t.\"id\", t.\"name\") > (?::bigint, ?::text)"
                                + " ORDER BY t.\"id\", t.\"name\" OFFSET ? LIMIT 1");
    }

    @Test
    void lastKeyOrdersEveryKeyColumnDescending() {
        assertThat(KeySql.lastKey(ORDERS, List.of(ID), false))
                .isEqualTo(
                        "SELECT t.\"id\"::text FROM \"shop\".\"orders\" t ORDER BY t.\"id\" DESC LIMIT 1");
        assertThat(KeySql.lastKey(ORDERS, List.of(ID, NAME), true))
                .isEqualTo(
                        "SELECT t.\"id\"::text, t.\"name\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE (t.\"id\", t.\"name\") > (?::bigint, ?::text)"
                                + " ORDER BY t.\"id\" DESC, t.\"name\" DESC LIMIT 1");
    }

    @Test
    void verificationSourceIsOnlyTheTableUnlessPartitioned() {
        assertThat(KeySql.verificationSource(simple())).isEqualTo("ONLY \"shop\".\"orders\"");
        assertThat(KeySql.verificationSource(composite(true))).isEqualTo("\"shop\".\"orders\"");
    }
}
