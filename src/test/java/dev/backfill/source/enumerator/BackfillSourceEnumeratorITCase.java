package dev.backfill.source.enumerator;

import dev.backfill.db.Catalog;
import dev.backfill.db.KeyCodec;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.model.Key;
import dev.backfill.op.ReorgPlan;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.source.BackfillSource;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.connector.testutils.source.reader.TestingSplitEnumeratorContext;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BackfillSourceEnumerator} against a real PostgreSQL, driven through Flink's {@link
 * TestingSplitEnumeratorContext}: its {@code callAsync} queues the work on a manually triggered
 * executor, and {@link #runAsync} runs everything queued (including work queued by the handlers) on
 * the test thread, so each step is deterministic.
 *
 * <p>The table {@code public.t} has 1,050 rows with keys 3, 6, ..., 3150 and split-rows is 100: 11
 * splits, {@code public.t:0} to {@code public.t:10}, the last one of 50 rows.
 */
class BackfillSourceEnumeratorITCase {
    private static final String TABLE = "public.t";
    private static final int ROWS = 1050;
    private static final int SPLITS = 11;
    private static final String TUNING = "  parallelism: 2\n  batch-size: 50\n  split-rows: 100\n";

    /** A prepared reorg: its database and plan. */
    private static final class Prepared {
        final DataSource ds;
        final ReorgPlan plan;
        final BackfillSource source;

        Prepared(DataSource ds, ReorgPlan plan) {
            this.ds = ds;
            this.plan = plan;
            this.source = new BackfillSource(plan);
        }

        String progressWhere() {
            return " FROM backfill.progress WHERE reorg_id = '" + plan.reorgId() + "'";
        }
    }

    @Test
    void twoReadersGetOneSplitPerRequestOnDemandThenNoMoreSplits() throws Exception {
        Prepared p = prepare("enumerator_it_on_demand", fullTable());
        TestingSplitEnumeratorContext<BackfillSplit> ctx = context(2);

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e = p.source.createEnumerator(ctx)) {
            e.start();
            runAsync(ctx);
            // Started, but nobody asked: nothing is handed out, and nothing is cut ahead of demand.
            assertThat(ctx.getSplitAssignments()).isEmpty();
            assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isZero();

            e.handleSplitRequest(0, "host-0");
            runAsync(ctx);
            assertThat(assigned(ctx, 0)).hasSize(1);
            assertThat(assigned(ctx, 1)).isEmpty();
            assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(1);

            e.handleSplitRequest(1, "host-1");
            runAsync(ctx);
            assertThat(assigned(ctx, 0)).hasSize(1);
            assertThat(assigned(ctx, 1)).hasSize(1);
            assertThat(assigned(ctx, 0).get(0)).isNotEqualTo(assigned(ctx, 1).get(0));

            // Each further request gets exactly one split, to the reader that asked only.
            int reader = 0;
            for (int handedOut = 2; handedOut < SPLITS; handedOut++) {
                int other = 1 - reader;
                int mine = assigned(ctx, reader).size();
                int theirs = assigned(ctx, other).size();
                e.handleSplitRequest(reader, "host-" + reader);
                runAsync(ctx);
                assertThat(assigned(ctx, reader)).hasSize(mine + 1);
                assertThat(assigned(ctx, other)).hasSize(theirs);
                assertThat(noMoreSplits(ctx, reader)).isFalse();
                reader = other;
            }

            // Everything is handed out: every further request is answered with no more splits.
            e.handleSplitRequest(reader, "host-" + reader);
            runAsync(ctx);
            assertThat(noMoreSplits(ctx, reader)).isTrue();
            assertThat(noMoreSplits(ctx, 1 - reader)).isFalse();
            e.handleSplitRequest(1 - reader, "host-" + (1 - reader));
            runAsync(ctx);
            assertThat(noMoreSplits(ctx, 1 - reader)).isTrue();
            assertThat(assigned(ctx, 0).size() + assigned(ctx, 1).size()).isEqualTo(SPLITS);
        }

        List<BackfillSplit> all = new ArrayList<>(assigned(ctx, 0));
        all.addAll(assigned(ctx, 1));
        assertThat(all.stream().map(BackfillSplit::splitId))
                .containsExactlyInAnyOrderElementsOf(
                        IntStream.range(0, SPLITS)
                                .mapToObj(i -> TABLE + ":" + i)
                                .collect(Collectors.toList()));
        // Every split handed out is in the catalog, with the same range.
        assertThat(
                        strings(
                                p.ds,
                                "SELECT split_id || ' ' || coalesce(start_key, '-') || ' ' || end_key"
                                        + p.progressWhere()))
                .containsExactlyInAnyOrderElementsOf(
                        all.stream().map(BackfillSourceEnumeratorITCase::catalogForm).toList());
        assertThat(all).allMatch(s -> s.watermark() == null);
        assertCoversEveryRowOnce(p, all);
    }

    @Test
    void splitsAddedBackGoToTheFrontOfTheQueueForTheNextRequest() throws Exception {
        Prepared p = prepare("enumerator_it_added_back", fullTable());
        TestingSplitEnumeratorContext<BackfillSplit> ctx = context(2);

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e = p.source.createEnumerator(ctx)) {
            e.start();
            runAsync(ctx);
            e.handleSplitRequest(0, "host-0");
            e.handleSplitRequest(1, "host-1");
            runAsync(ctx);
            BackfillSplit first = assigned(ctx, 0).get(0);
            BackfillSplit second = assigned(ctx, 1).get(0);
            assertThat(first.splitId()).isEqualTo(TABLE + ":0");
            assertThat(second.splitId()).isEqualTo(TABLE + ":1");

            // Reader 1 fails, then reader 0: their splits come back, the latest in front.
            e.addSplitsBack(List.of(second), 1);
            e.addSplitsBack(List.of(first), 0);
            assertThat(e.snapshotState(1).unassigned()).containsExactly(first, second);

            e.handleSplitRequest(1, "host-1");
            runAsync(ctx);
            assertThat(assigned(ctx, 1)).containsExactly(second, first);
            e.handleSplitRequest(1, "host-1");
            runAsync(ctx);
            assertThat(assigned(ctx, 1)).containsExactly(second, first, second);
            // No split was cut for these requests: the returned ones were served first.
            assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(2);

            // With the returned splits served, the next request gets a newly cut one.
            e.handleSplitRequest(0, "host-0");
            runAsync(ctx);
            assertThat(assigned(ctx, 0))
                    .extracting(BackfillSplit::splitId)
                    .containsExactly(TABLE + ":0", TABLE + ":2");
            assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(3);
        }
    }

    @Test
    void aRestoredEnumeratorContinuesWithTheCheckpointedSplitsWithoutRecuttingOrDuplicating()
            throws Exception {
        Prepared p = prepare("enumerator_it_restore", fullTable());
        TestingSplitEnumeratorContext<BackfillSplit> ctx1 = context(2);
        List<BackfillSplit> heldAtCheckpoint = new ArrayList<>();
        BackfillEnumState checkpoint;

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e =
                p.source.createEnumerator(ctx1)) {
            e.start();
            runAsync(ctx1);
            for (int i = 0; i < 4; i++) {
                e.handleSplitRequest(i % 2, "host");
                runAsync(ctx1);
            }
            // Reader 1 fails: its latest split (public.t:3) comes back and waits in the queue.
            BackfillSplit returned = assigned(ctx1, 1).get(1);
            e.addSplitsBack(List.of(returned), 1);
            heldAtCheckpoint.addAll(assigned(ctx1, 0));
            heldAtCheckpoint.add(assigned(ctx1, 1).get(0));

            checkpoint = roundTrip(e.snapshotState(7));
            assertThat(checkpoint.unassigned()).containsExactly(returned);
            assertThat(checkpoint.positions()).hasSize(1);
            assertThat(checkpoint.positions().get(0).nextIndex()).isEqualTo(4);
            assertThat(checkpoint.positions().get(0).finished()).isFalse();
        }
        assertThat(heldAtCheckpoint)
                .extracting(BackfillSplit::splitId)
                .containsExactlyInAnyOrder(TABLE + ":0", TABLE + ":1", TABLE + ":2");
        assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(4);

        TestingSplitEnumeratorContext<BackfillSplit> ctx2 = context(2);
        List<BackfillSplit> afterRestore = new ArrayList<>();
        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e =
                p.source.restoreEnumerator(ctx2, checkpoint)) {
            e.start();
            runAsync(ctx2);
            assertThat(ctx2.getSplitAssignments()).isEmpty();

            e.handleSplitRequest(1, "host-1");
            runAsync(ctx2);
            // The checkpointed split comes first, as it was.
            assertThat(assigned(ctx2, 1)).containsExactly(checkpoint.unassigned().get(0));

            drain(e, ctx2);
            afterRestore.addAll(assigned(ctx2, 0));
            afterRestore.addAll(assigned(ctx2, 1));
        }

        assertThat(afterRestore)
                .extracting(BackfillSplit::splitId)
                .containsExactlyInAnyOrderElementsOf(
                        IntStream.range(3, SPLITS)
                                .mapToObj(i -> TABLE + ":" + i)
                                .collect(Collectors.toList()));
        List<BackfillSplit> union = new ArrayList<>(heldAtCheckpoint);
        union.addAll(afterRestore);
        assertThat(union.stream().map(BackfillSplit::splitId).distinct()).hasSize(SPLITS);
        assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(SPLITS);
        assertThat(
                        strings(
                                p.ds,
                                "SELECT split_id || ' ' || coalesce(start_key, '-') || ' ' || end_key"
                                        + p.progressWhere()))
                .containsExactlyInAnyOrderElementsOf(
                        union.stream().map(BackfillSourceEnumeratorITCase::catalogForm).toList());
        assertCoversEveryRowOnce(p, union);
    }

    @Test
    void aSplitCutAfterTheCheckpointIsHandedOutAgainWithItsRecordedRangeAfterARestore()
            throws Exception {
        Prepared p = prepare("enumerator_it_restore_recut", fullTable());
        TestingSplitEnumeratorContext<BackfillSplit> ctx1 = context(2);
        List<BackfillSplit> heldAtCheckpoint;
        BackfillSplit cutAfterCheckpoint;
        BackfillEnumState checkpoint;

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e =
                p.source.createEnumerator(ctx1)) {
            e.start();
            runAsync(ctx1);
            e.handleSplitRequest(0, "host-0");
            e.handleSplitRequest(1, "host-1");
            runAsync(ctx1);
            heldAtCheckpoint = List.of(assigned(ctx1, 0).get(0), assigned(ctx1, 1).get(0));
            checkpoint = roundTrip(e.snapshotState(1));

            // After the checkpoint, split 2 is cut and handed out; then the job fails.
            e.handleSplitRequest(0, "host-0");
            runAsync(ctx1);
            cutAfterCheckpoint = assigned(ctx1, 0).get(1);
            assertThat(cutAfterCheckpoint.splitId()).isEqualTo(TABLE + ":2");
        }
        // Rows arrive inside and before split 2's range: a fresh cut would now end elsewhere.
        exec(p.ds, "INSERT INTO t SELECT n * 3 + 1, 'late' FROM generate_series(1, 400) n");
        assertThat(cutAfterCheckpoint.start()).isEqualTo(Key.of(600L));
        assertThat(cutAfterCheckpoint.end()).isEqualTo(Key.of(900L));
        assertThat(count(p.ds, "SELECT count(*) FROM t WHERE id > 600 AND id <= 900"))
                .isGreaterThan(100);

        TestingSplitEnumeratorContext<BackfillSplit> ctx2 = context(2);
        List<BackfillSplit> afterRestore = new ArrayList<>();
        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e =
                p.source.restoreEnumerator(ctx2, checkpoint)) {
            e.start();
            runAsync(ctx2);
            e.handleSplitRequest(1, "host-1");
            runAsync(ctx2);
            assertThat(assigned(ctx2, 1)).containsExactly(cutAfterCheckpoint);
            drain(e, ctx2);
            afterRestore.addAll(assigned(ctx2, 0));
            afterRestore.addAll(assigned(ctx2, 1));
        }

        List<BackfillSplit> union = new ArrayList<>(heldAtCheckpoint);
        union.addAll(afterRestore);
        assertThat(union.stream().map(BackfillSplit::splitId).distinct().count())
                .isEqualTo(union.size());
        assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(union.size());
        assertThat(
                        strings(
                                p.ds,
                                "SELECT split_id || ' ' || coalesce(start_key, '-') || ' ' || end_key"
                                        + p.progressWhere()))
                .containsExactlyInAnyOrderElementsOf(
                        union.stream().map(BackfillSourceEnumeratorITCase::catalogForm).toList());
        assertCoversEveryRowOnce(p, union);
    }

    @Test
    void aFreshStartHandsOutTheCatalogsUnfinishedSplitsAndNewCutsButNeverADoneOne()
            throws Exception {
        Prepared p = prepare("enumerator_it_fresh_resume", fullTable());
        TestingSplitEnumeratorContext<BackfillSplit> ctx1 = context(2);
        List<BackfillSplit> firstRun = new ArrayList<>();
        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e =
                p.source.createEnumerator(ctx1)) {
            e.start();
            runAsync(ctx1);
            for (int i = 0; i < 4; i++) {
                e.handleSplitRequest(i % 2, "host");
                runAsync(ctx1);
            }
            firstRun.addAll(assigned(ctx1, 0));
            firstRun.addAll(assigned(ctx1, 1));
        }
        assertThat(firstRun)
                .extracting(BackfillSplit::splitId)
                .containsExactlyInAnyOrder(TABLE + ":0", TABLE + ":1", TABLE + ":2", TABLE + ":3");
        // Split 1 was committed to the end; split 2 got half way.
        exec(
                p.ds,
                "UPDATE backfill.progress SET done = true, watermark = end_key WHERE split_id = '"
                        + TABLE
                        + ":1'",
                "UPDATE backfill.progress SET watermark = '[750]' WHERE split_id = '"
                        + TABLE
                        + ":2'");

        // The job is started anew, without a checkpoint.
        TestingSplitEnumeratorContext<BackfillSplit> ctx2 = context(2);
        List<BackfillSplit> secondRun = new ArrayList<>();
        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e =
                p.source.createEnumerator(ctx2)) {
            e.start();
            runAsync(ctx2);
            assertThat(ctx2.getSplitAssignments()).isEmpty();
            drain(e, ctx2);
            secondRun.addAll(assigned(ctx2, 0));
            secondRun.addAll(assigned(ctx2, 1));
        }

        assertThat(secondRun)
                .extracting(BackfillSplit::splitId)
                .doesNotContain(TABLE + ":1")
                .containsExactlyInAnyOrderElementsOf(
                        IntStream.range(0, SPLITS)
                                .filter(i -> i != 1)
                                .mapToObj(i -> TABLE + ":" + i)
                                .collect(Collectors.toList()));
        // The catalog's pending splits are the same ranges as before, not re-cut; split 2 carries
        // its watermark.
        BackfillSplit two =
                secondRun.stream().filter(s -> s.index() == 2).findFirst().orElseThrow();
        assertThat(two.start())
                .isEqualTo(
                        firstRun.stream()
                                .filter(s -> s.index() == 2)
                                .findFirst()
                                .orElseThrow()
                                .start());
        assertThat(two.end())
                .isEqualTo(
                        firstRun.stream()
                                .filter(s -> s.index() == 2)
                                .findFirst()
                                .orElseThrow()
                                .end());
        assertThat(two.watermark()).isEqualTo(KeyCodec.fromJson("[750]"));
        assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(SPLITS);

        List<BackfillSplit> union =
                new ArrayList<>(secondRun.stream().map(s -> s.withWatermark(null)).toList());
        union.add(firstRun.stream().filter(s -> s.index() == 1).findFirst().orElseThrow());
        assertCoversEveryRowOnce(p, union);
    }

    @Test
    void thePartitionsOfAPartitionedTableAreCutSideBySide() throws Exception {
        Prepared p =
                prepareTable(
                        "enumerator_it_partitions",
                        "public.p",
                        "CREATE TABLE p (id bigint PRIMARY KEY, v text) PARTITION BY RANGE (id)",
                        "CREATE TABLE p_lo PARTITION OF p FOR VALUES FROM (MINVALUE) TO (1000)",
                        "CREATE TABLE p_hi PARTITION OF p FOR VALUES FROM (1000) TO (MAXVALUE)",
                        // p_lo: 999 rows, 10 splits; p_hi: 501 rows, 6 splits.
                        "INSERT INTO p SELECT n, 'v' || n FROM generate_series(1, 1500) n");
        assertThat(p.plan.table().physicalTables())
                .containsExactlyInAnyOrder("public.p_lo", "public.p_hi");
        TestingSplitEnumeratorContext<BackfillSplit> ctx = context(1);
        List<BackfillSplit> order;

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e = p.source.createEnumerator(ctx)) {
            e.start();
            runAsync(ctx);
            while (!noMoreSplits(ctx, 0)) {
                assertThat(assigned(ctx, 0).size()).as("splits").isLessThan(100);
                e.handleSplitRequest(0, "host-0");
                runAsync(ctx);
            }
            order = assigned(ctx, 0);
        }

        // While both have key space left, the partitions take turns; then p_lo goes on alone.
        assertThat(order).hasSize(16);
        for (int i = 0; i < 12; i++) {
            assertThat(order.get(i).index()).as("split %d", i).isEqualTo(i / 2);
            if (i % 2 == 1) {
                assertThat(order.get(i).physicalTable())
                        .isNotEqualTo(order.get(i - 1).physicalTable());
            }
        }
        assertThat(order.subList(12, 16))
                .extracting(BackfillSplit::splitId)
                .containsExactly(
                        "public.p_lo:6", "public.p_lo:7", "public.p_lo:8", "public.p_lo:9");
        assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isEqualTo(16);
        assertThat(
                        strings(
                                p.ds,
                                "SELECT split_id"
                                        + p.progressWhere()
                                        + " AND last ORDER BY split_id"))
                .containsExactly("public.p_hi:5", "public.p_lo:9");
        assertCoversEveryRowOnce(p, "p", order);
    }

    @Test
    void anEmptyTableAnswersTheFirstRequestWithNoMoreSplitsAndRecordsNoSplit() throws Exception {
        Prepared p =
                prepare("enumerator_it_empty", "CREATE TABLE t (id bigint PRIMARY KEY, v text)");
        TestingSplitEnumeratorContext<BackfillSplit> ctx = context(2);

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e = p.source.createEnumerator(ctx)) {
            e.start();
            runAsync(ctx);
            e.handleSplitRequest(0, "host-0");
            runAsync(ctx);
            assertThat(noMoreSplits(ctx, 0)).isTrue();
            assertThat(assigned(ctx, 0)).isEmpty();

            e.handleSplitRequest(1, "host-1");
            runAsync(ctx);
            assertThat(noMoreSplits(ctx, 1)).isTrue();
            assertThat(assigned(ctx, 1)).isEmpty();
            assertThat(e.snapshotState(1).positions())
                    .singleElement()
                    .matches(pos -> pos.finished());
        }
        assertThat(count(p.ds, "SELECT count(*)" + p.progressWhere())).isZero();
    }

    @Test
    void startingMovesTheReorgFromWriteOnlyToBackfilling() throws Exception {
        Prepared p = prepare("enumerator_it_state", fullTable());
        assertThat(TestingReorgs.reorg(p.ds, p.plan.reorgId()).state)
                .isEqualTo(Catalog.State.WRITE_ONLY);
        TestingSplitEnumeratorContext<BackfillSplit> ctx = context(2);

        try (SplitEnumerator<BackfillSplit, BackfillEnumState> e = p.source.createEnumerator(ctx)) {
            e.start();
            // The catalog is written by the async work, not on the coordinator thread.
            assertThat(TestingReorgs.reorg(p.ds, p.plan.reorgId()).state)
                    .isEqualTo(Catalog.State.WRITE_ONLY);
            runAsync(ctx);
            Catalog.Reorg r = TestingReorgs.reorg(p.ds, p.plan.reorgId());
            assertThat(r.state).isEqualTo(Catalog.State.BACKFILLING);
            assertThat(r.error).isNull();
            assertThat(r.finishedAt).isNull();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String[] fullTable() {
        return new String[] {
            "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
            "INSERT INTO t SELECT n * 3, 'v' || n FROM generate_series(1, " + ROWS + ") n"
        };
    }

    private static Prepared prepare(String db, String... ddl) throws Exception {
        return prepareTable(db, TABLE, ddl);
    }

    /** Creates database {@code db} with {@code ddl}, and prepares an index on {@code table(v)}. */
    private static Prepared prepareTable(String db, String table, String... ddl) throws Exception {
        DataSource ds = TestingReorgs.database(db, ddl);
        String index = table.substring(table.indexOf('.') + 1) + "_v";
        JobSpec spec = TestingReorgs.addIndexSpec(db, table, index, "v", false, TUNING);
        ReorgSetup.Outcome outcome = ReorgSetup.run(spec);
        assertThat(outcome.status).isEqualTo(ReorgSetup.Status.PREPARED);
        return new Prepared(ds, outcome.plan);
    }

    private static TestingSplitEnumeratorContext<BackfillSplit> context(int readers) {
        TestingSplitEnumeratorContext<BackfillSplit> ctx =
                new TestingSplitEnumeratorContext<>(readers);
        for (int i = 0; i < readers; i++) {
            ctx.registerReader(i, "host-" + i);
        }
        return ctx;
    }

    /** Runs the work queued with callAsync, and the work its handlers queue, on this thread. */
    private static void runAsync(TestingSplitEnumeratorContext<BackfillSplit> ctx) {
        ctx.triggerAllActions();
        assertThat(ctx.getExecutorService().numQueuedRunnables()).isZero();
    }

    /** Both readers ask in turn until both were told there are no more splits. */
    private static void drain(
            SplitEnumerator<BackfillSplit, BackfillEnumState> e,
            TestingSplitEnumeratorContext<BackfillSplit> ctx) {
        for (int round = 0; round < 10 * SPLITS; round++) {
            boolean all = true;
            for (int reader = 0; reader < 2; reader++) {
                if (!noMoreSplits(ctx, reader)) {
                    all = false;
                    int before = assigned(ctx, reader).size();
                    e.handleSplitRequest(reader, "host-" + reader);
                    runAsync(ctx);
                    // Every request is answered: a split, or no more splits.
                    assertThat(
                                    assigned(ctx, reader).size() == before + 1
                                            || noMoreSplits(ctx, reader))
                            .isTrue();
                }
            }
            if (all) {
                return;
            }
        }
        throw new AssertionError("the enumerator did not run out of splits");
    }

    private static List<BackfillSplit> assigned(
            TestingSplitEnumeratorContext<BackfillSplit> ctx, int reader) {
        TestingSplitEnumeratorContext.SplitAssignmentState<BackfillSplit> s =
                ctx.getSplitAssignments().get(reader);
        return s == null ? List.of() : s.getAssignedSplits();
    }

    private static boolean noMoreSplits(
            TestingSplitEnumeratorContext<BackfillSplit> ctx, int reader) {
        TestingSplitEnumeratorContext.SplitAssignmentState<BackfillSplit> s =
                ctx.getSplitAssignments().get(reader);
        return s != null && s.hasReceivedNoMoreSplitsSignal();
    }

    /** The checkpoint as Flink stores it: through the enumerator's checkpoint serializer. */
    private static BackfillEnumState roundTrip(BackfillEnumState state) throws Exception {
        BackfillEnumStateSerializer ser = BackfillEnumStateSerializer.INSTANCE;
        BackfillEnumState copy = ser.deserialize(ser.getVersion(), ser.serialize(state));
        assertThat(copy).isEqualTo(state);
        return copy;
    }

    private static String catalogForm(BackfillSplit s) {
        return s.splitId()
                + " "
                + (s.start() == null ? "-" : KeyCodec.toJson(s.start()))
                + " "
                + KeyCodec.toJson(s.end());
    }

    /**
     * Checks with SQL that the splits' ranges {@code (start, end]} hold every row of {@code t}
     * exactly once, and that their row counts add up to the table's.
     */
    private static void assertCoversEveryRowOnce(Prepared p, List<BackfillSplit> splits)
            throws SQLException {
        assertCoversEveryRowOnce(p, "t", splits);
    }

    /**
     * Checks with SQL that the splits' ranges {@code (start, end]}, each in its physical table,
     * hold every row of {@code logical} exactly once, and that their row counts add up to the
     * table's.
     */
    private static void assertCoversEveryRowOnce(
            Prepared p, String logical, List<BackfillSplit> splits) throws SQLException {
        Set<String> ids = new HashSet<>();
        Map<String, StringJoiner> ranges = new TreeMap<>();
        long sum = 0;
        for (BackfillSplit s : splits) {
            assertThat(ids.add(s.splitId())).as("split %s twice", s.splitId()).isTrue();
            String lo = s.start() == null ? "NULL" : s.start().get(0).toString();
            String hi = s.end().get(0).toString();
            ranges.computeIfAbsent(s.physicalTable(), t -> new StringJoiner(", "))
                    .add("(" + lo + "::bigint, " + hi + "::bigint)");
            sum +=
                    count(
                            p.ds,
                            "SELECT count(*) FROM ONLY "
                                    + s.physicalTable()
                                    + " WHERE "
                                    + (s.start() == null ? "" : "id > " + lo + " AND ")
                                    + "id <= "
                                    + hi);
        }
        long total = count(p.ds, "SELECT count(*) FROM " + logical);
        assertThat(total).isPositive();
        assertThat(sum).isEqualTo(total);
        assertThat(ranges.keySet())
                .containsExactlyInAnyOrderElementsOf(p.plan.table().physicalTables());
        for (Map.Entry<String, StringJoiner> e : ranges.entrySet()) {
            assertThat(
                            count(
                                    p.ds,
                                    "SELECT count(*) FROM ONLY "
                                            + e.getKey()
                                            + " x WHERE (SELECT count(*) FROM (VALUES "
                                            + e.getValue()
                                            + ") r(lo, hi) WHERE (r.lo IS NULL OR x.id > r.lo)"
                                            + " AND x.id <= r.hi) <> 1"))
                    .as("rows of %s not in exactly one split", e.getKey())
                    .isZero();
        }
    }

    private static void exec(DataSource ds, String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
