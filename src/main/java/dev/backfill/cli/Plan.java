package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.model.Key;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.addindex.IndexSql;
import dev.backfill.op.modifycolumn.ColumnSql;
import dev.backfill.op.modifycolumn.ShadowColumn;
import dev.backfill.reorg.Prepare;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.source.enumerator.KeyRangeSplitter;

import org.apache.flink.annotation.Internal;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code scripts/backfill plan --job FILE}: a dry run. It validates the spec against the live
 * schema as a run would ({@link ReorgSetup#resolve}, plus prepare's own checks: the index table's
 * name is free, the shadow column's name is free, the new value converts), and prints the
 * statements prepare would run (the DDL, then the trigger functions and triggers), the splits the
 * enumerator would cut right now (counted per physical table, the first and last few shown), the
 * estimated rows, and an estimated time at an assumed rate.
 *
 * <p>It changes nothing, not even the catalog: every statement runs in a {@code READ ONLY}
 * transaction (so PostgreSQL itself refuses any write), the catalog is read only if it exists
 * ({@link Catalog#ensureSchema} is not called), and no split is recorded. Each split boundary is
 * its own short transaction, as in the enumerator, so no snapshot is held across a large table.
 */
@Internal
public final class Plan {
    /**
     * The rate the time estimate assumes per reader: a conservative figure below what the demo
     * measured (about 56,000 rows/s per reader at full speed, 2 readers on 2 shared cores).
     */
    public static final long ASSUMED_ROWS_PER_SECOND_PER_READER = 25_000;

    /** How many splits of each physical table are shown at its start and at its end. */
    static final int SHOWN = 3;

    private final PrintStream out;

    public Plan(PrintStream out) {
        this.out = out;
    }

    /**
     * Validates and prints the plan. {@code spec}'s database must be resolved. Throws {@link
     * TableInfo.TableException} (bad input) when a run would refuse the spec.
     */
    public void run(JobSpec spec) throws SQLException {
        try (Connection c =
                Connections.open(Connections.dataSource(spec.database(), spec.reorgId()))) {
            c.setReadOnly(true);
            try {
                print(c, spec);
            } finally {
                Connections.rollbackQuietly(c);
            }
        }
    }

    private void print(Connection c, JobSpec spec) throws SQLException {
        out.println(
                "plan: reorg "
                        + spec.reorgId()
                        + ": "
                        + spec.operation().key()
                        + " on "
                        + spec.tableName()
                        + " (dry run: nothing is changed)");

        // The catalog, read only if it is there.
        Optional<Reorg> existing = Optional.empty();
        long[] recordedSplits = null;
        boolean catalog = TableInfo.relationExists(c, Catalog.REORGS);
        if (catalog) {
            existing = Catalog.find(c, spec.reorgId());
            if (existing.isPresent() && TableInfo.relationExists(c, Catalog.PROGRESS)) {
                recordedSplits = recordedSplits(c, spec.reorgId());
            }
        }
        c.commit();
        if (existing.isPresent() && existing.get().state == State.ABORTED) {
            throw new TableInfo.TableException(
                    "reorg "
                            + spec.reorgId()
                            + " was aborted; give this spec another `reorg:` id to run it again");
        }

        ReorgPlan plan = ReorgSetup.resolve(c, spec);
        c.commit();
        if (existing.isPresent()) {
            Prepare.checkSameDefinition(existing.get(), plan);
        } else {
            plan.steps().checkPrepare(c);
        }
        c.commit();
        TableInfo table = plan.table();
        long estimate = TableInfo.estimateRows(c, table);
        c.commit();

        out.println(
                "plan: the spec is valid against the live schema of "
                        + Status.databaseName(spec.database().url()));
        out.println(
                "plan: table "
                        + table.displayName()
                        + ": primary key ("
                        + columns(table.keyColumns())
                        + "), "
                        + (table.partitioned()
                                ? table.physicalTables().size() + " leaf partitions"
                                : "1 physical table")
                        + String.format(Locale.ROOT, ", about %,d rows", estimate)
                        + " (planner estimate, pg_class.reltuples; count(*) if never analyzed)");
        if (!catalog) {
            out.println(
                    "plan: catalog: schema backfill does not exist yet; a run creates it"
                            + " (backfill.reorgs, backfill.progress) before prepare");
        } else if (existing.isEmpty()) {
            out.println(
                    "plan: catalog: reorg "
                            + spec.reorgId()
                            + " is not in backfill.reorgs; a run prepares it (state write-only)");
        } else {
            Reorg r = existing.get();
            out.println(
                    "plan: catalog: reorg "
                            + spec.reorgId()
                            + " is already in backfill.reorgs, state "
                            + r.state.value()
                            + String.format(Locale.ROOT, ", %,d rows done", r.rowsDone)
                            + (recordedSplits != null
                                    ? ", splits " + recordedSplits[1] + "/" + recordedSplits[0]
                                    : "")
                            + ": "
                            + (r.state == State.PUBLIC
                                    ? "a run does nothing"
                                    : r.state == State.READY
                                            ? "a run only cuts over (or waits for scripts/backfill"
                                                    + " cutover)"
                                            : "a run resumes it; prepare below already ran"));
        }

        // Prepare: the DDL, then the triggers, in one transaction.
        List<String> ddl = new ArrayList<>();
        List<String> triggers;
        String lock;
        if (plan.isModifyColumn()) {
            ShadowColumn sc = plan.shadow();
            ddl.add(ColumnSql.addShadowColumn(sc));
            ddl.add(ColumnSql.checkUsing(sc));
            triggers = ColumnSql.createShadowTrigger(sc, plan.converter() != null);
            lock =
                    "ACCESS EXCLUSIVE on "
                            + table.displayName()
                            + " for the ADD COLUMN (catalog only, no rewrite)";
        } else {
            ddl.addAll(IndexSql.createIndexTable(plan.index()));
            boolean tombstones = plan.index().writeOnlyEligible();
            if (tombstones) {
                ddl.addAll(IndexSql.addTombstones(plan.index()));
            }
            triggers = IndexSql.createTriggers(plan.index(), tombstones);
            lock = "SHARE ROW EXCLUSIVE on " + table.displayName() + " for the CREATE TRIGGERs";
        }
        out.println(
                (existing.isPresent()
                                ? "plan: prepare already ran these statements (for reference):"
                                        + " ONE transaction under lock_timeout "
                                : "plan: prepare runs in ONE transaction under lock_timeout ")
                        + spec.tuning().lockTimeout().toMillis()
                        + " ms (retried with backoff), taking "
                        + lock
                        + ", and records the reorg in backfill.reorgs:");
        out.println("-- DDL");
        for (String sql : ddl) {
            out.println(sql + ";");
        }
        out.println("-- trigger definitions (they keep the result exact from prepare's commit on)");
        for (String sql : triggers) {
            out.println(sql + ";");
        }
        if (plan.isModifyColumn()) {
            out.println(ColumnSql.enableAlwaysShadowTrigger(plan.shadow()) + ";");
        } else {
            for (String sql : IndexSql.enableAlwaysTriggers(plan.index())) {
                out.println(sql + ";");
            }
            if (table.partitioned()) {
                out.println(
                        "-- partition guards (leaf TRUNCATE triggers, event triggers; need a"
                                + " superuser)");
                for (String sql : IndexSql.createPartitionGuards(plan.index())) {
                    out.println(sql + ";");
                }
            }
        }

        // The splits, as the enumerator would cut them now.
        KeyRangeSplitter splitter =
                new KeyRangeSplitter(spec.reorgId(), table, spec.tuning().splitRows());
        List<String> lines = new ArrayList<>();
        long total = 0;
        for (String physical : table.physicalTables()) {
            KeyRangeSplitter.Preview p = splitter.preview(c, physical, SHOWN, SHOWN);
            total += p.total;
            lines.add(
                    "  "
                            + physical
                            + ": "
                            + p.total
                            + (p.total == 1 ? " split" : " splits")
                            + (p.total == 0 ? " (no rows)" : ""));
            int previousIndex = -1;
            for (KeyRangeSplitter.PreviewSplit s : p.shown) {
                if (previousIndex >= 0 && s.split.index() > previousIndex + 1) {
                    lines.add(
                            "    ... "
                                    + (s.split.index() - previousIndex - 1)
                                    + " more splits ...");
                }
                previousIndex = s.split.index();
                lines.add(
                        "    "
                                + s.split.splitId()
                                + "  "
                                + range(s.split.start(), s.split.end())
                                + (s.last ? "  (last: ends at the largest key now)" : ""));
            }
        }
        out.println(
                "plan: "
                        + total
                        + (total == 1 ? " split" : " splits")
                        + String.format(
                                Locale.ROOT,
                                " of up to %,d rows (split-rows) on the primary key, as the",
                                spec.tuning().splitRows())
                        + " enumerator would cut them now (a run cuts them one at a time, when a"
                        + " reader asks, so concurrent writes move the later boundaries):");
        for (String line : lines) {
            out.println(line);
        }

        // Rows and time.
        long rate = assumedRate(spec.tuning().parallelism(), spec.tuning().maxRowsPerSecond());
        out.println(
                String.format(
                        Locale.ROOT,
                        "plan: estimated rows: %,d; estimated backfill time: %s at an assumed"
                                + " %,d rows/s (%s), plus Flink's start-up (about 10 s) and the"
                                + " verification scan",
                        estimate,
                        Status.duration(estimatedSeconds(estimate, rate)),
                        rate,
                        rateAssumption(
                                spec.tuning().parallelism(), spec.tuning().maxRowsPerSecond())));
        out.println(
                "plan: nothing was changed; run it with scripts/backfill --job "
                        + (spec.sourceFile() != null ? spec.sourceFile() : "FILE"));
    }

    /** {splits cut, splits done} of a reorg already in the catalog. */
    private static long[] recordedSplits(Connection c, String reorgId) throws SQLException {
        List<Catalog.SplitProgress> splits = Catalog.splits(c, reorgId);
        return new long[] {splits.size(), splits.stream().filter(s -> s.done).count()};
    }

    private static String columns(List<TableInfo.Column> cols) {
        List<String> out = new ArrayList<>();
        for (TableInfo.Column col : cols) {
            out.add(col.name() + " " + col.type());
        }
        return String.join(", ", out);
    }

    /** {@code (start, end]} in key order; {@code (-inf, end]} for a table's first split. */
    static String range(Key start, Key end) {
        return "(" + (start == null ? "-inf" : start.toString()) + ", " + end + "]";
    }

    /** The rate the estimate assumes: the readers' assumed speed, capped by the throttle. */
    static long assumedRate(int parallelism, long maxRowsPerSecond) {
        long r = Math.max(1, parallelism) * ASSUMED_ROWS_PER_SECOND_PER_READER;
        return maxRowsPerSecond > 0 ? Math.min(r, maxRowsPerSecond) : r;
    }

    static String rateAssumption(int parallelism, long maxRowsPerSecond) {
        long r = Math.max(1, parallelism) * ASSUMED_ROWS_PER_SECOND_PER_READER;
        String readers =
                String.format(
                        Locale.ROOT,
                        "%d %s x %,d rows/s",
                        Math.max(1, parallelism),
                        parallelism == 1 ? "reader" : "readers",
                        ASSUMED_ROWS_PER_SECOND_PER_READER);
        return maxRowsPerSecond > 0 && maxRowsPerSecond < r
                ? String.format(
                                Locale.ROOT,
                                "max-rows-per-second %,d; unthrottled ",
                                maxRowsPerSecond)
                        + readers
                : readers;
    }

    /** Seconds for {@code rows} at {@code rate} rows/s, rounded up. */
    static long estimatedSeconds(long rows, long rate) {
        return rows <= 0 || rate <= 0 ? 0 : (rows + rate - 1) / rate;
    }
}
