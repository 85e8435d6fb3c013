package dev.backfill.source.split;

import dev.backfill.model.Key;

import org.apache.flink.annotation.Internal;

/**
 * The mutable reading state of one split inside a reader: its watermark. Snapshotted back into a
 * {@link BackfillSplit} at every checkpoint.
 */
@Internal
public final class BackfillSplitState {
    private final BackfillSplit split;
    private Key watermark;

    public BackfillSplitState(BackfillSplit split) {
        this.split = split;
        this.watermark = split.watermark();
    }

    public BackfillSplit split() {
        return split;
    }

    public Key watermark() {
        return watermark;
    }

    public void setWatermark(Key watermark) {
        this.watermark = watermark;
    }

    public BackfillSplit toSplit() {
        return split.withWatermark(watermark);
    }
}
