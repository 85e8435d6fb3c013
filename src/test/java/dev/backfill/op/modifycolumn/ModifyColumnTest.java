package dev.backfill.op.modifycolumn;

import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.convert.Converters;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ModifyColumnTest {
    private static RowBatch batch(String... values) {
        List<Key> keys = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            keys.add(Key.of(100L + i));
            rows.add(new String[] {values[i]});
        }
        return new RowBatch("t:0", "shop.t", null, Key.of(100L + values.length), keys, rows, false);
    }

    @Test
    void converterOutputIsTheConvertedValue() {
        ModifyColumn op =
                new ModifyColumn(
                        "code", "bigint", Converters.create("integer", "bigint", Map.of()));
        WriteBatch out = op.apply(batch("007", null, "-9223372036854775808"));
        assertThat(out.failure()).isNull();
        assertThat(out.output())
                .containsExactly(
                        new String[] {"7"},
                        new String[] {null},
                        new String[] {"-9223372036854775808"});
        assertThat(out.expected().get(0)).containsExactly("007");
        assertThat(op.readColumns()).containsExactly("code");
        assertThat(op.describe()).isEqualTo("modify-column code to bigint (converter integer)");
    }

    @Test
    void theFirstValueThatDoesNotConvertFailsTheBatchNamingItsRow() {
        ModifyColumn op =
                new ModifyColumn(
                        "code", "integer", Converters.create("integer", "integer", Map.of()));
        WriteBatch out = op.apply(batch("1", " 2", "x"));
        assertThat(out.failure())
                .isEqualTo("cannot convert column 'code' of row 101: value ' 2' is not an integer");
        assertThat(out.size()).isEqualTo(3);
    }

    @Test
    void pushdownPassesTheValuesReadThrough() {
        ModifyColumn op = new ModifyColumn("code", "integer", null);
        WriteBatch out = op.apply(batch("x", null));
        assertThat(out.failure()).isNull();
        assertThat(out.output()).isEqualTo(out.expected());
        assertThat(op.describe()).isEqualTo("modify-column code to integer");
    }
}
