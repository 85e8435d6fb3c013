package dev.backfill.metrics;

import org.apache.flink.annotation.Internal;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * When to write a progress line: each time a running total crosses the next multiple of {@code
 * every} (the seed's backfill workers logged every so many rows). A batch that jumps several
 * multiples at once gives one line, not several. Not thread-safe: one per task thread.
 */
@Internal
public final class LogCadence {
    /** The sink writers' cadence: one INFO line per subtask every 30,000 rows. */
    public static final long WRITER_ROWS = 30_000;

    private final long every;
    private long next;

    public LogCadence(long every) {
        checkArgument(every >= 1, "every must be at least 1: %s", every);
        this.every = every;
        this.next = every;
    }

    /** True when {@code total} has reached the next multiple since the last true. */
    public boolean due(long total) {
        if (total < next) {
            return false;
        }
        next = (total / every + 1) * every;
        return true;
    }
}
