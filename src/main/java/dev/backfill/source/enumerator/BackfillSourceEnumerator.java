package dev.backfill.source.enumerator;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.SplitProgress;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.Retry;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.op.ReorgPlan;
import dev.backfill.source.ProgressEvent;
import dev.backfill.source.ReaderFinishedEvent;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hands out key-range splits on demand, pull-based: a reader asks, gets the next pending split, and
 * asks again when it has finished it. There is no round barrier (the seed waited for every worker
 * in each round, so one slow range stalled all). Splits are cut lazily by {@link KeyRangeSplitter},
 * rotating across physical tables so that partitions run in parallel. Which split goes to which
 * reader, and which table is cut next, is the {@link SplitAssigner}'s policy; this class does the
 * lifecycle around it (the catalog, the runner lock, cuts, checkpoints, progress). Database work
 * runs in {@code context.callAsync}, never on the coordinator thread.
 *
 * <p>A fresh start (no checkpoint) takes pending splits and the splitter position from {@code
 * backfill.progress}, skipping finished splits: this is resume without a savepoint. A restore takes
 * them from the checkpoint. It also refreshes {@code backfill.reorgs.rows_done} every few seconds.
 */
@Internal
public final class BackfillSourceEnumerator
        implements SplitEnumerator<BackfillSplit, BackfillEnumState> {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillSourceEnumerator.class);
    private static final long PROGRESS_PERIOD_MS = 2000;

    private final SplitEnumeratorContext<BackfillSplit> context;
    private final ReorgPlan plan;
    private final KeyRangeSplitter splitter;
    private final SplitAssigner assigner;
    private final boolean restored;
    private boolean initialized;
    private boolean cutting;
    private Connection
            connection; // used only from callAsync workers, under synchronized(this.lock)
    private final Object lock = new Object();
    // Job-wide progress gauges (metrics), and the readers that have read their last split.
    private final EnumeratorProgress progress;
    private final Set<Integer> finishedReaders = new HashSet<>();
    private final Retry retry = Retry.defaults();
    private static final Duration RUNNER_LOCK_WAIT = Duration.ofSeconds(10);
    private volatile Connection runnerLock;
    private volatile String flinkJobId;

    /**
     * The id of the Flink job this enumerator runs in, or null when unknown. {@code
     * SplitEnumeratorContext} does not expose it in Flink 2.x; the enumerator's metric group does,
     * as the scope variable {@code <job_id>} of the job manager's job group (a MiniCluster, a
     * session or an application cluster alike).
     */
    static String flinkJobId(SplitEnumeratorContext<?> context) {
        try {
            String id = context.metricGroup().getAllVariables().get("<job_id>");
            return id != null && id.matches("[0-9a-f]{32}") ? id : null;
        } catch (RuntimeException e) {
            // A test context without a metric group: status shows no job id.
            return null;
        }
    }

    public BackfillSourceEnumerator(
            SplitEnumeratorContext<BackfillSplit> context,
            ReorgPlan plan,
            @Nullable BackfillEnumState restoredState) {
        this.context = context;
        this.plan = plan;
        this.splitter =
                new KeyRangeSplitter(
                        plan.reorgId(), plan.table(), plan.spec().tuning().splitRows());
        this.restored = restoredState != null;
        this.progress = new EnumeratorProgress(plan.spec().tuning().splitRows());
        progress.register(context);
        KeyCodec.warmUp();
        this.assigner = new SplitAssigner(plan.reorgId(), restoredState);
    }

    @Override
    public void start() {
        flinkJobId = flinkJobId(context);
        context.callAsync(this::initialize, this::onInitialized);
        context.callAsync(
                this::refreshProgress,
                (rows, err) -> {
                    if (err instanceof ReorgFailedException) {
                        throw (ReorgFailedException) err;
                    }
                    if (err != null) {
                        LOG.warn(
                                "reorg {}: could not refresh rows_done: {}",
                                plan.reorgId(),
                                err.getMessage());
                    }
                },
                PROGRESS_PERIOD_MS,
                PROGRESS_PERIOD_MS);
    }

    /** Worker thread: marks the reorg backfilling and, on a fresh start, reads the catalog. */
    private Init initialize() throws SQLException, InterruptedException {
        lockRunner();
        return inTransaction(
                "starting reorg " + plan.reorgId(),
                c -> {
                    Catalog.transition(
                            c,
                            plan.reorgId(),
                            List.of(State.WRITE_ONLY, State.FAILED, State.VERIFYING),
                            State.BACKFILLING);
                    if (flinkJobId != null) {
                        // For `scripts/backfill status`: which Flink job runs the reorg now.
                        Catalog.setFlinkJobId(c, plan.reorgId(), flinkJobId);
                    } else {
                        LOG.info(
                                "reorg {}: the Flink job id is not known here; status shows none",
                                plan.reorgId());
                    }
                    Catalog.Reorg r =
                            Catalog.find(c, plan.reorgId())
                                    .orElseThrow(
                                            () ->
                                                    new ReorgFailedException(
                                                            "reorg "
                                                                    + plan.reorgId()
                                                                    + " is not in the catalog"));
                    if (r.state == State.PUBLIC || r.state == State.READY) {
                        // A restore after the finalizer published (or, for a modify-column,
                        // verified and prepared the cut-over): nothing left to backfill.
                        Init done = new Init();
                        done.alreadyPublic = true;
                        return done;
                    }
                    if (r.state != State.BACKFILLING) {
                        throw new ReorgFailedException(
                                "reorg "
                                        + plan.reorgId()
                                        + " is "
                                        + r.state.value()
                                        + "; the job stops");
                    }
                    Init init = new Init();
                    if (!restored) {
                        init.known.addAll(Catalog.splits(c, plan.reorgId()));
                    }
                    return init;
                });
    }

    /**
     * Takes the reorg's runner lock on a connection of its own, held idle (no transaction) until
     * the enumerator closes: a second job on the same reorg fails at once instead of doing the work
     * twice. A lock still held by a predecessor being torn down is waited for a few seconds.
     */
    private void lockRunner() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + RUNNER_LOCK_WAIT.toNanos();
        while (true) {
            Connection c =
                    retry.call(
                            "connecting for the runner lock of reorg " + plan.reorgId(),
                            () -> plan.dataSource().getConnection());
            try {
                if (Catalog.tryLockRunner(c, plan.reorgId())) {
                    runnerLock = c;
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new ReorgFailedException(
                            "reorg "
                                    + plan.reorgId()
                                    + " is already being run by another job: its runner lock is"
                                    + " held by "
                                    + Catalog.runnerLockHolder(c, plan.reorgId()));
                }
            } finally {
                if (runnerLock != c) {
                    Connections.closeQuietly(c);
                }
            }
            Thread.sleep(200); // waiting for a predecessor to release the lock
        }
    }

    private void keepRunnerLock() throws SQLException, InterruptedException {
        Connection held = runnerLock;
        if (held == null) {
            return; // not taken yet: initialize() takes it
        }
        if (held.isValid(5)) {
            return;
        }
        LOG.warn(
                "reorg {}: the runner lock's session is gone; taking the lock again",
                plan.reorgId());
        Connections.closeQuietly(held);
        runnerLock = null;
        Connection c =
                retry.call(
                        "reconnecting for the runner lock of reorg " + plan.reorgId(),
                        () -> plan.dataSource().getConnection());
        if (!Catalog.tryLockRunner(c, plan.reorgId())) {
            String holder = Catalog.runnerLockHolder(c, plan.reorgId());
            Connections.closeQuietly(c);
            throw new ReorgFailedException(
                    "reorg "
                            + plan.reorgId()
                            + " lost its runner lock and another job holds it now: "
                            + holder);
        }
        runnerLock = c;
    }

    /** Work on the enumerator's connection, one transaction. */
    private interface ConnectionWork<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction with the shared retry policy, replacing the connection
     * after an error (a terminated backend, a restarted server).
     */
    private <T> T inTransaction(String what, ConnectionWork<T> work)
            throws SQLException, InterruptedException {
        synchronized (lock) {
            return retry.call(
                    what,
                    () -> {
                        Connection c = connection();
                        try {
                            T result = work.run(c);
                            c.commit();
                            return result;
                        } catch (SQLException e) {
                            Connections.rollbackQuietly(c);
                            dropConnection();
                            throw e;
                        }
                    });
        }
    }

    private static final class Init {
        final List<SplitProgress> known = new ArrayList<>();
        boolean alreadyPublic;
    }

    private void onInitialized(Init init, Throwable err) {
        if (err instanceof ReorgFailedException) {
            throw (ReorgFailedException) err;
        }
        if (err != null) {
            throw new IllegalStateException(
                    "reorg " + plan.reorgId() + ": cannot read the catalog", err);
        }
        if (init.alreadyPublic) {
            LOG.info("reorg {} is already public; no splits to read", plan.reorgId());
            assigner.finishAll(plan.table().physicalTables());
            initialized = true;
            assignPending();
            return;
        }
        assigner.startTables(plan.table().physicalTables());
        int skipped = 0;
        for (SplitProgress p : init.known) {
            assigner.addKnown(p.split, p.done, p.last);
            if (p.done) {
                skipped++;
            }
        }
        initialized = true;
        LOG.info(
                "reorg {}: {} start, {} splits pending, {} already done, splitter at {}",
                plan.reorgId(),
                restored ? "restored" : "fresh",
                assigner.pendingCount(),
                skipped,
                assigner.positions());
        assignPending();
    }

    @Override
    public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {
        assigner.addRequest(subtaskId);
        assignPending();
    }

    private void assignPending() {
        if (!initialized) {
            return;
        }
        progress.setFullySplit(assigner.fullySplit());
        for (SplitAssigner.Assignment a :
                assigner.assign(reader -> context.registeredReaders().containsKey(reader))) {
            LOG.info(
                    "reorg {}: assigning split {} to subtask {}",
                    plan.reorgId(),
                    a.split,
                    a.reader);
            context.assignSplit(a.split, a.reader);
        }
        if (!assigner.hasWaiting()) {
            return;
        }
        SplitterPosition next = assigner.nextToCut();
        if (next == null) {
            for (int reader : assigner.takeWaiting()) {
                context.signalNoMoreSplits(reader);
            }
        } else if (!cutting) {
            cutting = true;
            context.callAsync(() -> cut(next), this::onCut);
        }
    }

    private KeyRangeSplitter.Cut cut(SplitterPosition pos)
            throws SQLException, InterruptedException {
        return inTransaction(
                "cutting the next split of " + pos.physicalTable(), c -> splitter.cutNext(c, pos));
    }

    private void onCut(KeyRangeSplitter.Cut cut, Throwable err) {
        cutting = false;
        if (err != null) {
            throw new IllegalStateException(
                    "reorg " + plan.reorgId() + ": cannot cut the next split", err);
        }
        assigner.advance(cut.position);
        if (cut.split != null) {
            if (cut.split.done) {
                LOG.info(
                        "reorg {}: split {} is already done, skipping it",
                        plan.reorgId(),
                        cut.split.split.splitId());
            } else {
                LOG.info("reorg {}: cut split {}", plan.reorgId(), cut.split.split);
                assigner.addCut(BackfillSplit.of(cut.split.split));
            }
        } else {
            LOG.info(
                    "reorg {}: table {} is fully split ({} splits)",
                    plan.reorgId(),
                    cut.position.physicalTable(),
                    cut.position.nextIndex());
        }
        assignPending();
    }

    /**
     * Every few seconds: keeps the runner lock (its session may have been terminated; then it is
     * taken again, or the job fails when another job has it meanwhile) and refreshes rows_done, and
     * with it the progress metrics, which it then sends to the readers.
     */
    private long refreshProgress() throws SQLException, InterruptedException {
        keepRunnerLock();
        long rows =
                inTransaction(
                        "refreshing rows_done of reorg " + plan.reorgId(),
                        c -> {
                            long done = Catalog.refreshRowsDone(c, plan.reorgId());
                            progress.refresh(c, plan.reorgId());
                            return done;
                        });
        context.runInCoordinatorThread(this::sendProgress);
        return rows;
    }

    /**
     * Worker thread: a refresh of the progress metrics alone, when a reader has read its last
     * split, so that the gauges show the end without waiting for the next period.
     */
    private ProgressEvent refreshMetrics() throws SQLException, InterruptedException {
        return new ProgressEvent(
                inTransaction(
                        "reading the progress of reorg " + plan.reorgId(),
                        c -> progress.refresh(c, plan.reorgId())));
    }

    /**
     * Coordinator thread: sends the latest progress to every reader still reading, for the task
     * metrics. A reader that cannot take it now (finishing, restarting) misses one update.
     */
    private void sendProgress() {
        ProgressEvent event = new ProgressEvent(progress.current());
        for (int reader : context.registeredReaders().keySet()) {
            if (finishedReaders.contains(reader)) {
                continue;
            }
            try {
                context.sendEventToSourceReader(reader, event);
            } catch (RuntimeException e) {
                LOG.debug("reorg {}: no progress event for subtask {}", plan.reorgId(), reader, e);
            }
        }
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent event) {
        if (event instanceof ReaderFinishedEvent) {
            finishedReaders.add(subtaskId);
            context.callAsync(
                    this::refreshMetrics,
                    (p, err) -> {
                        if (err != null) {
                            LOG.warn(
                                    "reorg {}: could not read the progress: {}",
                                    plan.reorgId(),
                                    err.getMessage());
                        } else {
                            LOG.info(
                                    "reorg {}: subtask {} has read its last split; progress {}",
                                    plan.reorgId(),
                                    subtaskId,
                                    p.progress());
                        }
                    });
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = Connections.open(plan.dataSource());
        }
        return connection;
    }

    private void dropConnection() {
        Connections.closeQuietly(connection);
        connection = null;
    }

    @Override
    public void addSplitsBack(List<BackfillSplit> splits, int subtaskId) {
        LOG.info(
                "reorg {}: {} splits returned by subtask {}",
                plan.reorgId(),
                splits.size(),
                subtaskId);
        assigner.addSplitsBack(splits);
    }

    @Override
    public void addReader(int subtaskId) {
        // Readers ask for splits themselves.
        finishedReaders.remove(subtaskId); // a restarted reader reads again
    }

    @Override
    public BackfillEnumState snapshotState(long checkpointId) {
        return assigner.snapshotState();
    }

    @Override
    public void close() {
        synchronized (lock) {
            dropConnection();
        }
        Connections.closeQuietly(runnerLock); // releases the runner lock
    }
}
