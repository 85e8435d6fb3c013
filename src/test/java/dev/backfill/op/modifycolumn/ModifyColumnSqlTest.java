package dev.backfill.op.modifycolumn;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingTables;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The modify-column statements of {@link ColumnSql} as text (their behaviour: the ITCases). */
class ModifyColumnSqlTest {
    private static final TableInfo TABLE = TestingTables.withCode();
    private static final ShadowColumn SC =
            new ShadowColumn(TABLE, TestingTables.CODE, "integer", null, "r");

    @Test
    void pushdownBatchComputesTheValueInSqlOnlyForTheBatchRows() {
        String sql = ColumnSql.modifyColumnBatch(SC, "ONLY \"shop\".\"orders\"");
        String match =
                "\"orders\".\"id\" = _backfill_batch._backfill_k0::bigint AND"
                        + " \"orders\".\"co\"\"de\"::text COLLATE \"C\" IS NOT DISTINCT FROM"
                        + " _backfill_batch._backfill_v";
        assertThat(sql)
                .isEqualTo(
                        "UPDATE ONLY \"shop\".\"orders\" AS \"orders\" SET \"_backfill_new_co\"\"de\""
                                + " = (CAST(\"co\"\"de\" AS integer)\n) FROM unnest(?::text[],"
                                + " ?::text[]) AS _backfill_batch(_backfill_k0, _backfill_v) WHERE "
                                + match
                                + " AND CASE WHEN "
                                + match
                                + " THEN NOT (\"orders\".\"_backfill_new_co\"\"de\"::text COLLATE \"C\" IS NOT"
                                + " DISTINCT FROM (CAST((CAST(\"co\"\"de\" AS integer)\n) AS integer))::text COLLATE \"C\")"
                                + " ELSE false END");
    }

    @Test
    void convertedBatchWritesTheJavaValue() {
        String sql = ColumnSql.modifyColumnBatch(SC, "ONLY \"shop\".\"orders\"", true);
        assertThat(sql)
                .contains("SET \"_backfill_new_co\"\"de\" = _backfill_batch._backfill_n::integer")
                .contains("unnest(?::text[], ?::text[], ?::text[])")
                .contains("(_backfill_k0, _backfill_v, _backfill_n)")
                .endsWith(
                        "IS NOT DISTINCT FROM (_backfill_batch._backfill_n::integer)::text COLLATE \"C\") ELSE false"
                                + " END");
    }

    @Test
    void converterTriggerSetsTheShadowOnlyWhenTheColumnChanges() {
        List<String> ddl = ColumnSql.createShadowTrigger(SC, true);
        assertThat(ddl.get(0))
                .contains(
                        "IF TG_OP = 'INSERT' OR ROW(NEW.\"co\"\"de\")::record *<>"
                                + " ROW(OLD.\"co\"\"de\")::record THEN");
        assertThat(ColumnSql.createShadowTrigger(SC, false).get(0)).doesNotContain("TG_OP");
    }

    @Test
    void verificationLeavesTheNullRuleOutOnlyWhenAsked() {
        assertThat(ColumnSql.shadowDifference(SC, 5, true, false, true))
                .contains("IS NULL AND \"orders\".\"co\"\"de\" IS NOT NULL");
        assertThat(ColumnSql.shadowDifference(SC, 5, true, false, false))
                .doesNotContain("IS NULL AND");
    }

    @Test
    void convertRowReadsOneRowByKey() {
        assertThat(ColumnSql.convertRow(SC, "ONLY \"shop\".\"orders\""))
                .isEqualTo(
                        "SELECT \"orders\".\"co\"\"de\"::text, CAST((CAST(\"co\"\"de\" AS"
                                + " integer)\n) AS integer)::text FROM ONLY \"shop\".\"orders\" AS"
                                + " \"orders\" WHERE \"orders\".\"id\" = ?::bigint");
    }

    @Test
    void carryOverStatementsQuoteNamesAndLiterals() {
        assertThat(ColumnSql.commentColumn(SC, "it's"))
                .isEqualTo("COMMENT ON COLUMN \"shop\".\"orders\".\"co\"\"de\" IS 'it''s'");
        assertThat(ColumnSql.grantColumn(SC, "SELECT", "Read\"er", true))
                .isEqualTo(
                        "GRANT SELECT (\"co\"\"de\") ON \"shop\".\"orders\" TO \"Read\"\"er\" WITH"
                                + " GRANT OPTION");
        assertThat(ColumnSql.grantColumn(SC, "UPDATE", null, false))
                .isEqualTo("GRANT UPDATE (\"co\"\"de\") ON \"shop\".\"orders\" TO PUBLIC");
        assertThatThrownBy(() -> ColumnSql.grantColumn(SC, "SELECT; DROP", null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a privilege");
        assertThat(ColumnSql.ownSequence(SC, "shop.orders_id_seq"))
                .isEqualTo(
                        "ALTER SEQUENCE shop.orders_id_seq OWNED BY"
                                + " \"shop\".\"orders\".\"co\"\"de\"");
    }

    @Test
    void abortOfATableThatIsGoneDropsTheFunctionByTheReorgId() {
        assertThat(ColumnSql.dropShadow(SC)).contains(ColumnSql.dropShadowFunction("r"));
    }

    @Test
    void abortDropsTheTriggerUnderItsCurrentAndItsLegacyName() {
        assertThat(ColumnSql.dropShadow(SC))
                .contains(
                        "DROP TRIGGER IF EXISTS \"" + SC.trigger() + "\" ON \"shop\".\"orders\"",
                        "DROP TRIGGER IF EXISTS \""
                                + SC.legacyTrigger()
                                + "\" ON \"shop\".\"orders\"");
    }
}
