package dev.backfill.source;

import dev.backfill.metrics.ReorgProgress;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceEvent;

/**
 * Enumerator to reader: the job-wide progress, sent after each refresh of {@code rows_done} (every
 * 2 s), so that every source subtask shows the same {@code progressPercent}, {@code etaSeconds} and
 * {@code splitsRemaining} in the task metrics without reading the database itself.
 */
@Internal
public final class ProgressEvent implements SourceEvent {
    private static final long serialVersionUID = 1L;

    private final ReorgProgress progress;

    public ProgressEvent(ReorgProgress progress) {
        this.progress = progress;
    }

    public ReorgProgress progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "ProgressEvent{" + progress + "}";
    }
}
