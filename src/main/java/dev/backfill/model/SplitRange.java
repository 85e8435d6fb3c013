package dev.backfill.model;

import org.apache.flink.annotation.Internal;

import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * A split as the catalog records it: the key range {@code (start, end]} of one physical table, and
 * the last key whose batch committed. The Flink split type ({@code source.split.BackfillSplit})
 * carries the same five fields; this one is what the catalog reads and writes, so that the database
 * floor need not know Flink's split.
 *
 * <p>{@code start} is exclusive and null for the first split of a table; {@code end} is inclusive
 * and always a real key; {@code watermark} is null until a batch of the split has committed.
 *
 * @param physicalTable the schema-qualified physical table, unquoted, e.g. {@code demo.orders}
 * @param index the split's number within its table, from 0
 * @param start the exclusive lower bound, or null for the table's first split
 * @param end the inclusive upper bound
 * @param watermark the last committed key, or null
 */
@Internal
public record SplitRange(String physicalTable, int index, Key start, Key end, Key watermark) {

    public SplitRange {
        checkNotNull(physicalTable, "physicalTable");
        checkNotNull(end, "end");
    }

    /** A split's deterministic id: {@code <physical table>:<index>}. */
    public static String splitId(String physicalTable, int index) {
        return physicalTable + ":" + index;
    }

    /** This split's id, {@link #splitId(String, int)}. */
    public String splitId() {
        return splitId(physicalTable, index);
    }

    @Override
    public String toString() {
        return splitId() + " (" + start + ", " + end + "] watermark=" + watermark;
    }
}
