package dev.backfill.metrics;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.util.Locale;

/**
 * One job-wide progress reading of a reorg, as the {@code progressPercent}, {@code etaSeconds},
 * {@code splitsRemaining} and {@code rowsPerSecond} gauges show it: computed by the enumerator from
 * the catalog every time it refreshes {@code rows_done} (every 2 s), and sent to every source
 * reader so that the tasks show the same numbers. Immutable; the arithmetic is here, pure.
 *
 * <ul>
 *   <li>{@code progressPercent}: 100 once every split is cut and done; before that, rows done of
 *       the planner's estimate, capped at 99.9 (an estimate too low never shows 100 while work is
 *       left), or splits done of splits known when there is no estimate. One decimal.
 *   <li>{@code etaSeconds}: 0 when complete; rows left over the job-wide rate, rounded up; -1 when
 *       unknown (no rate yet, or more rows done than estimated).
 *   <li>{@code splitsRemaining}: splits cut and not done, plus, while the table is not fully split,
 *       an estimate of the splits still to cut (rows not yet covered / split-rows, at least 1).
 *       Exact once the table is fully split.
 * </ul>
 */
@Internal
public final class ReorgProgress implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Before the first reading: nothing known. */
    public static final ReorgProgress UNKNOWN = new ReorgProgress(0, 0, 0, -1, 0, false, -1);

    private final long rowsDone;
    private final long rowsEstimated;
    private final long splitsDone;
    private final long splitsRemaining;
    private final double rowsPerSecond;
    private final boolean complete;
    private final long etaSeconds;

    private ReorgProgress(
            long rowsDone,
            long rowsEstimated,
            long splitsDone,
            long splitsRemaining,
            double rowsPerSecond,
            boolean complete,
            long etaSeconds) {
        this.rowsDone = rowsDone;
        this.rowsEstimated = rowsEstimated;
        this.splitsDone = splitsDone;
        this.splitsRemaining = splitsRemaining;
        this.rowsPerSecond = rowsPerSecond;
        this.complete = complete;
        this.etaSeconds = etaSeconds;
    }

    /**
     * A reading from the catalog's numbers.
     *
     * @param rowsDone rows scanned by committed batches, over all splits
     * @param rowsEstimated the planner's estimate at prepare (0 or less: none)
     * @param splitsCut splits recorded in {@code backfill.progress}
     * @param splitsDone of those, the ones done
     * @param fullySplit true when the splitter has cut the last split of every table
     * @param splitRows the spec's {@code split-rows}
     * @param rowsPerSecond the job-wide rate over the last seconds
     */
    public static ReorgProgress of(
            long rowsDone,
            long rowsEstimated,
            long splitsCut,
            long splitsDone,
            boolean fullySplit,
            long splitRows,
            double rowsPerSecond) {
        boolean complete = fullySplit && splitsDone >= splitsCut;
        long remaining = Math.max(0, splitsCut - splitsDone);
        if (!fullySplit) {
            long uncovered = Math.max(0, rowsEstimated - splitsCut * Math.max(1, splitRows));
            remaining += Math.max(1, ceilDiv(uncovered, Math.max(1, splitRows)));
        }
        long eta;
        if (complete) {
            eta = 0;
        } else if (rowsPerSecond > 0 && rowsEstimated > rowsDone) {
            eta = (long) Math.ceil((rowsEstimated - rowsDone) / rowsPerSecond);
        } else {
            eta = -1;
        }
        return new ReorgProgress(
                rowsDone, rowsEstimated, splitsDone, remaining, rowsPerSecond, complete, eta);
    }

    /** Finished before this job started (a restore after the reorg was published). */
    public static ReorgProgress finished(long rowsDone, long rowsEstimated, long splitsDone) {
        return new ReorgProgress(rowsDone, rowsEstimated, splitsDone, 0, 0, true, 0);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    public double progressPercent() {
        if (complete) {
            return 100.0;
        }
        double pct;
        if (rowsEstimated > 0) {
            pct = 100.0 * rowsDone / rowsEstimated;
        } else {
            long known = splitsDone + Math.max(0, splitsRemaining);
            pct = known > 0 ? 100.0 * splitsDone / known : 0;
        }
        return Math.floor(Math.min(99.9, pct) * 10) / 10;
    }

    /** Seconds left at the current rate; 0 when complete; -1 when unknown. */
    public long etaSeconds() {
        return etaSeconds;
    }

    /** Splits left (estimated while the table is not fully split); -1 before the first reading. */
    public long splitsRemaining() {
        return splitsRemaining;
    }

    public double rowsPerSecond() {
        return rowsPerSecond;
    }

    public long rowsDone() {
        return rowsDone;
    }

    public long rowsEstimated() {
        return rowsEstimated;
    }

    public long splitsDone() {
        return splitsDone;
    }

    public boolean complete() {
        return complete;
    }

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "%,d/%,d rows (%.1f%%), %,.0f rows/s, ETA %s, splits %d done, %d remaining%s",
                rowsDone,
                rowsEstimated,
                progressPercent(),
                rowsPerSecond,
                etaSeconds < 0 ? "-" : etaSeconds + " s",
                splitsDone,
                splitsRemaining,
                complete ? ", complete" : "");
    }
}
