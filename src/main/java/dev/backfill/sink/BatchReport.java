package dev.backfill.sink;

import org.apache.flink.annotation.Internal;

import java.util.Objects;

/**
 * What one sink writer committed since its last checkpoint. The writer's batches are already
 * committed in PostgreSQL by the time this exists (one transaction per batch, watermark included);
 * the report only travels to the finalizer, which runs once every writer has ended.
 */
@Internal
public final class BatchReport {
    private final int subtask;
    private final long batches;
    private final long rowsWritten;

    public BatchReport(int subtask, long batches, long rowsWritten) {
        this.subtask = subtask;
        this.batches = batches;
        this.rowsWritten = rowsWritten;
    }

    public int subtask() {
        return subtask;
    }

    public long batches() {
        return batches;
    }

    public long rowsWritten() {
        return rowsWritten;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BatchReport)) {
            return false;
        }
        BatchReport r = (BatchReport) o;
        return subtask == r.subtask && batches == r.batches && rowsWritten == r.rowsWritten;
    }

    @Override
    public int hashCode() {
        return Objects.hash(subtask, batches, rowsWritten);
    }

    @Override
    public String toString() {
        return "BatchReport{subtask="
                + subtask
                + ", batches="
                + batches
                + ", rows="
                + rowsWritten
                + "}";
    }
}
