package dev.backfill.db;

import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.ShadowColumn;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The repair count's and the shadow repair's statements of {@link CatalogSql} and {@link ColumnSql}
 * as text (their behaviour on a real server: RepairITCase, StatusPlanITCase).
 */
class RepairSqlTest {
    private static final TableInfo TABLE = TestingTables.withCode();
    private static final ShadowColumn SC =
            new ShadowColumn(TABLE, TestingTables.CODE, "integer", null, "r");

    @Test
    void theCatalogColumnIsAddedInPlaceAndCountedUp() {
        assertThat(CatalogSql.addRowsRepairedColumn())
                .isEqualTo(
                        "ALTER TABLE \"backfill\".\"reorgs\" ADD COLUMN IF NOT EXISTS"
                                + " \"rows_repaired\" bigint NOT NULL DEFAULT 0");
        assertThat(CatalogSql.addRowsRepaired())
                .isEqualTo(
                        "UPDATE \"backfill\".\"reorgs\" SET \"rows_repaired\" ="
                                + " \"rows_repaired\" + ? WHERE id = ?");
    }

    @Test
    void aShadowRangeIsLockedThenRewrittenWhereItsTextDiffers() {
        List<String> sql = ColumnSql.repairShadowRange(SC, true, true);
        // The range as every ranged statement has it (keyRange), on the table's alias.
        String range = KeySql.keyRange("\"orders\"", TABLE.keyColumns(), true, true);
        assertThat(range).startsWith(" WHERE \"orders\".\"id\" > ");
        String value = "CAST((CAST(\"co\"\"de\" AS integer)\n) AS integer)";
        assertThat(sql)
                .containsExactly(
                        "SELECT 1 FROM ONLY \"shop\".\"orders\" AS \"orders\""
                                + range
                                + " FOR UPDATE",
                        "UPDATE ONLY \"shop\".\"orders\" AS \"orders\" SET \"_backfill_new_co\"\"de\""
                                + " = "
                                + value
                                + range
                                + " AND NOT (\"orders\".\"_backfill_new_co\"\"de\"::text COLLATE \"C\""
                                + " IS NOT DISTINCT FROM "
                                + value
                                + "::text COLLATE \"C\")");
        // Without bounds: the whole table.
        assertThat(ColumnSql.repairShadowRange(SC, false, false).get(1))
                .contains("AS \"orders\" SET ")
                .contains(value + " WHERE NOT (\"orders\".\"_backfill_new_co\"\"de\"::text");
    }
}
