package dev.backfill.op.addindex;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The SQL of the partition guards and of {@code ENABLE ALWAYS} ({@link
 * IndexSql#createPartitionGuards}, {@link IndexSql#dropPartitionGuards}, {@link
 * IndexSql#enableAlwaysTriggers}); {@code PartitionDdlITCase} runs it on the server.
 */
class PartitionGuardsSqlTest {
    private static final Column REGION = new Column("region", "text", true, false);
    private static final Column ID = new Column("id", "bigint", true, true);
    private static final Column EMAIL = new Column("e%mail", "text", false, false);

    private static IndexTable index(String reorgId) {
        TableInfo t =
                new TableInfo(
                        "shop",
                        "orders",
                        true,
                        List.of(REGION, ID, EMAIL),
                        List.of(REGION, ID),
                        List.of("shop.orders_eu"),
                        List.of("\"shop\".\"orders_eu\""));
        return new IndexTable(t, "orders_email", List.of(EMAIL), true, reorgId);
    }

    @Test
    void everyIndexTriggerIsEnabledAlways() {
        IndexTable index = index("r1");
        assertThat(IndexSql.enableAlwaysTriggers(index))
                .containsExactly(
                        "ALTER TABLE \"shop\".\"orders\" ENABLE ALWAYS TRIGGER \""
                                + index.insertTrigger()
                                + "\"",
                        "ALTER TABLE \"shop\".\"orders\" ENABLE ALWAYS TRIGGER \""
                                + index.updateTrigger()
                                + "\"",
                        "ALTER TABLE \"shop\".\"orders\" ENABLE ALWAYS TRIGGER \""
                                + index.deleteTrigger()
                                + "\"",
                        "ALTER TABLE \"shop\".\"orders\" ENABLE ALWAYS TRIGGER \""
                                + index.truncateTrigger()
                                + "\"");
    }

    @Test
    void guardsInstallLeafTriggersBeforeTheEventTriggersAndEnableThemAlways() {
        IndexTable index = index("r1");
        List<String> sql = IndexSql.createPartitionGuards(index);
        String prefix = IndexTable.objectPrefix("r1");
        assertThat(sql).hasSize(9);
        assertThat(sql.subList(4, 9))
                .containsExactly(
                        "SELECT \"backfill\".\"" + prefix + "_partitions\"(false)",
                        "CREATE EVENT TRIGGER \""
                                + prefix
                                + "_ddl\" ON ddl_command_end WHEN TAG IN ('ALTER TABLE',"
                                + " 'CREATE TABLE') EXECUTE FUNCTION \"backfill\".\""
                                + prefix
                                + "_ddl\"()",
                        "CREATE EVENT TRIGGER \""
                                + prefix
                                + "_drop\" ON sql_drop EXECUTE FUNCTION \"backfill\".\""
                                + prefix
                                + "_drop\"()",
                        "ALTER EVENT TRIGGER \"" + prefix + "_ddl\" ENABLE ALWAYS",
                        "ALTER EVENT TRIGGER \"" + prefix + "_drop\" ENABLE ALWAYS");
        // The leaf triggers are created ENABLE ALWAYS; a % in a name survives format().
        assertThat(sql.get(1))
                .contains("ENABLE ALWAYS TRIGGER %I")
                .contains("INSERT INTO %2$s (\"e%%mail\", \"region\", \"id\")");
    }

    @Test
    void dropsRemoveTheEventTriggersFirst() {
        String prefix = IndexTable.objectPrefix("r1");
        List<String> sql = IndexSql.dropPartitionGuards("r1");
        assertThat(sql.get(0)).isEqualTo("DROP EVENT TRIGGER IF EXISTS \"" + prefix + "_ddl\"");
        assertThat(sql.get(1)).isEqualTo("DROP EVENT TRIGGER IF EXISTS \"" + prefix + "_drop\"");
        assertThat(sql.get(2)).startsWith("DO ").contains(prefix + "_trunc_leaf");
        assertThat(sql.subList(3, 7))
                .containsExactly(
                        "DROP FUNCTION IF EXISTS \"backfill\".\"" + prefix + "_ddl\"()",
                        "DROP FUNCTION IF EXISTS \"backfill\".\"" + prefix + "_drop\"()",
                        "DROP FUNCTION IF EXISTS \"backfill\".\""
                                + prefix
                                + "_partitions\"(boolean)",
                        "DROP FUNCTION IF EXISTS \"backfill\".\"" + prefix + "_truncate_leaf\"()");
    }

    @Test
    void aReorgIdWithTheBodyTagIsRefused() {
        assertThatThrownBy(() -> IndexSql.createPartitionGuards(index("x$backfill_trigger$")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
