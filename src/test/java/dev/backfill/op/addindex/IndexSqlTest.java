package dev.backfill.op.addindex;

import dev.backfill.db.KeySql;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.backfill.db.TestingTables.EMAIL;
import static dev.backfill.db.TestingTables.EMAIL_VARCHAR;
import static dev.backfill.db.TestingTables.ID;
import static dev.backfill.db.TestingTables.ORDERS;
import static dev.backfill.db.TestingTables.composite;
import static dev.backfill.db.TestingTables.simple;
import static dev.backfill.db.TestingTables.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pure string tests for {@link IndexSql}: no database. See {@code IndexSqlITCase} for execution.
 */
class IndexSqlTest {
    private static IndexTable emailIndex(TableInfo t, boolean unique) {
        return new IndexTable(
                t, "orders_email", List.of(t.column("email").orElseThrow()), unique, "reorg-1");
    }

    // ---------------------------------------------------------------- scans

    // ---------------------------------------------------------------- add-index batch

    @Test
    void addIndexBatchForAUniqueIndexOnOneColumn() {
        IndexTable index = emailIndex(simple(), true);
        assertThat(IndexSql.addIndexBatch(index, ORDERS))
                .isEqualTo(
                        "WITH b AS (SELECT * FROM unnest(?::text[], ?::text[]) AS b(k0, v0)),"
                                + " l AS (SELECT t.\"email\", t.\"id\" FROM \"shop\".\"orders\" t"
                                + " JOIN b ON t.\"id\" = b.k0::bigint AND t.\"id\"::text COLLATE \"C\" = b.k0"
                                + " AND t.\"email\"::text COLLATE \"C\" IS NOT DISTINCT FROM b.v0 FOR SHARE OF t)"
                                + " INSERT INTO \"shop\".\"orders_email\" (\"email\", \"id\")"
                                + " SELECT l.\"email\", l.\"id\" FROM l ON CONFLICT (\"id\") DO NOTHING");
    }

    @Test
    void addIndexBatchForACompositeKeyAndAnIndexedKeyColumn() {
        TableInfo t = composite(true);
        IndexTable index =
                new IndexTable(t, "orders_email", List.of(EMAIL_VARCHAR, ID), false, "reorg-1");
        // Reads from the leaf it was given, writes to the index table; the key column that is also
        // indexed ("id") is in the entry once, and is matched both as key and as value.
        assertThat(IndexSql.addIndexBatch(index, "\"shop\".\"orders_2024\""))
                .isEqualTo(
                        "WITH b AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])"
                                + " AS b(k0, k1, v0, v1)),"
                                + " l AS (SELECT t.\"email\", t.\"id\", t.\"region\" FROM \"shop\".\"orders_2024\" t"
                                + " JOIN b ON t.\"region\" = b.k0::text AND t.\"region\"::text COLLATE \"C\" = b.k0"
                                + " AND t.\"id\" = b.k1::bigint AND t.\"id\"::text COLLATE \"C\" = b.k1"
                                + " AND t.\"email\"::text COLLATE \"C\" IS NOT DISTINCT FROM b.v0"
                                + " AND t.\"id\"::text COLLATE \"C\" IS NOT DISTINCT FROM b.v1 FOR SHARE OF t)"
                                + " INSERT INTO \"shop\".\"orders_email\" (\"email\", \"id\", \"region\")"
                                + " SELECT l.\"email\", l.\"id\", l.\"region\" FROM l"
                                + " ON CONFLICT (\"region\", \"id\") DO NOTHING");
    }

    // ---------------------------------------------------------------- DDL

    @Test
    void createIndexTableUniqueHasAUniqueConstraintAndNoSeparateIndex() {
        assertThat(IndexSql.createIndexTable(emailIndex(simple(), true)))
                .containsExactly(
                        "CREATE TABLE \"shop\".\"orders_email\" (\"email\" text, \"id\" bigint NOT NULL,"
                                + " CONSTRAINT \"orders_email_pkey\" PRIMARY KEY (\"id\"),"
                                + " CONSTRAINT \"orders_email_unique\" UNIQUE (\"email\"))");
    }

    @Test
    void createIndexTableNonUniqueHasAPlainIndexOnTheValues() {
        assertThat(IndexSql.createIndexTable(emailIndex(composite(false), false)))
                .containsExactly(
                        "CREATE TABLE \"shop\".\"orders_email\" (\"email\" character varying(100),"
                                + " \"region\" text NOT NULL, \"id\" bigint NOT NULL,"
                                + " CONSTRAINT \"orders_email_pkey\" PRIMARY KEY (\"region\", \"id\"))",
                        "CREATE INDEX \"orders_email_values\" ON \"shop\".\"orders_email\" (\"email\")");
    }

