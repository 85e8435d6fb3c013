package dev.backfill.db;

import dev.backfill.db.TableInfo.Column;

import java.util.List;

/**
 * The tables of the SQL builders' string tests, described without a database: {@code shop.orders}
 * in its shapes (one bigint key, a composite key, partitioned or not, a column needing quotes).
 */
public final class TestingTables {
    public static final Column ID = new Column("id", "bigint", true, true);
    public static final Column REGION = new Column("region", "text", true, false);
    public static final Column NAME = new Column("name", "text", true, false);
    public static final Column EMAIL = new Column("email", "text", false, false);
    public static final Column EMAIL_VARCHAR =
            new Column("email", "character varying(100)", false, false);
    public static final Column AMOUNT = new Column("amount", "numeric(12,2)", false, false);

    /** A column whose name needs its quote doubled: {@code co"de}. */
    public static final Column CODE = new Column("co\"de", "text", false, false);

    public static final String ORDERS = "\"shop\".\"orders\"";

    private TestingTables() {}

    /** shop.orders with these columns and key; partitioned into orders_2024 and orders_2025. */
    public static TableInfo table(boolean partitioned, List<Column> columns, List<Column> key) {
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
    public static TableInfo simple() {
        return table(false, List.of(ID, EMAIL, AMOUNT), List.of(ID));
    }

    /** shop.orders (region text, id bigint, email varchar(100), PRIMARY KEY (region, id)). */
    public static TableInfo composite(boolean partitioned) {
        return table(partitioned, List.of(REGION, ID, EMAIL_VARCHAR), List.of(REGION, ID));
    }

    /** shop.orders (id bigint PRIMARY KEY, "co""de" text). */
    public static TableInfo withCode() {
        return table(false, List.of(ID, CODE), List.of(ID));
    }
}
