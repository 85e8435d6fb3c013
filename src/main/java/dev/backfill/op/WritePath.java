package dev.backfill.op;

import org.apache.flink.annotation.Internal;

/**
 * How a reorg's batches travel from the reader to the database: the one place that decides, for
 * every operation, whether the sink writes the rows the reader shipped or one statement over the
 * key range of a page (issue #10, item 2).
 *
 * <ul>
 *   <li><b>add-index: {@link #ROWS}.</b> The entries are the rows' values; the sink writes the
 *       values the reader read (see {@code IndexSql.addIndexBatch}).
 *   <li><b>modify-column with a Java converter: {@link #ROWS}.</b> The new value is computed in
 *       Java, so the rows must travel to the operation and back; the sink writes each converted
 *       value with a compare-and-set on the value read ({@code ColumnSql.modifyColumnBatch}).
 *   <li><b>modify-column with a SQL {@code using}, or a plain type change (no converter): {@link
 *       #RANGE}.</b> The new value is SQL over the current row, computed by the server anyway, and
 *       the backfill write is an in-place {@code UPDATE} that takes the row lock anyway: shipping
 *       the values through Flink only for a compare-and-set buys nothing. The reader reads a page's
 *       keys only (same keyset page, batch size and watermark), and the sink runs one {@code UPDATE
 *       … WHERE key in (from, to] AND shadow's text differs from CAST(using AS type)'s text} plus
 *       the watermark compare-and-set in one transaction ({@code ColumnSql.modifyColumnRange}). It
 *       is exact because the write-only trigger has set the shadow of every row written since
 *       prepare, and the UPDATE recomputes the value from the newest row version under its row
 *       lock. The profile of issue #10 ({@code docs/profile.md}) measured the statement about 40 %
 *       cheaper than the shipped-rows {@code UPDATE … FROM unnest(…)}, at the same WAL.
 * </ul>
 *
 * Either way Flink owns the splits, parallelism, checkpoints, metrics (rows counted are the page's
 * keys), resume and the rate limiter.
 */
@Internal
public enum WritePath {
    /** The reader ships keys and values; the sink writes per row with a compare-and-set. */
    ROWS,
    /** The reader ships a page's keys; the sink writes its key range with one statement. */
    RANGE;

    /** The path of a plan's batches; see the class comment for why. */
    public static WritePath of(ReorgPlan plan) {
        return plan.steps().writePath();
    }
}
