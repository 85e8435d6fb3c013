package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.CatalogSql;
import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.model.JobSpec;

import org.apache.flink.annotation.Internal;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code scripts/backfill status --job FILE [--all] [--watch]}: Backfill's {@code ADMIN SHOW DDL
 * JOBS}. One line per reorg (the spec's, or with {@code --all} every reorg in the spec's database):
 * id, table, operation, state, a progress bar, rows done of estimated, rows/s, ETA, the adaptive
 * throttle ({@code backfill.reorgs.throttle_reason} and {@code throttle_rate}), splits done of cut,
 * the rows the finalizer repaired ({@code backfill.reorgs.rows_repaired}; not 0 only after a fault
 * or a bug, then marked and explained below the table), when it started, the Flink job that ran it
 * last, and below the table each reorg's last error.
 *
 * <p>It only reads the catalog ({@code backfill.reorgs}, {@code backfill.progress}), in read-only
 * transactions, so it works whether or not a Flink job is running and never creates the catalog.
 * Rows/s is the average since prepare ({@code rows_done} over {@code started_at} to {@code
 * updated_at}, or to {@code finished_at}); with {@code --watch}, from the second refresh on, it is
 * the rate between two refreshes. {@code --watch} refreshes every 2 s until Ctrl-C, or, for one
 * reorg, until it is public, ready (waiting for its cut-over), failed or aborted.
 */
@Internal
public final class Status {
    /** How often {@code --watch} refreshes. */
    public static final Duration WATCH_PERIOD = Duration.ofSeconds(2);

    static final int BAR_WIDTH = 20;
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
                    .withZone(ZoneId.systemDefault());

    private final PrintStream out;
    private final boolean clearScreen;
    private final Duration period;

    /** The previous sample of each reorg in {@code --watch}: rows done, and when (nanos). */
    private final Map<String, long[]> previous = new HashMap<>();

    /**
     * @param clearScreen in {@code --watch}, clear the terminal before each refresh (ANSI), as
     *     {@code watch(1)} does; otherwise refreshes are printed one after the other
     */
    public Status(PrintStream out, boolean clearScreen, Duration period) {
        this.out = out;
        this.clearScreen = clearScreen;
        this.period = period;
    }

    /**
     * Prints the status of the spec's reorg, or with {@code all} of every reorg in its database;
     * with {@code watch}, again every period. {@code spec}'s database must be resolved. Throws
     * {@link TableInfo.TableException} (bad input) when the spec's reorg is not in the catalog.
     */
    public void run(JobSpec spec, boolean all, boolean watch)
            throws SQLException, InterruptedException {
        String where = "database " + databaseName(spec.database().url());
        try (Connection c =
                Connections.open(Connections.dataSource(spec.database(), spec.reorgId()))) {
            c.setReadOnly(true);
            if (!catalogExists(c)) {
                c.commit();
                if (!all) {
                    throw new TableInfo.TableException(
                            "there is no reorg "
                                    + spec.reorgId()
                                    + " in "
                                    + where
                                    + ": it has no Backfill catalog (schema backfill), so no reorg"
                                    + " was ever prepared there (scripts/backfill plan --job FILE"
                                    + " shows what a run would do)");
                }
                out.println("no reorgs in " + where + " (it has no schema backfill)");
                return;
            }
            boolean first = true;
            while (true) {
                List<Row> rows = read(c, all ? null : spec.reorgId());
                c.commit();
                if (rows.isEmpty() && !all) {
                    throw new TableInfo.TableException(
                            "there is no reorg "
                                    + spec.reorgId()
                                    + " in backfill.reorgs of "
                                    + where
                                    + (first ? "" : " any more"));
                }
                if (watch && clearScreen) {
                    out.print("\033[H\033[2J");
                }
                if (watch) {
                    out.println(
                            "backfill status of "
                                    + where
                                    + " at "
                                    + TIME.format(java.time.Instant.now())
                                    + " (every "
                                    + (period.toMillis() % 1000 == 0
                                            ? period.toSeconds() + " s"
                                            : period.toMillis() + " ms")
                                    + "; Ctrl-C to stop)");
                }
                print(rows, all, where);
                out.flush();
                first = false;
                if (!watch || (!all && isSettled(rows.get(0).reorg.state))) {
                    return;
                }
                Thread.sleep(period.toMillis()); // the refresh period of --watch, for a person
                if (!clearScreen) {
                    out.println();
                }
            }
        }
    }

