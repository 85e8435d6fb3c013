package dev.backfill.source.enumerator;

import dev.backfill.model.Key;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Objects;

import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * The enumerator's checkpoint: the splits cut but not yet assigned, and the splitter's position
 * (per physical table, the end key of the last split cut, and whether the table is fully cut).
 */
@Internal
public final class BackfillEnumState {
    private final List<BackfillSplit> unassigned;
    private final List<SplitterPosition> positions;

    public BackfillEnumState(List<BackfillSplit> unassigned, List<SplitterPosition> positions) {
        this.unassigned = List.copyOf(unassigned);
        this.positions = List.copyOf(positions);
    }

    public List<BackfillSplit> unassigned() {
        return unassigned;
    }

    public List<SplitterPosition> positions() {
        return positions;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackfillEnumState
                && unassigned.equals(((BackfillEnumState) o).unassigned)
                && positions.equals(((BackfillEnumState) o).positions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(unassigned, positions);
    }

    @Override
    public String toString() {
        return "BackfillEnumState{unassigned=" + unassigned + ", positions=" + positions + "}";
    }

    /** How far the splitter got in one physical table. */
    public static final class SplitterPosition {
        private final String physicalTable;
        private final int nextIndex;
        private final Key lastEnd;
        private final boolean finished;

        public SplitterPosition(
                String physicalTable, int nextIndex, Key lastEnd, boolean finished) {
            this.physicalTable = checkNotNull(physicalTable);
            this.nextIndex = nextIndex;
            this.lastEnd = lastEnd;
            this.finished = finished;
        }

        public String physicalTable() {
            return physicalTable;
        }

        /** The index the next split cut will get. */
        public int nextIndex() {
            return nextIndex;
        }

        /** The end key of the last split cut, or null when none was cut yet. */
        public Key lastEnd() {
            return lastEnd;
        }

        /** True once the table's whole key space is cut. */
        public boolean finished() {
            return finished;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof SplitterPosition)) {
                return false;
            }
            SplitterPosition p = (SplitterPosition) o;
            return nextIndex == p.nextIndex
                    && finished == p.finished
                    && physicalTable.equals(p.physicalTable)
                    && Objects.equals(lastEnd, p.lastEnd);
        }

        @Override
        public int hashCode() {
            return Objects.hash(physicalTable, nextIndex, lastEnd, finished);
        }

        @Override
        public String toString() {
            return physicalTable + "@" + nextIndex + "/" + lastEnd + (finished ? " done" : "");
        }
    }
}
