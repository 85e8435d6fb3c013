package dev.backfill.source.enumerator;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.SplitProgress;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.KeySql;
import dev.backfill.db.TableInfo;
import dev.backfill.model.Key;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;
import static org.apache.flink.util.Preconditions.checkState;

/**
 * Cuts a physical table's key space into splits of about {@code splitRows} rows, one split at a
 * time, on demand: the end of the next split is the key {@code splitRows} rows after the previous
 * end, found with a keyset {@code OFFSET} on the primary key's B-tree. This works for any key type
 * and shape (composite, text, uuid, skewed) and yields splits of exactly {@code splitRows} rows at
 * the time of the cut. The last split ends at the largest key present then, so no split is
 * open-ended: rows inserted later are kept by the triggers.
 *
 * <p>Every cut split is recorded in {@code backfill.progress} before it is handed out. A split
 * index that is already recorded (cut by an earlier attempt, before a restore or a restart) is
 * taken from the catalog instead of being cut again, so split ids always mean the same range.
 */
@Internal
public final class KeyRangeSplitter {
    private final String reorgId;
    private final TableInfo table;
    private final long splitRows;

    public KeyRangeSplitter(String reorgId, TableInfo table, long splitRows) {
        checkArgument(splitRows >= 1, "split-rows must be at least 1: %s", splitRows);
        this.reorgId = reorgId;
        this.table = table;
        this.splitRows = splitRows;
    }

    /**
     * The result of one cut: the split (null when the table had no more rows) and the new position.
     */
    public static final class Cut {
        public final SplitProgress split;
        public final SplitterPosition position;

        Cut(SplitProgress split, SplitterPosition position) {
            this.split = split;
            this.position = position;
        }
    }

    /** The position before any cut of {@code physicalTable}. */
    public static SplitterPosition initial(String physicalTable) {
        return new SplitterPosition(physicalTable, 0, null, false);
    }

    /** Cuts (or re-reads) the split after {@code pos}. {@code pos} must not be finished. */
    public Cut cutNext(Connection c, SplitterPosition pos) throws SQLException {
        checkState(!pos.finished(), "table %s is already cut", pos.physicalTable());
        String id = BackfillSplit.splitId(pos.physicalTable(), pos.nextIndex());
        SplitProgress known = Catalog.findSplit(c, reorgId, id).orElse(null);
        if (known == null) {
            Key start = pos.lastEnd();
            Bound bound = nextBound(c, pos.physicalTable(), start);
            if (bound == null) {
                // Nothing after the previous split: the table is fully cut.
                return new Cut(
                        null,
                        new SplitterPosition(pos.physicalTable(), pos.nextIndex(), start, true));
            }
            BackfillSplit split =
                    new BackfillSplit(pos.physicalTable(), pos.nextIndex(), start, bound.end, null);
            known =
                    Catalog.recordSplit(c, reorgId, split.range(), bound.last)
                            .orElseThrow(
                                    () ->
                                            new ReorgFailedException(
                                                    "reorg "
                                                            + reorgId
                                                            + " is no longer running (aborted);"
                                                            + " the job stops"));
        }
        return new Cut(
                known,
                new SplitterPosition(
                        pos.physicalTable(), pos.nextIndex() + 1, known.split.end(), known.last));
    }

    /** The end of the split after {@code start}, and whether it is the table's last one. */
    private static final class Bound {
        final Key end;
        final boolean last;

        Bound(Key end, boolean last) {
            this.end = end;
            this.last = last;
        }
    }

    /**
     * The end of the split that starts after {@code start} (null: the table's beginning): the key
     * {@code splitRows} rows on, or else the largest key (the last split); null when no row is
     * after {@code start}. Only reads.
     */
    private Bound nextBound(Connection c, String physicalTable, Key start) throws SQLException {
        String source = table.scanSource(physicalTable);
        Key end =
                query(
                        c,
                        KeySql.splitBoundary(source, table.keyColumns(), start != null),
                        start,
                        splitRows - 1);
        if (end != null) {
            return new Bound(end, false);
        }
        end = query(c, KeySql.lastKey(source, table.keyColumns(), start != null), start, -1);
        return end == null ? null : new Bound(end, true);
    }

    /** A split as {@link #preview} would cut it now, with whether it is its table's last. */
    public static final class PreviewSplit {
        public final BackfillSplit split;
        public final boolean last;

        PreviewSplit(BackfillSplit split, boolean last) {
            this.split = split;
            this.last = last;
        }
    }

    /**
     * The splits of {@code physicalTable} as {@link #cutNext} would cut them from scratch right
     * now, for {@code scripts/backfill plan}: the same queries, but nothing is recorded in the
     * catalog and the catalog is not read. Each cut is its own short transaction ({@code c} must
     * not be in autocommit mode; it is committed after every cut, as the enumerator does), so no
     * snapshot is held across the table. The result shows the first {@code head} splits and the
     * last {@code tail}, and counts them all.
     */
    public Preview preview(Connection c, String physicalTable, int head, int tail)
            throws SQLException {
        List<PreviewSplit> first = new ArrayList<>();
        Deque<PreviewSplit> lastOnes = new ArrayDeque<>();
        Key start = null;
        int index = 0;
        while (true) {
            Bound bound = nextBound(c, physicalTable, start);
            c.commit();
            if (bound == null) {
                break;
            }
            PreviewSplit s =
                    new PreviewSplit(
                            new BackfillSplit(physicalTable, index, start, bound.end, null),
                            bound.last);
            if (first.size() < head) {
                first.add(s);
            } else if (tail > 0) {
                lastOnes.addLast(s);
                if (lastOnes.size() > tail) {
                    lastOnes.removeFirst();
                }
            }
            index++;
            if (bound.last) {
                break;
            }
            start = bound.end;
        }
        first.addAll(lastOnes);
        return new Preview(first, index);
    }

    /** The splits of one physical table in a dry run: some shown, all counted. */
    public static final class Preview {
        /** The first and last few, in key order. */
        public final List<PreviewSplit> shown;

        public final int total;

        Preview(List<PreviewSplit> shown, int total) {
            this.shown = List.copyOf(shown);
            this.total = total;
        }
    }

    private Key query(Connection c, String sql, Key after, long offset) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (after != null) {
                i = KeyCodec.bind(ps, i, after);
            }
            if (offset >= 0) {
                ps.setLong(i, offset);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? KeyCodec.read(rs, 1, table.keyColumns()) : null;
            }
        }
    }
}
