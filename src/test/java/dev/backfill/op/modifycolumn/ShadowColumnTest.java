package dev.backfill.op.modifycolumn;

import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.op.addindex.IndexTable;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShadowColumnTest {
    private static final Column ID = new Column("id", "bigint", true, true);
    private static final Column AMOUNT = new Column("Amount \"x\"", "integer", false, true);
    private static final TableInfo TABLE =
            new TableInfo(
                    "shop",
                    "orders",
                    false,
                    List.of(ID, AMOUNT),
                    List.of(ID),
                    List.of("shop.orders"),
                    List.of("\"shop\".\"orders\""));

    @Test
    void namesDeriveFromTheColumnAndTheReorgId() {
        ShadowColumn sc = new ShadowColumn(TABLE, AMOUNT, " bigint ", null, "reorg-1");
        assertThat(sc.shadowName()).isEqualTo("_backfill_new_Amount \"x\"");
        assertThat(sc.oldName()).isEqualTo("_backfill_old_Amount \"x\"");
        String prefix = IndexTable.objectPrefix("reorg-1");
        assertThat(sc.triggerFunction()).isEqualTo(prefix + "_shadow");
        assertThat(sc.trigger()).isEqualTo("~" + prefix + "_shadow");
        assertThat(sc.legacyTrigger()).isEqualTo("zz_" + prefix + "_shadow");
        assertThat(sc.notNullConstraint()).isEqualTo(prefix + "_notnull");
        assertThat(sc.type()).isEqualTo("bigint");
        assertThat(new ShadowColumn(TABLE, AMOUNT, "bigint", null, "reorg-2").trigger())
                .isNotEqualTo(sc.trigger());
    }

    @Test
    void defaultUsingIsACastOfTheQuotedColumn() {
        ShadowColumn sc = new ShadowColumn(TABLE, AMOUNT, "numeric(12,2)", null, "r");
        assertThat(sc.specUsing()).isNull();
        assertThat(sc.using()).isEqualTo("CAST(\"Amount \"\"x\"\"\" AS numeric(12,2))");
        assertThat(sc.usingSql()).isEqualTo("(CAST(\"Amount \"\"x\"\"\" AS numeric(12,2))\n)");
    }

    @Test
    void givenUsingIsKeptAsWrittenAndEndsBeforeALineComment() {
        ShadowColumn sc =
                new ShadowColumn(TABLE, AMOUNT, "numeric", " amount::numeric / 100 -- cents ", "r");
        assertThat(sc.using()).isEqualTo("amount::numeric / 100 -- cents");
        assertThat(sc.usingSql()).isEqualTo("(amount::numeric / 100 -- cents\n)");
    }

    @Test
    void refusesBlankTypeOrUsingAndTooLongNames() {
        assertThatThrownBy(() -> new ShadowColumn(TABLE, AMOUNT, " ", null, "r"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("new type");
        assertThatThrownBy(() -> new ShadowColumn(TABLE, AMOUNT, "bigint", "  ", "r"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("using expression");
        Column ok = new Column("c".repeat(49), "integer", false, true);
        assertThat(new ShadowColumn(TABLE, ok, "bigint", null, "r").shadowName()).hasSize(63);
        Column tooLong = new Column("c".repeat(50), "integer", false, true);
        assertThatThrownBy(() -> new ShadowColumn(TABLE, tooLong, "bigint", null, "r"))
                .hasMessageContaining("63-byte identifier limit");
        // Bytes, not characters: 25 two-byte letters are 50 bytes.
        Column wide = new Column("é".repeat(25), "integer", false, true);
        assertThatThrownBy(() -> new ShadowColumn(TABLE, wide, "bigint", null, "r"))
                .hasMessageContaining("too long");
    }

    @Test
    void resolveNamesAMissingColumn() throws Exception {
        assertThat(ShadowColumn.resolve(TABLE, "id", "numeric", null, "r").column()).isSameAs(ID);
        assertThatThrownBy(() -> ShadowColumn.resolve(TABLE, "amount", "bigint", null, "r"))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessage(
                        "column amount does not exist in table shop.orders; its columns are"
                                + " [id, Amount \"x\"]");
        assertThatThrownBy(() -> ShadowColumn.resolve(TABLE, "id", "", null, "r"))
                .isInstanceOf(TableInfo.TableException.class);
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        ShadowColumn sc =
                new ShadowColumn(TABLE, AMOUNT, "bigint", "\"Amount \"\"x\"\"\" * 2", "r");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(sc);
        }
        ShadowColumn back;
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (ShadowColumn) in.readObject();
        }
        assertThat(back.toString()).isEqualTo(sc.toString());
        assertThat(back.trigger()).isEqualTo(sc.trigger());
        assertThat(back.table()).isEqualTo(TABLE);
    }
}
