package dev.backfill.model;

import org.apache.flink.annotation.Internal;

import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;
import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * One keyset page of one split, as the reader read it: the record type of the source. It carries
 * the watermark it starts from ({@code from}: the split's committed watermark when it was read,
 * null for a split's first page) and the key it ends at ({@code to}: the last row's key, null for
 * the empty closing page), so that the sink can commit {@code (from, to]} as a compare-and-set.
 *
 * <p>Rows are the key and the operation's columns, in PostgreSQL text form (null for SQL NULL). On
 * the range path ({@code WritePath.RANGE}) a row has no values (an empty array) and the batch
 * stands for its key range {@code (after, to]}: {@link #after()} is {@code from}, or the split's
 * start for a split's first page.
 */
@Internal
public final class RowBatch {
    private final String splitId;
    private final String physicalTable;
    private final Key from;
    private final Key to;
    private final Key after;
    private final List<Key> keys;
    private final List<String[]> values;
    private final boolean last;

    /** A batch whose range starts at {@code from} (for a split without a start, or tests). */
    public RowBatch(
            String splitId,
            String physicalTable,
            Key from,
            Key to,
            List<Key> keys,
            List<String[]> values,
            boolean last) {
        this(splitId, physicalTable, from, to, from, keys, values, last);
    }

    /**
     * @param after the exclusive lower bound of the page's key range: {@code from}, or the split's
     *     start when {@code from} is null (null: unbounded)
     */
    public RowBatch(
            String splitId,
            String physicalTable,
            Key from,
            Key to,
            Key after,
            List<Key> keys,
            List<String[]> values,
            boolean last) {
        checkArgument(
                from == null || from.equals(after),
                "batch of split %s starts after %s but its watermark is %s",
                splitId,
                after,
                from);
        checkArgument(
                keys.size() == values.size(),
                "batch of split %s has %s keys but %s value rows",
                splitId,
                keys.size(),
                values.size());
        this.splitId = checkNotNull(splitId);
        this.physicalTable = checkNotNull(physicalTable);
        this.from = from;
        this.to = to;
        this.after = after;
        this.keys = List.copyOf(keys);
        this.values = List.copyOf(values);
        this.last = last;
    }

    public String splitId() {
        return splitId;
    }

    public String physicalTable() {
        return physicalTable;
    }

    /** The committed watermark this page starts after; null for a split's first page. */
    public Key from() {
        return from;
    }

    /** The last key of this page; null when the page is empty. */
    public Key to() {
        return to;
    }

    /**
     * The exclusive lower bound of the page's key range, {@code (after, to]}: the watermark {@link
     * #from()}, or the split's start for its first page; null when unbounded.
     */
    public Key after() {
        return after;
    }

    public List<Key> keys() {
        return keys;
    }

    public List<String[]> values() {
        return values;
    }

    public int size() {
        return keys.size();
    }

    /** True for the split's last page: committing it marks the split done. */
    public boolean last() {
        return last;
    }

    @Override
    public String toString() {
        return "RowBatch{"
                + splitId
                + " ("
                + from
                + ", "
                + to
                + "], "
                + keys.size()
                + " rows"
                + (last ? ", last" : "")
                + "}";
    }
}
