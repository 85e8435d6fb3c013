package dev.backfill.op;

import dev.backfill.source.reader.RowBatch;
import dev.backfill.source.split.Key;

import java.util.List;

/**
 * What the sink writes for one {@link RowBatch}, in one transaction: per row, its key, the values
 * it was read with (the compare-and-set expectation) and the values to write (the index entry's
 * indexed columns, or a converted value). Built by an {@link Operation}.
 */
public final class WriteBatch {
    private final RowBatch source;
    private final List<String[]> output;

    public WriteBatch(RowBatch source, List<String[]> output) {
        if (output.size() != source.size()) {
            throw new IllegalArgumentException(
                    "operation produced "
                            + output.size()
                            + " rows for a batch of "
                            + source.size());
        }
        this.source = source;
        this.output = List.copyOf(output);
    }

    public RowBatch source() {
        return source;
    }

    public String splitId() {
        return source.splitId();
    }

    public List<Key> keys() {
        return source.keys();
    }

    /** The values as read: the compare-and-set expectation. */
    public List<String[]> expected() {
        return source.values();
    }

    /** The values to write, one array per row. */
    public List<String[]> output() {
        return output;
    }

    public int size() {
        return source.size();
    }

    @Override
    public String toString() {
        return "WriteBatch{" + source + "}";
    }
}
