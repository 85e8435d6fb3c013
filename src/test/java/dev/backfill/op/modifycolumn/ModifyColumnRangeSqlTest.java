package dev.backfill.op.modifycolumn;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The range statement of modify-column's range path ({@link ColumnSql#modifyColumnRange}) as text
 * (its behaviour: RangePushdownITCase and the modify-column ITCases).
 */
class ModifyColumnRangeSqlTest {
    private static final Column REGION = new Column("region", "text", true, true);
    private static final Column ID = new Column("id", "bigint", true, true);
    private static final Column CODE = new Column("co\"de", "text", false, false);
    private static final TableInfo TABLE =
            new TableInfo(
                    "shop",
                    "orders",
                    false,
                    List.of(REGION, ID, CODE),
                    List.of(REGION, ID),
                    List.of("shop.orders"),
                    List.of("\"shop\".\"orders\""));
    private static final ShadowColumn SC = new ShadowColumn(TABLE, CODE, "integer", null, "r");

    @Test
    void oneUpdateOverTheKeyRangeComparesTheShadowByTextGuardedByTheRange() {
        String range =
                "(\"orders\".\"region\", \"orders\".\"id\") > (?::text, ?::bigint) AND"
                        + " (\"orders\".\"region\", \"orders\".\"id\") <= (?::text, ?::bigint)";
        assertThat(ColumnSql.modifyColumnRange(SC, "ONLY \"shop\".\"orders\"", true, true))
                .isEqualTo(
                        "UPDATE ONLY \"shop\".\"orders\" AS \"orders\" SET \"_backfill_new_co\"\"de\""
                                + " = (CAST(\"co\"\"de\" AS integer)\n) WHERE "
                                + range
                                + " AND CASE WHEN "
                                + range
                                + " THEN NOT (\"orders\".\"_backfill_new_co\"\"de\"::text COLLATE"
                                + " \"C\" IS NOT DISTINCT FROM (CAST((CAST(\"co\"\"de\" AS"
                                + " integer)\n) AS integer))::text COLLATE \"C\") ELSE false END");
    }

    @Test
    void aFirstPageWithoutALowerBoundHasOnlyTheUpperOne() {
        String sql = ColumnSql.modifyColumnRange(SC, "ONLY \"shop\".\"orders\"", false, true);
        assertThat(sql)
                .contains(
                        " WHERE (\"orders\".\"region\", \"orders\".\"id\") <= (?::text, ?::bigint)"
                                + " AND CASE WHEN (\"orders\".\"region\", \"orders\".\"id\") <="
                                + " (?::text, ?::bigint) THEN")
                .doesNotContain(">");
    }

    @Test
    void rowValueReadsTheSourceColumnByKey() {
        assertThat(ColumnSql.rowValue(SC, "ONLY \"shop\".\"orders\""))
                .isEqualTo(
                        "SELECT \"orders\".\"co\"\"de\"::text FROM ONLY \"shop\".\"orders\" AS"
                                + " \"orders\" WHERE (\"orders\".\"region\", \"orders\".\"id\") ="
                                + " (?::text, ?::bigint)");
    }
}
