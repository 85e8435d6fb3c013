package dev.backfill.source.enumerator;

import dev.backfill.model.Key;
import dev.backfill.model.SplitRange;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link SplitAssigner}'s policy, without a database or an enumerator context. */
class SplitAssignerTest {

    private static BackfillSplit split(String table, int index) {
        return new BackfillSplit(
                table,
                index,
                index == 0 ? null : Key.of(10L * index),
                Key.of(10L * index + 10),
                null);
    }

    private static SplitRange range(String table, int index) {
        return new SplitRange(
                table,
                index,
                index == 0 ? null : Key.of(10L * index),
                Key.of(10L * index + 10),
                null);
    }

    private static String assignments(List<SplitAssigner.Assignment> as) {
        return as.stream()
                .map(a -> a.split.splitId() + "->" + a.reader)
                .collect(Collectors.joining(", "));
    }

    @Test
    void aRestoredStateIsSnapshottedAsItWasRestored() {
        BackfillEnumState state =
                new BackfillEnumState(
                        List.of(split("s.t", 3), split("s.u", 1)),
                        List.of(
                                new SplitterPosition("s.u", 2, Key.of(30L), false),
                                new SplitterPosition("s.t", 4, Key.of(50L), true)));

        SplitAssigner assigner = new SplitAssigner("r", state);
        // Tables the plan lists in another order keep the restored order; a new one comes last.
        assigner.startTables(List.of("s.t", "s.u", "s.v"));

        assertThat(assigner.snapshotState())
                .isEqualTo(
                        new BackfillEnumState(
                                state.unassigned(),
                                List.of(
                                        state.positions().get(0),
                                        state.positions().get(1),
                                        KeyRangeSplitter.initial("s.v"))));
        assertThat(assigner.pendingCount()).isEqualTo(2);
    }

    @Test
    void aFreshAssignerHasNothingPendingAndCutsFromTheStart() {
        SplitAssigner assigner = new SplitAssigner("r", null);
        assigner.startTables(List.of("s.t"));

        assertThat(assigner.snapshotState())
                .isEqualTo(
                        new BackfillEnumState(List.of(), List.of(KeyRangeSplitter.initial("s.t"))));
        assertThat(assigner.nextToCut()).isEqualTo(KeyRangeSplitter.initial("s.t"));
        assertThat(assigner.fullySplit()).isFalse();
    }

    @Test
    void knownSplitsMoveTheSplitterPastThemAndOnlyUnfinishedOnesArePending() {
        SplitAssigner assigner = new SplitAssigner("r", null);
        assigner.startTables(List.of("s.t", "s.u"));

        assigner.addKnown(range("s.t", 0), true, false);
        assigner.addKnown(range("s.t", 2), false, true);
        assigner.addKnown(range("s.t", 1), false, false); // an older split does not move it back
        assigner.addKnown(range("s.u", 0), false, false);

        assertThat(assigner.snapshotState().unassigned())
                .containsExactly(split("s.t", 2), split("s.t", 1), split("s.u", 0));
        assertThat(assigner.positions())
                .containsExactly(
                        new SplitterPosition("s.t", 3, Key.of(30L), true),
                        new SplitterPosition("s.u", 1, Key.of(10L), false));
        // s.t is fully cut: the next cut is s.u's.
        assertThat(assigner.nextToCut())
                .isEqualTo(new SplitterPosition("s.u", 1, Key.of(10L), false));
    }

