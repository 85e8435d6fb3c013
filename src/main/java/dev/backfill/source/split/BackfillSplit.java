package dev.backfill.source.split;

import dev.backfill.model.Key;
import dev.backfill.model.SplitRange;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceSplit;

import java.io.Serializable;
import java.util.Objects;

import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * A key range {@code (start, end]} of one physical table: our "region". Created by the enumerator's
 * splitter, recorded in {@code backfill.progress} when it is created, and read by one reader.
 *
 * <p>{@code start} is exclusive and null for the first split of a table; {@code end} is inclusive
 * and always a real key (the last split ends at the largest key seen when it was cut, so there is
 * no open-ended last split: rows inserted later are maintained by the triggers). {@code watermark}
 * is the last key whose batch committed, or null when none has; reading resumes strictly after it.
 *
 * <p>Split ids are deterministic: {@code <physical table>:<n>}.
 */
@Internal
public final class BackfillSplit implements SourceSplit, Serializable {
    private static final long serialVersionUID = 1L;

    private final String physicalTable;
    private final int index;
    private final Key start;
    private final Key end;
    private final Key watermark;

    public BackfillSplit(String physicalTable, int index, Key start, Key end, Key watermark) {
        this.physicalTable = checkNotNull(physicalTable, "physicalTable");
        this.index = index;
        this.start = start;
        this.end = checkNotNull(end, "end");
        this.watermark = watermark;
    }

    /** The Flink split of a split the catalog recorded. */
    public static BackfillSplit of(SplitRange range) {
        return new BackfillSplit(
                range.physicalTable(),
                range.index(),
                range.start(),
                range.end(),
                range.watermark());
    }

    /** This split as the catalog records it. */
    public SplitRange range() {
        return new SplitRange(physicalTable, index, start, end, watermark);
    }

    public static String splitId(String physicalTable, int index) {
        return SplitRange.splitId(physicalTable, index);
    }

    @Override
    public String splitId() {
        return splitId(physicalTable, index);
    }

    /** The schema-qualified physical table, unquoted, e.g. {@code demo.orders}. */
    public String physicalTable() {
        return physicalTable;
    }

    public int index() {
        return index;
    }

    /** Exclusive lower bound; null for the first split. */
    public Key start() {
        return start;
    }

    /** Inclusive upper bound. */
    public Key end() {
        return end;
    }

    /** The last committed key, or null. */
    public Key watermark() {
        return watermark;
    }

    public BackfillSplit withWatermark(Key newWatermark) {
        return new BackfillSplit(physicalTable, index, start, end, newWatermark);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BackfillSplit)) {
            return false;
        }
        BackfillSplit s = (BackfillSplit) o;
        return index == s.index
                && physicalTable.equals(s.physicalTable)
                && Objects.equals(start, s.start)
                && end.equals(s.end)
                && Objects.equals(watermark, s.watermark);
    }

    @Override
    public int hashCode() {
        return Objects.hash(physicalTable, index, start, end, watermark);
    }

    @Override
    public String toString() {
        return splitId() + " (" + start + ", " + end + "] watermark=" + watermark;
    }
}