    /** States in which a reorg does not move by itself: {@code --watch} of one reorg ends. */
    static boolean isSettled(State s) {
        return s == State.PUBLIC || s == State.READY || s == State.FAILED || s == State.ABORTED;
    }

    private static boolean catalogExists(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.relationExists())) {
            ps.setString(1, Catalog.REORGS);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return false;
                }
            }
            ps.setString(1, Catalog.PROGRESS);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** One reorg as read from the catalog. */
    static final class Row {
        final Reorg reorg;
        final boolean paused;
        final long splits;
        final long splitsDone;
        final long rowsScanned;
        final long tables;
        final long tablesCut;

        Row(
                Reorg reorg,
                boolean paused,
                long splits,
                long splitsDone,
                long rowsScanned,
                long tables,
                long tablesCut) {
            this.reorg = reorg;
            this.paused = paused;
            this.splits = splits;
            this.splitsDone = splitsDone;
            this.rowsScanned = rowsScanned;
            this.tables = tables;
            this.tablesCut = tablesCut;
        }

        /**
         * Rows done: the verified count once public or ready; before, the rows scanned so far
         * (fresher than {@code rows_done}, which the enumerator refreshes every 2 s).
         */
        long rowsDone() {
            State s = reorg.state;
            if (s == State.PUBLIC || s == State.READY) {
                return reorg.rowsDone;
            }
            return Math.max(reorg.rowsDone, rowsScanned);
        }

        /** The average rate since prepare, from the catalog's timestamps; 0 when unknown. */
        double averageRate() {
            Timestamp end = reorg.finishedAt != null ? reorg.finishedAt : reorg.updatedAt;
            if (end == null || reorg.startedAt == null) {
                return 0;
            }
            double seconds = (end.getTime() - reorg.startedAt.getTime()) / 1000.0;
            return seconds > 0 ? rowsDone() / seconds : 0;
        }
    }

    private static List<Row> read(Connection c, String idOrNull) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CatalogSql.reorgStatus(idOrNull != null))) {
            if (idOrNull != null) {
                ps.setString(1, idOrNull);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(
                            new Row(
                                    new Reorg(rs),
                                    rs.getBoolean("paused"),
                                    rs.getLong("splits"),
                                    rs.getLong("splits_done"),
                                    rs.getLong("rows_scanned"),
                                    rs.getLong("tables"),
                                    rs.getLong("tables_cut")));
                }
            }
        }
        return out;
    }

    private void print(List<Row> rows, boolean all, String where) {
        if (rows.isEmpty()) {
            out.println("no reorgs in backfill.reorgs of " + where);
            return;
        }
        List<String[]> table = new ArrayList<>();
        table.add(
                new String[] {
                    "ID",
                    "TABLE",
                    "OPERATION",
                    "STATE",
                    "PROGRESS",
                    "ROWS",
                    "ROWS/S",
                    "ETA",
                    "THROTTLE",
                    "SPLITS",
                    "REPAIRED",
                    "STARTED",
                    "FLINK JOB"
                });
        long now = System.nanoTime();
        List<String> errors = new ArrayList<>();
        for (Row row : rows) {
            Reorg r = row.reorg;
            long done = row.rowsDone();
            double rate = row.averageRate();
            long[] prev = previous.get(r.id);
            if (prev != null && now > prev[1] && !isSettled(r.state)) {
                rate = Math.max(0, (done - prev[0]) / ((now - prev[1]) / 1e9));
            }
            previous.put(r.id, new long[] {done, now});
            boolean running = r.state == State.WRITE_ONLY || r.state == State.BACKFILLING;
            table.add(
                    new String[] {
                        r.id,
                        r.tableName,
                        r.operation,
                        r.state.value() + (row.paused && running ? " (paused)" : ""),
                        progress(percent(r.state, done, r.rowsEstimated)),
                        String.format(Locale.ROOT, "%,d/%,d", done, r.rowsEstimated),
                        rate > 0 ? String.format(Locale.ROOT, "%,.0f", rate) : "-",
                        running ? eta(r.rowsEstimated - done, rate) : "-",
                        running ? throttle(r.throttleReason, r.throttleRate) : "-",
                        splits(
                                row.splitsDone,
                                row.splits,
                                running && (row.tables == 0 || row.tablesCut < row.tables)),
                        repaired(r.rowsRepaired),
                        r.startedAt == null ? "-" : TIME.format(r.startedAt.toInstant()),
                        r.flinkJobId == null ? "-" : r.flinkJobId
                    });
            if (r.rowsRepaired != 0) {
                errors.add(repairWarning(r.id, r.rowsRepaired));
            }
            if (r.error != null) {
                errors.add(r.id + ": last error: " + r.error);
            }
        }
        out.print(table(table));
        for (String e : errors) {
            out.println(e);
        }
    }

    // ---------------------------------------------------------------- formatting (pure)

    /** Percent done: 100 once public or ready, else done of estimated, capped at 100. */
    static double percent(State state, long done, long estimated) {
        if (state == State.PUBLIC || state == State.READY) {
            return 100;
        }
        if (estimated <= 0) {
            return done > 0 ? 100 : 0;
        }
        return Math.max(0, Math.min(100.0, 100.0 * done / estimated));
    }

    /** {@code [#########-----------] 45.0%}: a bar of {@link #BAR_WIDTH} and the percentage. */
    static String progress(double percent) {
        return bar(percent, BAR_WIDTH) + String.format(Locale.ROOT, " %5.1f%%", percent);
    }

    /** A text bar of {@code width} cells, a cell filled per {@code 100/width} percent done. */
    static String bar(double percent, int width) {
        double p = Double.isNaN(percent) ? 0 : Math.max(0, Math.min(100, percent));
        int filled = (int) Math.floor(p * width / 100.0 + 1e-9);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
    }

    /**
     * The time left for {@code remainingRows} at {@code rowsPerSecond}, {@code h:mm:ss}; {@code -}
     * when nothing remains or the rate is unknown.
     */
    static String eta(long remainingRows, double rowsPerSecond) {
        if (remainingRows <= 0 || !(rowsPerSecond > 0) || Double.isInfinite(rowsPerSecond)) {
            return "-";
        }
        return duration((long) Math.ceil(remainingRows / rowsPerSecond));
    }

    /** {@code h:mm:ss}. */
    static String duration(long seconds) {
        return String.format(
                Locale.ROOT, "%d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    }

    /**
     * {@code done/cut}, with {@code +} while more splits may still be cut (the enumerator cuts them
     * on demand, so the total is known only once every physical table's last split is cut).
     */
    static String splits(long done, long cut, boolean moreToCut) {
        return done + "/" + cut + (moreToCut ? "+" : "");
    }

    /**
     * The THROTTLE column while the reorg runs: the adaptive throttle's reason and, when it caps
     * the rate, the job-wide cap ({@code latency 2,500/s}); {@code none} when uncapped, {@code off}
     * when switched off, {@code -} before a reader has decided.
     */
    static String throttle(String reason, Long rate) {
        if (reason == null) {
            return "-";
        }
        if (rate == null || rate <= 0) {
            return reason;
        }
        return String.format(Locale.ROOT, "%s %,d/s", reason, rate);
    }

    /**
     * The REPAIRED column: {@code 0}, or a non-zero count marked {@code !} so that it stands out
     * (the line below the table says what it means).
     */
    static String repaired(long rows) {
        return rows == 0 ? "0" : String.format(Locale.ROOT, "%,d !", rows);
    }

    /** The line below the table for a reorg whose finalizer repaired rows. */
    static String repairWarning(String id, long rows) {
        return String.format(
                Locale.ROOT,
                "%s: WARNING: verification found and repaired %,d rows (backfill.reorgs.rows_repaired)."
                        + " In a run without faults (no crash, no manual change of Backfill's"
                        + " tables) this is a bug in Backfill: please report it",
                id,
                rows);
    }

    /** Left-aligned columns, two spaces apart, each line without trailing blanks. */
    static String table(List<String[]> rows) {
        int n = rows.get(0).length;
        int[] width = new int[n];
        for (String[] r : rows) {
            for (int i = 0; i < n; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < n; i++) {
                line.append(r[i]);
                if (i < n - 1) {
                    line.append(" ".repeat(width[i] - r[i].length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /**
     * The database part of a JDBC URL, for messages: {@code host:port/db}, without the query string
     * (which may carry a password).
     */
    static String databaseName(String jdbcUrl) {
        String u = jdbcUrl.replaceFirst("^jdbc:postgresql:(//)?", "");
        int q = u.indexOf('?');
        return q >= 0 ? u.substring(0, q) : u;
    }
}