    @Test
    void createIndexTableDoesNotRepeatAnIndexedKeyColumn() {
        TableInfo t = composite(false);
        IndexTable index =
                new IndexTable(t, "orders_id_email", List.of(ID, EMAIL_VARCHAR), true, "reorg-1");
        List<String> ddl = IndexSql.createIndexTable(index);
        assertThat(ddl)
                .containsExactly(
                        "CREATE TABLE \"shop\".\"orders_id_email\" (\"id\" bigint, \"email\" character varying(100),"
                                + " \"region\" text NOT NULL,"
                                + " CONSTRAINT \"orders_id_email_pkey\" PRIMARY KEY (\"region\", \"id\"),"
                                + " CONSTRAINT \"orders_id_email_unique\" UNIQUE (\"id\", \"email\"))");
        // "id" is declared exactly once.
        assertThat(ddl.get(0).split("\"id\" bigint", -1)).hasSize(2);
    }

    @Test
    void createTriggersInstallsFunctionAndRowTriggersWithAWhenClause() {
        IndexTable index = emailIndex(simple(), true);
        String fn = "\"backfill\".\"" + index.triggerFunction() + "\"()";
        List<String> sql = IndexSql.createTriggers(index);

        assertThat(sql.get(0))
                .startsWith(
                        "CREATE FUNCTION "
                                + "\"backfill\".\""
                                + index.triggerFunction()
                                + "\"()"
                                + " RETURNS trigger LANGUAGE plpgsql AS $backfill_trigger$\n")
                .endsWith("END\n$backfill_trigger$")
                .contains(
                        "INSERT INTO \"shop\".\"orders_email\" (\"email\", \"id\") VALUES (NEW.\"email\", NEW.\"id\")"
                                + " ON CONFLICT (\"id\") DO UPDATE SET \"email\" = EXCLUDED.\"email\","
                                + " \"id\" = EXCLUDED.\"id\"")
                .contains("DELETE FROM \"shop\".\"orders_email\" WHERE \"id\" = OLD.\"id\"")
                .contains("ELSIF OLD.\"id\" IS DISTINCT FROM NEW.\"id\" THEN");
        assertThat(sql.subList(1, 4))
                .containsExactly(
                        "CREATE TRIGGER \""
                                + index.insertTrigger()
                                + "\" AFTER INSERT ON \"shop\".\"orders\""
                                + " FOR EACH ROW EXECUTE FUNCTION "
                                + fn,
                        "CREATE TRIGGER \""
                                + index.updateTrigger()
                                + "\" AFTER UPDATE ON \"shop\".\"orders\""
                                + " FOR EACH ROW WHEN (ROW(OLD.\"email\", OLD.\"id\")::record *<>"
                                + " ROW(NEW.\"email\", NEW.\"id\")::record) EXECUTE FUNCTION "
                                + fn,
                        "CREATE TRIGGER \""
                                + index.deleteTrigger()
                                + "\" AFTER DELETE ON \"shop\".\"orders\""
                                + " FOR EACH ROW EXECUTE FUNCTION "
                                + fn);
    }

    @Test
    void createTriggersRewriteTheKeyOfAnEntryWhenOnlyKeyColumnsAreIndexed() {
        IndexTable index = new IndexTable(simple(), "orders_id", List.of(ID), true, "reorg-1");
        List<String> sql = IndexSql.createTriggers(index);
        // A key changed only in representation (numeric 1.0 -> 1.000) is the same row: its entry
        // is rewritten, never left with the old text.
        assertThat(sql.get(0))
                .contains(
                        "INSERT INTO \"shop\".\"orders_id\" (\"id\") VALUES (NEW.\"id\")"
                                + " ON CONFLICT (\"id\") DO UPDATE SET \"id\" = EXCLUDED.\"id\";");
        assertThat(sql.get(2))
                .contains(
                        " FOR EACH ROW WHEN (ROW(OLD.\"id\")::record *<> ROW(NEW.\"id\")::record) ");
    }

