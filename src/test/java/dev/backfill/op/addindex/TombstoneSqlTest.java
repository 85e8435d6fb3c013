package dev.backfill.op.addindex;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SQL text of the write-only add-index sink (tombstones): the batch, the tombstone form of the
 * triggers, and the switch back to the deleting form. Run against the server by {@code
 * WriteOnlyBatchITCase}.
 */
class TombstoneSqlTest {
    private static final Column ID = new Column("id", "bigint", true, true);
    private static final Column REGION = new Column("region", "text", true, false);
    private static final Column EMAIL = new Column("email", "text", false, false);

    private static TableInfo table(boolean partitioned, List<Column> columns, List<Column> key) {
        return new TableInfo(
                "shop",
                "orders",
                partitioned,
                columns,
                key,
                List.of("shop.orders"),
                List.of("\"shop\".\"orders\""));
    }

    private static IndexTable index(TableInfo t, String... columns) {
        return new IndexTable(
                t,
                "orders_email",
                java.util.Arrays.stream(columns).map(c -> t.column(c).orElseThrow()).toList(),
                true,
                "reorg-1");
    }

    @Test
    void theWriteOnlyBatchInsertsTheShippedValuesWithoutReadingTheTable() {
        IndexTable idx = index(table(false, List.of(ID, EMAIL), List.of(ID)), "email");
        assertThat(IndexSql.addIndexBatchWriteOnly(idx))
                .isEqualTo(
                        "WITH b AS (SELECT * FROM unnest(?::text[], ?::text[]) AS b(k0, v0))"
                                + " INSERT INTO \"shop\".\"orders_email\" (\"email\", \"id\")"
                                + " SELECT b.v0::text, b.k0::bigint FROM b"
                                + " ON CONFLICT (\"id\") DO NOTHING");
    }

    @Test
    void aKeyColumnThatIsIndexedTakesItsValueFromTheIndexedArray() {
        TableInfo t = table(false, List.of(REGION, ID, EMAIL), List.of(REGION, ID));
        IndexTable idx = index(t, "email", "region");
        assertThat(IndexSql.addIndexBatchWriteOnly(idx))
                .contains(
                        "(\"email\", \"region\", \"id\") SELECT b.v0::text, b.v1::text,"
                                + " b.k1::bigint FROM b ON CONFLICT (\"region\", \"id\")");
    }

    @Test
    void aTombstoneKeepsTheKeyAndClearsOnlyTheOtherIndexedColumns() {
        TableInfo t = table(false, List.of(REGION, ID, EMAIL), List.of(REGION, ID));
        String body = IndexSql.maintainBody(index(t, "email", "region"), true);
        assertThat(body)
                .contains(
                        "INSERT INTO \"shop\".\"orders_email\" (\"region\", \"id\","
                                + " \"~backfill_deleted\") VALUES (OLD.\"region\", OLD.\"id\","
                                + " true) ON CONFLICT (\"region\", \"id\") DO UPDATE SET"
                                + " \"email\" = NULL, \"~backfill_deleted\" = true")
                .doesNotContain("DELETE FROM");
    }

    @Test
    void theSwitchRestoresTodaysDeletingFunctionsExactly() {
        IndexTable idx = index(table(false, List.of(ID, EMAIL), List.of(ID)), "email");
        List<String> prepared = IndexSql.createTriggers(idx, false);
        List<String> switched = IndexSql.switchToDeletingTriggers(idx);
        // The row function and the TRUNCATE function, as the locking path creates them.
        assertThat(switched.get(0))
                .isEqualTo(prepared.get(0).replace("CREATE ", "CREATE OR REPLACE "));
        assertThat(switched.get(1))
                .isEqualTo(
                        prepared.get(4).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"));
        assertThat(switched.get(2)).contains("NEW.\"~backfill_deleted\" := false");
    }

    @Test
    void aPartitionedTableOrAnEntryColumnNamedLikeTheMarkerKeepsTheLockingBatch() {
        Column marker = new Column(IndexTable.TOMBSTONE, "text", false, false);
        assertThat(
                        index(table(false, List.of(ID, EMAIL), List.of(ID)), "email")
                                .writeOnlyEligible())
                .isTrue();
        assertThat(index(table(true, List.of(ID, EMAIL), List.of(ID)), "email").writeOnlyEligible())
                .isFalse();
        assertThat(
                        index(table(false, List.of(ID, marker), List.of(ID)), IndexTable.TOMBSTONE)
                                .writeOnlyEligible())
                .isFalse();
    }

    @Test
    void thePurgeDeletesOnlyStillMarkedTuplesInBoundedBatches() {
        IndexTable idx = index(table(false, List.of(ID, EMAIL), List.of(ID)), "email");
        assertThat(IndexSql.purgeTombstones(idx, 1000))
                .isEqualTo(
                        "DELETE FROM \"shop\".\"orders_email\" WHERE ctid = ANY (ARRAY(SELECT ctid"
                                + " FROM \"shop\".\"orders_email\" WHERE \"~backfill_deleted\""
                                + " LIMIT 1000)) AND \"~backfill_deleted\"");
    }
}