    @Test
    void aKnownSplitOfATableThePlanDoesNotHaveIsRefusedNamingTheSplitAndTable() {
        SplitAssigner assigner = new SplitAssigner("r7", null);
        assigner.startTables(List.of("s.t"));

        assertThatThrownBy(() -> assigner.addKnown(range("s.gone", 4), false, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("reorg r7: catalog split s.gone:4 is of an unknown table s.gone");
    }

    @Test
    void theNextCutIsInTheUnfinishedTableWithFewestSplitsCut() {
        SplitAssigner assigner =
                new SplitAssigner(
                        "r",
                        new BackfillEnumState(
                                List.of(),
                                List.of(
                                        new SplitterPosition("s.a", 1, Key.of(5L), true),
                                        new SplitterPosition("s.b", 3, Key.of(7L), false),
                                        new SplitterPosition("s.c", 2, Key.of(9L), false))));

        assertThat(assigner.nextToCut().physicalTable()).isEqualTo("s.c");

        assigner.advance(new SplitterPosition("s.c", 4, Key.of(11L), false));
        assertThat(assigner.nextToCut().physicalTable()).isEqualTo("s.b");

        assigner.advance(new SplitterPosition("s.b", 3, Key.of(7L), true));
        assigner.advance(new SplitterPosition("s.c", 4, Key.of(11L), true));
        assertThat(assigner.nextToCut()).isNull();
        assertThat(assigner.fullySplit()).isTrue();
    }

    @Test
    void readersGetOneSplitEachInTheOrderTheyAskedAndGoneReadersAreDropped() {
        SplitAssigner assigner = new SplitAssigner("r", null);
        assigner.addCut(split("s.t", 0));
        assigner.addCut(split("s.t", 1));

        assigner.addRequest(2);
        assigner.addRequest(0);
        assigner.addRequest(2); // asking twice is asking once
        assigner.addRequest(5); // gone by the time splits are handed out
        assigner.addRequest(1);

        Set<Integer> registered = Set.of(0, 1, 2);
        assertThat(assignments(assigner.assign(registered::contains)))
                .isEqualTo("s.t:0->2, s.t:1->0");
        // Reader 5 is dropped once a split would be its turn; reader 1 still waits.
        assigner.addCut(split("s.t", 2));
        assertThat(assignments(assigner.assign(registered::contains))).isEqualTo("s.t:2->1");
        assertThat(assigner.hasWaiting()).isFalse();
        assertThat(assigner.pendingCount()).isZero();
    }

    @Test
    void withNothingPendingReadersKeepWaitingForACut() {
        SplitAssigner assigner = new SplitAssigner("r", null);
        assigner.addRequest(0);

        assertThat(assigner.assign(r -> true)).isEmpty();
        assertThat(assigner.hasWaiting()).isTrue();

        assigner.addCut(split("s.t", 0));
        assertThat(assignments(assigner.assign(r -> true))).isEqualTo("s.t:0->0");
    }

    @Test
    void whenEverythingIsCutTheWaitingReadersAreTakenOnce() {
        SplitAssigner assigner = new SplitAssigner("r", null);
        assigner.finishAll(List.of("s.t"));
        assigner.addRequest(1);
        assigner.addRequest(0);

        assertThat(assigner.nextToCut()).isNull();
        assertThat(assigner.takeWaiting()).containsExactly(1, 0);
        assertThat(assigner.hasWaiting()).isFalse();
        assertThat(assigner.takeWaiting()).isEmpty();
    }

    @Test
    void splitsReturnedByAFailedReaderAreHandedOutFirstInTheirOrder() {
        SplitAssigner assigner = new SplitAssigner("r", null);
        assigner.addCut(split("s.t", 5));

        assigner.addSplitsBack(List.of(split("s.t", 1), split("s.t", 2)));

        assertThat(assigner.snapshotState().unassigned())
                .containsExactly(split("s.t", 1), split("s.t", 2), split("s.t", 5));
        assigner.addRequest(0);
        assertThat(assignments(assigner.assign(r -> true))).isEqualTo("s.t:1->0");
    }

    @Test
    void finishingAllDropsPendingSplitsAndMarksEveryTableCut() {
        SplitAssigner assigner =
                new SplitAssigner(
                        "r",
                        new BackfillEnumState(
                                List.of(split("s.t", 3)),
                                List.of(new SplitterPosition("s.t", 4, Key.of(40L), false))));

        assigner.finishAll(List.of("s.t", "s.u"));

        assertThat(assigner.snapshotState())
                .isEqualTo(
                        new BackfillEnumState(
                                List.of(),
                                List.of(
                                        new SplitterPosition("s.t", 0, null, true),
                                        new SplitterPosition("s.u", 0, null, true))));
        assertThat(assigner.fullySplit()).isTrue();
    }
}
