package dev.backfill.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.connector.source.SourceEvent;

/**
 * Reader to enumerator: this subtask has read its last split (and, its writer being chained to it,
 * committed it). The enumerator refreshes the progress at once, so that the job-wide gauges reach
 * 100% and 0 splits remaining when the last reader is done, without waiting for the next period.
 */
@Internal
public final class ReaderFinishedEvent implements SourceEvent {
    private static final long serialVersionUID = 1L;

    @Override
    public String toString() {
        return "ReaderFinishedEvent";
    }
}
