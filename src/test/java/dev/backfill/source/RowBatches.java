package dev.backfill.source;

import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Test support: sample {@link RowBatch}es and a field-by-field equality (it has no equals). */
public final class RowBatches {
    private RowBatches() {}

    /** Batches of every shape the reader emits, and some it could. */
    public static RowBatch[] samples() {
        return new RowBatch[] {
            // A split's first page without a start: no watermark, unbounded below.
            new RowBatch(
                    "accounts#0",
                    "accounts",
                    null,
                    Key.of(3L),
                    null,
                    List.of(Key.of(1L), Key.of(2L), Key.of(3L)),
                    List.of(
                            new String[] {"a@x", "1"},
                            new String[] {null, "2"},
                            new String[] {"", null}),
                    false),
            // A split's first page from its start; composite Long/String keys.
            new RowBatch(
                    "orders_p1#4",
                    "orders_p1",
                    null,
                    Key.of(9L, "z\u20ac"),
                    Key.of(7L, "b"),
                    List.of(Key.of(8L, "a"), Key.of(9L, "z\u20ac")),
                    List.of(new String[] {"\u65e5\u672c"}, new String[] {"\ud83d\ude00"}),
                    false),
            // A later page on the range path: keys only, empty value rows, last page.
            new RowBatch(
                    "t#1",
                    "t",
                    Key.of("2024-01-01", 5L),
                    Key.of("2024-01-02", 1L),
                    List.of(Key.of("2024-01-01", 6L), Key.of("2024-01-02", 1L)),
                    List.of(new String[0], new String[0]),
                    true),
            // The empty closing page: no rows, no last key.
            new RowBatch("t#2", "t", Key.of(-1L), null, List.of(), List.of(), true),
            // Nothing at all: a first page of an unbounded split that found no rows.
            new RowBatch("t#3", "t", null, null, null, List.of(), List.of(), true),
            // Values past writeUTF's 64 KiB, and an unpaired surrogate kept as is.
            new RowBatch(
                    "big#0",
                    "big",
                    null,
                    Key.of("k".repeat(70_000)),
                    List.of(Key.of("k".repeat(70_000))),
                    List.<String[]>of(new String[] {"\u0436".repeat(40_000), "a\ud800b"}),
                    false)
        };
    }

    /** True when both are null, or every field is equal (value rows compared element-wise). */
    public static boolean equal(RowBatch a, RowBatch b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.values().get(i), b.values().get(i))) {
                return false;
            }
        }
        return a.splitId().equals(b.splitId())
                && a.physicalTable().equals(b.physicalTable())
                && Objects.equals(a.from(), b.from())
                && Objects.equals(a.to(), b.to())
                && Objects.equals(a.after(), b.after())
                && a.keys().equals(b.keys())
                && a.last() == b.last();
    }

    /** Every field, value rows included, for assertion messages. */
    public static String describe(RowBatch b) {
        if (b == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(b.toString());
        sb.append(" after=").append(b.after()).append(" keys=").append(b.keys());
        sb.append(" values=[");
        for (String[] row : b.values()) {
            sb.append(Arrays.toString(row));
        }
        return sb.append(']').toString();
    }
}
