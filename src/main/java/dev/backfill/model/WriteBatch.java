package dev.backfill.model;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;
import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * What the sink writes for one {@link RowBatch}, in one transaction: per row, its key, the values
 * it was read with (the compare-and-set expectation) and the values to write (the index entry's
 * indexed columns, or a converted value). Built by an operation ({@code op.Operation}).
 */
@Internal
public final class WriteBatch {
    private final RowBatch source;
    private final List<String[]> output;
    private final String failure;

    public WriteBatch(RowBatch source, List<String[]> output) {
        this(source, output, null);
    }

    private WriteBatch(RowBatch source, List<String[]> output, String failure) {
        checkArgument(
                output.size() == source.size(),
                "operation produced %s rows for a batch of %s",
                output.size(),
                source.size());
        this.source = source;
        this.output = List.copyOf(output);
        this.failure = failure;
    }

    /**
     * A batch the operation could not build, e.g. {@code cannot convert column 'c' of row 7: value
     * 'x' is not an integer}: the sink fails the reorg with this message and writes nothing.
     */
    public static WriteBatch failed(RowBatch source, String failure) {
        List<String[]> none = new ArrayList<>();
        for (int i = 0; i < source.size(); i++) {
            none.add(new String[0]);
        }
        return new WriteBatch(source, none, checkNotNull(failure));
    }

    /** Why the operation could not build this batch, or null. */
    public String failure() {
        return failure;
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
