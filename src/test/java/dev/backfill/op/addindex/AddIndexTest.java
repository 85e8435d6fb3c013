package dev.backfill.op.addindex;

import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link AddIndex}, {@link WriteBatch} and {@link RowBatch}'s size checks. */
class AddIndexTest {
    private static final String SPLIT = "shop.orders:3";

    private static RowBatch batch(List<Key> keys, List<String[]> values) {
        Key to = keys.isEmpty() ? null : keys.get(keys.size() - 1);
        return new RowBatch(SPLIT, "shop.orders", Key.of(10L), to, keys, values, false);
    }

    @Test
    void describesAndReadsTheIndexedColumns() {
        AddIndex op = new AddIndex("orders_email", List.of("email", "region"));
        assertThat(op.describe()).isEqualTo("add-index orders_email");
        assertThat(op.readColumns()).containsExactly("email", "region");
    }

    @Test
    void mapsRowsToEntriesUnchanged() {
        AddIndex op = new AddIndex("orders_email", List.of("email", "region"));
        List<Key> keys = List.of(Key.of(11L), Key.of(12L), Key.of(15L));
        List<String[]> values =
                List.of(
                        new String[] {"a@example.com", "eu"},
                        new String[] {null, "us"},
                        new String[] {"\u00e9t\u00e9@example.com", null});
        RowBatch in = batch(keys, values);

        WriteBatch out = op.apply(in);

        assertThat(out.size()).isEqualTo(3);
        assertThat(out.source()).isSameAs(in);
        assertThat(out.splitId()).isEqualTo(SPLIT);
        assertThat(out.keys()).containsExactlyElementsOf(keys);
        assertThat(out.expected()).containsExactlyElementsOf(values);
        assertThat(out.output()).hasSize(3);
        for (int i = 0; i < values.size(); i++) {
            assertThat(out.output().get(i)).containsExactly(values.get(i));
        }
    }

    @Test
    void mapsAnEmptyBatchToAnEmptyWrite() {
        WriteBatch out =
                new AddIndex("orders_email", List.of("email")).apply(batch(List.of(), List.of()));
        assertThat(out.size()).isZero();
        assertThat(out.output()).isEmpty();
    }

    @Test
    void aRowWithTheWrongNumberOfValuesFailsNamingItsKeyAndSplit() {
        AddIndex op = new AddIndex("orders_email", List.of("email", "region"));
        RowBatch in =
                batch(
                        List.of(Key.of(11L), Key.of("eu", 42L)),
                        List.of(
                                new String[] {"a@example.com", "eu"},
                                new String[] {"b@example.com"}));

        assertThatThrownBy(() -> op.apply(in))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row (eu, 42)")
                .hasMessageContaining("split " + SPLIT)
                .hasMessageContaining("has 1 values")
                .hasMessageContaining("index orders_email needs 2");
    }

    @Test
    void aRowWithTooManyValuesFailsToo() {
        AddIndex op = new AddIndex("orders_email", List.of("email"));
        RowBatch in = batch(List.of(Key.of(7L)), List.<String[]>of(new String[] {"a", "b"}));
        assertThatThrownBy(() -> op.apply(in))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 7 of split " + SPLIT + " has 2 values");
    }

    @Test
    void anIndexWithoutColumnsIsRejected() {
        assertThatThrownBy(() -> new AddIndex("orders_email", List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("orders_email");
    }

    @Test
    void rowBatchRejectsMoreKeysThanValueRows() {
        assertThatThrownBy(
                        () ->
                                new RowBatch(
                                        SPLIT,
                                        "shop.orders",
                                        null,
                                        Key.of(2L),
                                        List.of(Key.of(1L), Key.of(2L)),
                                        List.<String[]>of(new String[] {"a"}),
                                        false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(SPLIT)
                .hasMessageContaining("2 keys but 1 value rows");
    }

    @Test
    void writeBatchRejectsAnOutputOfAnotherSize() {
        RowBatch in =
                batch(
                        List.of(Key.of(1L), Key.of(2L)),
                        List.of(new String[] {"a"}, new String[] {"b"}));
        List<String[]> tooFew = new ArrayList<>();
        tooFew.add(new String[] {"a"});
        assertThatThrownBy(() -> new WriteBatch(in, tooFew))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 rows for a batch of 2");
        List<String[]> tooMany =
                List.of(new String[] {"a"}, new String[] {"b"}, new String[] {"c"});
        assertThatThrownBy(() -> new WriteBatch(in, tooMany))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 rows for a batch of 2");
    }
}
