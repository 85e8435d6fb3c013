package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.CatalogSql;

import org.apache.flink.annotation.Internal;

import javax.sql.DataSource;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;

/**
 * Prints a progress line every few seconds while a reorg runs: state, rows done of estimated,
 * rows/s over the last interval, ETA, and splits done. Reads only the catalog, so it reports the
 * same numbers whether the job runs in this JVM or on a cluster. {@link BackfillCli} runs one
 * beside the job it executes.
 */
@Internal
public final class ProgressReporter implements AutoCloseable {
    private final DataSource ds;
    private final String reorgId;
    private final PrintStream out;
    private final Duration period;
    private final Thread thread;
    private volatile boolean stopped;

    private long lastRows = -1;
    private long lastNanos;

    public ProgressReporter(DataSource ds, String reorgId, PrintStream out, Duration period) {
        this.ds = ds;
        this.reorgId = reorgId;
        this.out = out;
        this.period = period;
        this.thread = new Thread(this::loop, "backfill-progress");
        this.thread.setDaemon(true);
    }

    public ProgressReporter start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (!stopped) {
            try {
                Thread.sleep(
                        period.toMillis()); // the reporting period itself, not a synchronisation
            } catch (InterruptedException e) {
                return;
            }
            if (stopped) {
                return;
            }
            try {
                out.println(line());
            } catch (SQLException e) {
                out.println("progress: catalog not readable right now: " + e.getMessage());
            }
        }
    }

    /** One progress line, from the catalog as it is now. */
    public String line() throws SQLException {
        try (Connection c = ds.getConnection()) {
            Catalog.Reorg r =
                    Catalog.find(c, reorgId)
                            .orElseThrow(
                                    () ->
                                            new SQLException(
                                                    "reorg " + reorgId + " is not in the catalog"));
            long splits = 0;
            long splitsDone = 0;
            long scanned = 0;
            try (PreparedStatement ps = c.prepareStatement(CatalogSql.splitCounts())) {
                ps.setString(1, reorgId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    splits = rs.getLong(1);
                    splitsDone = rs.getLong(2);
                    scanned = rs.getLong(3);
                }
            }
            long now = System.nanoTime();
            double rate = 0;
            if (lastRows >= 0 && now > lastNanos) {
                rate = (scanned - lastRows) / ((now - lastNanos) / 1e9);
            }
            lastRows = scanned;
            lastNanos = now;
            return format(r.state.value(), scanned, r.rowsEstimated, rate, splitsDone, splits);
        }
    }

    static String format(
            String state, long done, long estimated, double rate, long splitsDone, long splits) {
        double pct = estimated > 0 ? Math.min(100.0, 100.0 * done / estimated) : 0;
        String eta =
                rate > 0 && estimated > done ? duration((long) ((estimated - done) / rate)) : "-";
        return String.format(
                Locale.ROOT,
                "progress: %-11s %,d/%,d rows (%.1f%%), %,.0f rows/s, ETA %s, splits %d/%d done",
                state,
                done,
                estimated,
                pct,
                rate,
                eta,
                splitsDone,
                splits);
    }

    static String duration(long seconds) {
        return String.format(
                Locale.ROOT, "%d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