    @Test
    void createTriggersForACompositeKeyComparesRows() {
        IndexTable index = emailIndex(composite(false), false);
        List<String> sql = IndexSql.createTriggers(index);
        assertThat(sql.get(0))
                .contains(
                        "DELETE FROM \"shop\".\"orders_email\" WHERE ROW(\"region\", \"id\") = ROW(OLD.\"region\", OLD.\"id\")")
                .contains(
                        "ELSIF ROW(OLD.\"region\", OLD.\"id\") IS DISTINCT FROM ROW(NEW.\"region\", NEW.\"id\") THEN")
                .contains(
                        "ON CONFLICT (\"region\", \"id\") DO UPDATE SET \"email\" = EXCLUDED.\"email\","
                                + " \"region\" = EXCLUDED.\"region\", \"id\" = EXCLUDED.\"id\"");
        assertThat(sql.get(2))
                .contains(
                        " WHEN (ROW(OLD.\"email\", OLD.\"region\", OLD.\"id\")::record *<>"
                                + " ROW(NEW.\"email\", NEW.\"region\", NEW.\"id\")::record) ");
    }

    @Test
    void createTriggersAddsATruncateTriggerForAPlainTable() {
        IndexTable index = emailIndex(simple(), true);
        String truncateFn = "\"backfill\".\"" + index.triggerFunction() + "_truncate\"()";
        List<String> sql = IndexSql.createTriggers(index);
        assertThat(sql).hasSize(6);
        assertThat(sql.get(4))
                .isEqualTo(
                        "CREATE FUNCTION "
                                + truncateFn
                                + " RETURNS trigger LANGUAGE plpgsql AS $backfill_trigger$\n"
                                + "BEGIN\n  TRUNCATE \"shop\".\"orders_email\";\n  RETURN NULL;\nEND\n$backfill_trigger$");
        assertThat(sql.get(5))
                .isEqualTo(
                        "CREATE TRIGGER \""
                                + index.truncateTrigger()
                                + "\" AFTER TRUNCATE ON \"shop\".\"orders\""
                                + " FOR EACH STATEMENT EXECUTE FUNCTION "
                                + truncateFn);
    }

    @Test
    void createTriggersHasATruncateTriggerForAPartitionedTableToo() {
        List<String> sql = IndexSql.createTriggers(emailIndex(composite(true), true));
        assertThat(sql).hasSize(6);
        assertThat(sql.get(5))
                .contains(" AFTER TRUNCATE ON \"shop\".\"orders\" FOR EACH STATEMENT ");
        assertThat(sql.get(1)).contains(" AFTER INSERT ON \"shop\".\"orders\" ");
    }

    @Test
    void triggerObjectNamesDependOnlyOnTheReorgId() {
        IndexTable a = emailIndex(simple(), true);
        IndexTable b =
                new IndexTable(composite(false), "other", List.of(EMAIL_VARCHAR), false, "reorg-1");
        IndexTable c = new IndexTable(simple(), "orders_email", List.of(EMAIL), true, "reorg-2");
        assertThat(a.triggerFunction())
                .matches("backfill_[0-9a-f]{12}_maintain")
                .isEqualTo(b.triggerFunction());
        assertThat(a.insertTrigger()).isEqualTo(b.insertTrigger()).isNotEqualTo(c.insertTrigger());
        assertThat(
                        List.of(
                                a.insertTrigger(),
                                a.updateTrigger(),
                                a.deleteTrigger(),
                                a.truncateTrigger()))
                .doesNotHaveDuplicates();
    }

    @Test
    void aColumnNameWithADoubleQuoteIsQuotedEverywhere() {
        Column key = new Column("order\"id", "bigint", true, true);
        Column val = new Column("e\"mail", "text", false, false);
        TableInfo t = table(false, List.of(key, val), List.of(key));
        IndexTable index = new IndexTable(t, "orders_email", List.of(val), false, "reorg-1");

        assertThat(KeySql.readPage(ORDERS, List.of(key), List.of(val), true))
                .isEqualTo(
                        "SELECT t.\"order\"\"id\"::text, t.\"e\"\"mail\"::text FROM \"shop\".\"orders\" t"
                                + " WHERE t.\"order\"\"id\" > ?::bigint AND t.\"order\"\"id\" <= ?::bigint"
                                + " ORDER BY t.\"order\"\"id\" LIMIT ?");
        assertThat(IndexSql.createIndexTable(index).get(0))
                .startsWith(
                        "CREATE TABLE \"shop\".\"orders_email\" (\"e\"\"mail\" text, \"order\"\"id\" bigint NOT NULL,");
        List<String> triggers = IndexSql.createTriggers(index);
        assertThat(triggers.get(0))
                .contains("VALUES (NEW.\"e\"\"mail\", NEW.\"order\"\"id\")")
                .contains("SET \"e\"\"mail\" = EXCLUDED.\"e\"\"mail\"");
        assertThat(triggers.get(2))
                .contains("WHEN (ROW(OLD.\"e\"\"mail\", OLD.\"order\"\"id\")::record *<>");
        assertThat(IndexSql.addIndexBatch(index, ORDERS))
                .contains(
                        "t.\"order\"\"id\" = b.k0::bigint AND t.\"order\"\"id\"::text COLLATE \"C\" = b.k0"
                                + " AND t.\"e\"\"mail\"::text COLLATE \"C\" IS NOT DISTINCT FROM b.v0");
    }

