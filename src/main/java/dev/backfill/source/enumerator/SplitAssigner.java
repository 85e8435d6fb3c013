package dev.backfill.source.enumerator;

import dev.backfill.model.SplitRange;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.annotation.Internal;

import javax.annotation.Nullable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

import static org.apache.flink.util.Preconditions.checkNotNull;
import static org.apache.flink.util.Preconditions.checkState;

/**
 * The split assignment policy of {@link BackfillSourceEnumerator}, without its lifecycle: which
 * splits are pending, which readers wait for one, which reader gets which split, which table to cut
 * next, and what a checkpoint holds. It does no I/O and knows neither the catalog connection nor
 * the enumerator context; the enumerator feeds it (a restore, the catalog's splits, a cut, splits
 * returned by a failed reader) and carries out what it decides (assign, signal no more splits,
 * cut).
 *
 * <p>Readers are served in the order they asked, pending splits in the order they were cut; splits
 * a failed reader returns go to the front, so they are read again first. The splitter cuts the
 * unfinished physical table with the fewest splits cut, so partitions advance side by side.
 *
 * <p>Not thread-safe: the enumerator calls it from the coordinator thread only.
 */
@Internal
public final class SplitAssigner {
    private final String reorgId;
    private final Deque<BackfillSplit> pending = new ArrayDeque<>();
    // Insertion-ordered: a checkpoint lists the positions in this order.
    private final Map<String, SplitterPosition> positions = new LinkedHashMap<>();
    private final Set<Integer> waiting = new LinkedHashSet<>();

    /** One split handed to one reader. */
    public static final class Assignment {
        public final int reader;
        public final BackfillSplit split;

        Assignment(int reader, BackfillSplit split) {
            this.reader = reader;
            this.split = split;
        }

        @Override
        public String toString() {
            return split + " -> " + reader;
        }
    }

    /**
     * An assigner for reorg {@code reorgId} (named in its errors), starting from a checkpoint's
     * pending splits and splitter positions, or empty when {@code restored} is null.
     */
    public SplitAssigner(String reorgId, @Nullable BackfillEnumState restored) {
        this.reorgId = checkNotNull(reorgId);
        if (restored != null) {
            pending.addAll(restored.unassigned());
            for (SplitterPosition p : restored.positions()) {
                positions.put(p.physicalTable(), p);
            }
        }
    }

    /** Gives every physical table without a position yet the position before its first cut. */
    public void startTables(List<String> physicalTables) {
        for (String physical : physicalTables) {
            positions.putIfAbsent(physical, KeyRangeSplitter.initial(physical));
        }
    }

    /**
     * Nothing is left to read (the reorg is already past the backfill): drops the pending splits
     * and marks every physical table fully cut.
     */
    public void finishAll(List<String> physicalTables) {
        pending.clear();
        for (String physical : physicalTables) {
            positions.put(physical, new SplitterPosition(physical, 0, null, true));
        }
    }

    /**
     * A split the catalog already records (resume without a savepoint): moves its table's splitter
     * past it, and makes it pending unless it is {@code done}. Its table must have a position
     * ({@link #startTables}).
     *
     * @param last whether the split is the last of its table
     */
    public void addKnown(SplitRange split, boolean done, boolean last) {
        String t = split.physicalTable();
        SplitterPosition cur = positions.get(t);
        checkState(
                cur != null,
                "reorg %s: catalog split %s is of an unknown table %s",
                reorgId,
                split.splitId(),
                t);
        if (split.index() >= cur.nextIndex()) {
            positions.put(t, new SplitterPosition(t, split.index() + 1, split.end(), last));
        }
        if (!done) {
            pending.add(BackfillSplit.of(split));
        }
    }

    /** The splitter moved in {@code position}'s table (a cut, or the end of the table). */
    public void advance(SplitterPosition position) {
        positions.put(position.physicalTable(), position);
    }

    /** A newly cut split, pending after all others. */
    public void addCut(BackfillSplit split) {
        pending.add(split);
    }

    /** Splits a reader returned (it failed): pending first, in their order. */
    public void addSplitsBack(List<BackfillSplit> splits) {
        for (int i = splits.size() - 1; i >= 0; i--) {
            pending.addFirst(splits.get(i));
        }
    }

    /** Reader {@code subtask} asks for a split. */
    public void addRequest(int subtask) {
        waiting.add(subtask);
    }

    /**
     * Hands pending splits to waiting readers, one each, in the order they asked; a waiting reader
     * that is no longer {@code registered} is dropped. Readers left waiting need a cut, or get no
     * more splits.
     */
    public List<Assignment> assign(IntPredicate registered) {
        List<Assignment> out = new ArrayList<>();
        while (!waiting.isEmpty() && !pending.isEmpty()) {
            int reader = waiting.iterator().next();
            waiting.remove(reader);
            if (!registered.test(reader)) {
                continue;
            }
            out.add(new Assignment(reader, pending.poll()));
        }
        return out;
    }

    /** True when readers wait that no pending split serves. */
    public boolean hasWaiting() {
        return !waiting.isEmpty();
    }

    /**
     * The waiting readers, who are done with waiting: they get no more splits. Call only when
     * {@link #nextToCut()} is null.
     */
    public List<Integer> takeWaiting() {
        List<Integer> readers = new ArrayList<>(waiting);
        waiting.clear();
        return readers;
    }

    /**
     * The position of the unfinished table with the fewest splits cut, where the next cut goes;
     * null when every table is fully cut.
     */
    @Nullable
    public SplitterPosition nextToCut() {
        return positions.values().stream()
                .filter(p -> !p.finished())
                .min(Comparator.comparingInt(SplitterPosition::nextIndex))
                .orElse(null);
    }

    /** True when every table is fully cut. */
    public boolean fullySplit() {
        return nextToCut() == null;
    }

    /** The number of splits cut and not yet handed out. */
    public int pendingCount() {
        return pending.size();
    }

    /** The splitter positions, in their table's order. */
    public List<SplitterPosition> positions() {
        return new ArrayList<>(positions.values());
    }

    /** The checkpoint: pending splits and splitter positions. */
    public BackfillEnumState snapshotState() {
        return new BackfillEnumState(new ArrayList<>(pending), new ArrayList<>(positions.values()));
    }
}
