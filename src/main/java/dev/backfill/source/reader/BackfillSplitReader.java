package dev.backfill.source.reader;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.SplitProgress;
import dev.backfill.db.Connections;
import dev.backfill.db.KeyCodec;
import dev.backfill.db.KeySql;
import dev.backfill.db.Retry;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.model.Failpoints;
import dev.backfill.model.Key;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.model.RowBatch;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.WritePath;
import dev.backfill.source.split.BackfillSplit;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;
import org.apache.flink.connector.base.source.reader.RecordsBySplits;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitReader;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsChange;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads splits in keyset pages: {@code key > $watermark AND key <= $end ORDER BY key LIMIT $batch},
 * each page its own short read-only statement (autocommit), so no snapshot is held between pages.
 * One {@link #fetch()} returns one page of the current split; the split's last page is flagged so
 * that the sink marks the split done when it commits it.
 *
 * <p>When a split starts, its committed watermark is read from {@code backfill.progress}: the
 * catalog is where committed work is recorded, so reading resumes after it (it is never behind the
 * checkpointed watermark, because the sink commits every batch before the checkpoint barrier passes
 * it). A split the catalog says is done is finished at once, without a scan.
 *
 * <p>Before each page, the subtask's adaptive throttle ({@link ReaderThrottle}) may decide again
 * (once a second) and set its cap on the rate limiter; after the page, the limiter paces.
 *
 * <p>On the {@linkplain WritePath#RANGE range path} (modify-column without a Java converter) a page
 * reads the key columns only; the batch then stands for its key range {@code (after, last key]}.
 */
@Internal
public final class BackfillSplitReader implements SplitReader<RowBatch, BackfillSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillSplitReader.class);
    static final Duration KNOBS_PERIOD = Duration.ofSeconds(2);
    private static final Duration PAUSED_POLL = Duration.ofMillis(500);

    private final ReorgPlan plan;
    private final List<Column> keyColumns;
    private final List<Column> valueColumns;
    private final Retry retry = Retry.defaults();
    private final Deque<BackfillSplit> splits = new ArrayDeque<>();

    private final int readers;
    private final RowRateLimiter rateLimiter;
    private final ReaderThrottle throttle; // null: none (tests)
    private final Counter rowsScanned;

    private Connection connection;
    private BackfillSplit current;
    private Key watermark; // committed position inside current; null before its first batch
    private boolean started;
    private int batchSize;
    private Catalog.Knobs knobs;
    private long knobsReadAt;
    private boolean loggedPause;

    /** A reader with its own counter and rate limiter (tests). */
    public BackfillSplitReader(ReorgPlan plan, int readers, MetricGroup metrics) {
        this(
                plan,
                readers,
                metrics.counter("rowsScanned"),
                new RowRateLimiter(plan.spec().tuning().maxRowsPerSecond(), readers),
                null);
    }

    /**
     * A reader sharing its subtask's counter and rate limiter: Flink builds a new split reader for
     * each fetcher, usually one per split, and the metric and the pacing must span them all.
     */
    BackfillSplitReader(
            ReorgPlan plan,
            int readers,
            Counter rowsScanned,
            RowRateLimiter rateLimiter,
            ReaderThrottle throttle) {
        this.plan = plan;
        this.readers = readers;
        this.rateLimiter = rateLimiter;
        this.throttle = throttle;
        this.rowsScanned = rowsScanned;
        KeyCodec.warmUp();
        TableInfo t = plan.table();
        this.keyColumns = t.keyColumns();
        this.valueColumns = new ArrayList<>();
        List<String> read =
                WritePath.of(plan) == WritePath.RANGE ? List.of() : plan.operation().readColumns();
        for (String c : read) {
            valueColumns.add(
                    t.column(c)
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    "no column " + c + " in " + t.displayName())));
        }
        this.batchSize = plan.spec().tuning().batchSize();
    }

    @Override
    public RecordsWithSplitIds<RowBatch> fetch() throws IOException {
        try {
            refreshKnobs();
            if (knobs != null && knobs.paused) {
                if (!loggedPause) {
                    LOG.info(
                            "reorg {}: paused; reading stops until paused = false", plan.reorgId());
                    loggedPause = true;
                }
                // Idle without any transaction; checkpoints go on on the task thread.
                Thread.sleep(PAUSED_POLL.toMillis());
                return new RecordsBySplits.Builder<RowBatch>().build();
            }
            if (loggedPause) {
                LOG.info("reorg {}: resumed", plan.reorgId());
                loggedPause = false;
            }
            if (throttle != null) {
                throttle.tick(System.nanoTime());
            }
        } catch (SQLException e) {
            throw new IOException(
                    "reorg " + plan.reorgId() + ": cannot read the live knobs: " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while paused", e);
        }
        if (current == null) {
            current = splits.poll();
            started = false;
            if (current == null) {
                return new RecordsBySplits.Builder<RowBatch>().build();
            }
        }
        try {
            if (!started) {
                SplitProgress p =
                        retry.call(
                                "reading the progress of split " + current.splitId(),
                                this::readProgress);
                if (p != null && p.done) {
                    LOG.info(
                            "reorg {}: split {} is already done; skipping it",
                            plan.reorgId(),
                            current.splitId());
                    return finish(null);
                }
                watermark = p != null ? p.split.watermark() : current.watermark();
                started = true;
                LOG.info(
                        "reorg {}: reading split {} after {}",
                        plan.reorgId(),
                        current,
                        watermark != null ? watermark : current.start());
            }
            Key after = watermark != null ? watermark : current.start();
            int batchSize = this.batchSize;
            Failpoints.hit(Failpoints.READER_FETCH);
            Page page =
                    retry.call(
                            "reading a page of split " + current.splitId(),
                            () -> readPage(after, batchSize),
                            (a, e) -> resetConnection());
            rowsScanned.inc(page.keys.size());
            if (throttle != null) {
                throttle.rowsRead(page.keys.size());
            }
            rateLimiter.acquire(page.keys.size());
            if (page.keys.isEmpty()) {
                return finish(
                        new RowBatch(
                                current.splitId(),
                                current.physicalTable(),
                                watermark,
                                null,
                                after,
                                page.keys,
                                page.values,
                                true));
            }
            Key last = page.keys.get(page.keys.size() - 1);
            boolean isLast = page.keys.size() < batchSize || last.equals(current.end());
            RowBatch batch =
                    new RowBatch(
                            current.splitId(),
                            current.physicalTable(),
                            watermark,
                            last,
                            after,
                            page.keys,
                            page.values,
                            isLast);
            if (isLast) {
                return finish(batch);
            }
            watermark = last;
            RecordsBySplits.Builder<RowBatch> b = new RecordsBySplits.Builder<>();
            b.add(current.splitId(), batch);
            return b.build();
        } catch (SQLException e) {
            throw new IOException(
                    "reorg "
                            + plan.reorgId()
                            + ": reading split "
                            + current
                            + " failed: "
                            + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading split " + current.splitId(), e);
        }
    }

    private RecordsWithSplitIds<RowBatch> finish(RowBatch lastBatch) {
        RecordsBySplits.Builder<RowBatch> b = new RecordsBySplits.Builder<>();
        if (lastBatch != null) {
            b.add(current.splitId(), lastBatch);
        }
        b.addFinishedSplit(current.splitId());
        current = null;
        watermark = null;
        return b.build();
    }

    private SplitProgress readProgress() throws SQLException {
        Connection c = connection();
        try {
            SplitProgress p = Catalog.findSplit(c, plan.reorgId(), current.splitId()).orElse(null);
            c.commit();
            return p;
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            resetConnection();
            throw e;
        }
    }

    private static final class Page {
        final List<Key> keys = new ArrayList<>();
        final List<String[]> values = new ArrayList<>();
    }

    /**
     * Re-reads the live knobs from {@code backfill.reorgs} every {@link #KNOBS_PERIOD}: paused,
     * max_rows_per_second (global, shared evenly by the readers) and batch_size. An aborted reorg
     * stops the job.
     */
    private void refreshKnobs() throws SQLException, InterruptedException {
        long now = System.nanoTime();
        if (knobs != null && now - knobsReadAt < KNOBS_PERIOD.toNanos()) {
            return;
        }
        Catalog.Knobs k =
                retry.call(
                        "reading the knobs of reorg " + plan.reorgId(),
                        () -> {
                            Connection c = connection();
                            try {
                                Catalog.Knobs x =
                                        Catalog.knobs(
                                                        c,
                                                        plan.reorgId(),
                                                        plan.spec().tuning().batchSize())
                                                .orElseThrow(
                                                        () ->
                                                                new ReorgFailedException(
                                                                        "reorg "
                                                                                + plan.reorgId()
                                                                                + " is no longer in"
                                                                                + " the catalog"));
                                c.commit();
                                return x;
                            } catch (SQLException e) {
                                Connections.rollbackQuietly(c);
                                throw e;
                            }
                        },
                        (a, e) -> resetConnection());
        knobsReadAt = now;
        if (k.state == Catalog.State.ABORTED) {
            throw new ReorgFailedException(
                    "reorg " + plan.reorgId() + " was aborted; the job stops");
        }
        if (knobs == null
                || knobs.batchSize != k.batchSize
                || knobs.maxRowsPerSecond != k.maxRowsPerSecond) {
            LOG.info("reorg {}: knobs {}", plan.reorgId(), k);
        }
        knobs = k;
        batchSize = k.batchSize;
        rateLimiter.setRate(k.maxRowsPerSecond, readers);
    }

    private Page readPage(Key after, int batchSize) throws SQLException {
        Connection c = connection();
        String sql =
                KeySql.readPage(
                        plan.table().scanSource(current.physicalTable()),
                        keyColumns,
                        valueColumns,
                        after != null);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (after != null) {
                i = KeyCodec.bind(ps, i, after);
            }
            i = KeyCodec.bind(ps, i, current.end());
            ps.setInt(i, batchSize);
            Page page = new Page();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    page.keys.add(KeyCodec.read(rs, 1, keyColumns));
                    String[] vals = new String[valueColumns.size()];
                    for (int v = 0; v < vals.length; v++) {
                        vals[v] = rs.getString(keyColumns.size() + 1 + v);
                    }
                    page.values.add(vals);
                }
            }
            c.commit(); // end the read transaction: no snapshot outlives the page
            return page;
        } catch (SQLException e) {
            Connections.rollbackQuietly(c);
            throw e;
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = Connections.open(plan.dataSource());
            connection.setReadOnly(true);
        }
        return connection;
    }

    private void resetConnection() {
        Connections.closeQuietly(connection);
        connection = null;
    }

    @Override
    public void handleSplitsChanges(SplitsChange<BackfillSplit> splitsChanges) {
        if (!(splitsChanges instanceof SplitsAddition)) {
            throw new UnsupportedOperationException(
                    "unsupported split change " + splitsChanges.getClass().getSimpleName());
        }
        splits.addAll(splitsChanges.splits());
    }

    @Override
    public void wakeUp() {
        // fetch() does one bounded page read and returns; nothing to interrupt.
    }

    @Override
    public void close() {
        resetConnection();
    }
}
