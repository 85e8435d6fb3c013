package dev.backfill.db;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.backfill.db.TestingTables.AMOUNT;
import static dev.backfill.db.TestingTables.EMAIL;
import static dev.backfill.db.TestingTables.ID;
import static dev.backfill.db.TestingTables.NAME;
import static dev.backfill.db.TestingTables.ORDERS;
import static dev.backfill.db.TestingTables.composite;
import static dev.backfill.db.TestingTables.simple;
import static org.assertj.core.api.Assertions.assertThat;

/** Pure string tests for {@link KeySql}: no database. See {@code IndexSqlITCase} for execution. */
class KeySqlTest {
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
