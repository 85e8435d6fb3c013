package dev.backfill.job;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.source.RowBatches;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Test support: sample {@link WriteBatch}es and a field-by-field equality (it has no equals). */
final class WriteBatches {
    private WriteBatches() {}

    /** Per sample source batch: one with output (nulls and empty strings included), one failed. */
    static WriteBatch[] samples() {
        List<WriteBatch> out = new ArrayList<>();
        for (RowBatch source : RowBatches.samples()) {
            List<String[]> output = new ArrayList<>();
            for (int i = 0; i < source.size(); i++) {
                output.add(
                        i % 2 == 0
                                ? new String[] {"out" + i, null}
                                : new String[] {"", "\u20ac".repeat(i)});
            }
            out.add(new WriteBatch(source, output));
            out.add(
                    WriteBatch.failed(
                            source,
                            "cannot convert column 'c' of row 7: value 'x' is not an integer"));
        }
        return out.toArray(new WriteBatch[0]);
    }

    /** True when both are null, or the source batch, failure and output are equal. */
    static boolean equal(WriteBatch a, WriteBatch b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (!RowBatches.equal(a.source(), b.source())
                || !Objects.equals(a.failure(), b.failure())
                || a.output().size() != b.output().size()) {
            return false;
        }
        for (int i = 0; i < a.output().size(); i++) {
            if (!Arrays.equals(a.output().get(i), b.output().get(i))) {
                return false;
            }
        }
        return true;
    }

    static String describe(WriteBatch b) {
        if (b == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(RowBatches.describe(b.source()));
        sb.append(" failure=").append(b.failure()).append(" output=[");
        for (String[] row : b.output()) {
            sb.append(Arrays.toString(row));
        }
        return sb.append(']').toString();
    }
}
