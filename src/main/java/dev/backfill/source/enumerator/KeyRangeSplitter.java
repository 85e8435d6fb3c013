package dev.backfill.source.enumerator;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.SplitProgress;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.SqlBuilder;
import dev.backfill.db.TableInfo;
import dev.backfill.sink.ReorgFailedException;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;
import dev.backfill.source.split.Key;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

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
public final class KeyRangeSplitter {
    private final String reorgId;
    private final TableInfo table;
    private final long splitRows;

    public KeyRangeSplitter(String reorgId, TableInfo table, long splitRows) {
        if (splitRows < 1) {
            throw new IllegalArgumentException("split-rows must be at least 1: " + splitRows);
        }
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
        if (pos.finished()) {
            throw new IllegalStateException("table " + pos.physicalTable() + " is already cut");
        }
        String id = BackfillSplit.splitId(pos.physicalTable(), pos.nextIndex());
        SplitProgress known = Catalog.findSplit(c, reorgId, id).orElse(null);
        if (known == null) {
            Key start = pos.lastEnd();
            Key end =
                    query(
                            c,
                            SqlBuilder.splitBoundary(
                                    quoted(pos), table.keyColumns(), start != null),
                            start,
                            splitRows - 1);
            boolean last = false;
            if (end == null) {
                end =
                        query(
                                c,
                                SqlBuilder.lastKey(quoted(pos), table.keyColumns(), start != null),
                                start,
                                -1);
                last = true;
                if (end == null) {
                    // Nothing after the previous split: the table is fully cut.
                    return new Cut(
                            null,
                            new SplitterPosition(
                                    pos.physicalTable(), pos.nextIndex(), start, true));
                }
            }
            BackfillSplit split =
                    new BackfillSplit(pos.physicalTable(), pos.nextIndex(), start, end, null);
            known =
                    Catalog.recordSplit(c, reorgId, split, last)
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

    private String quoted(SplitterPosition pos) {
        return table.scanSource(pos.physicalTable());
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