    @Test
    void aColumnNameContainingTheBodyTagIsRejected() {
        Column evil = new Column("x$backfill_trigger$; DROP TABLE users; --", "text", false, false);
        TableInfo t = table(false, List.of(ID, evil), List.of(ID));
        IndexTable index = new IndexTable(t, "orders_x", List.of(evil), false, "reorg-1");
        assertThatThrownBy(() -> IndexSql.createTriggers(index))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$backfill_trigger$");
    }

    @Test
    void anIndexTableNameContainingTheBodyTagIsRejected() {
        IndexTable index =
                new IndexTable(simple(), "a$backfill_trigger$b", List.of(EMAIL), false, "reorg-1");
        assertThatThrownBy(() -> IndexSql.createTriggers(index))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$backfill_trigger$");
    }

    @Test
    void dropAllDropsTriggersFunctionsAndTableIdempotently() {
        IndexTable index = emailIndex(simple(), true);
        String on = " ON \"shop\".\"orders\"";
        assertThat(IndexSql.dropAll(index))
                .containsExactly(
                        "DROP TRIGGER IF EXISTS \"" + index.insertTrigger() + "\"" + on,
                        "DROP TRIGGER IF EXISTS \"" + index.updateTrigger() + "\"" + on,
                        "DROP TRIGGER IF EXISTS \"" + index.deleteTrigger() + "\"" + on,
                        "DROP TRIGGER IF EXISTS \"" + index.truncateTrigger() + "\"" + on,
                        "DROP FUNCTION IF EXISTS \"backfill\".\""
                                + index.triggerFunction()
                                + "\"()",
                        "DROP FUNCTION IF EXISTS \"backfill\".\""
                                + index.triggerFunction()
                                + "_truncate\"()",
                        "DROP TABLE IF EXISTS \"shop\".\"orders_email\"",
                        "DROP FUNCTION IF EXISTS \"backfill\".\"" + index.reviveTrigger() + "\"()");
    }

    // ---------------------------------------------------------------- verification

    @Test
    void entryCheckJoinsBothSidesOnceByKeyAndText() {
        IndexTable index = emailIndex(simple(), true);
        assertThat(IndexSql.entryCheck("ONLY " + ORDERS, index, 10, false, true))
                .isEqualTo(
                        "WITH d AS (SELECT t.\"id\" AS _backfill_tk0, i.\"id\" AS _backfill_ik0 FROM"
                                + " (SELECT \"id\", \"email\"::text COLLATE \"C\" AS _backfill_t0,"
                                + " \"id\"::text COLLATE \"C\" AS _backfill_t1 FROM ONLY \"shop\".\"orders\""
                                + " WHERE \"id\" <= ?::bigint) t FULL JOIN (SELECT \"id\","
                                + " \"email\"::text COLLATE \"C\" AS _backfill_t0, \"id\"::text COLLATE \"C\""
                                + " AS _backfill_t1 FROM \"shop\".\"orders_email\" WHERE \"id\" <= ?::bigint) i"
                                + " ON t.\"id\" = i.\"id\" AND t._backfill_t0 IS NOT DISTINCT FROM"
                                + " i._backfill_t0 AND t._backfill_t1 IS NOT DISTINCT FROM i._backfill_t1)"
                                + " SELECT 0, NULL::text, count(_backfill_tk0) FROM d UNION ALL (SELECT 1,"
                                + " d._backfill_tk0::text, count(*) OVER () FROM d WHERE _backfill_ik0 IS NULL"
                                + " ORDER BY d._backfill_tk0 LIMIT 10) UNION ALL (SELECT 2, d._backfill_ik0::text,"
                                + " count(*) OVER () FROM d WHERE _backfill_tk0 IS NULL ORDER BY d._backfill_ik0"
                                + " LIMIT 10)");
    }

    @Test
    void entryCheckReportsACompositeKeyAsARow() {
        IndexTable index = emailIndex(composite(false), false);
        String sql = IndexSql.entryCheck(ORDERS, index, 5, false, false);
        assertThat(sql)
                .contains(" ON t.\"region\" = i.\"region\" AND t.\"id\" = i.\"id\" AND")
                .contains("(SELECT 1, (d._backfill_tk0, d._backfill_tk1)::text, count(*) OVER ()")
                .contains("ORDER BY d._backfill_ik0, d._backfill_ik1 LIMIT 5)");
    }
}
