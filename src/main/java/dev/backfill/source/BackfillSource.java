package dev.backfill.source;

import dev.backfill.model.RowBatch;
import dev.backfill.op.ReorgPlan;
import dev.backfill.source.enumerator.BackfillEnumState;
import dev.backfill.source.enumerator.BackfillEnumStateSerializer;
import dev.backfill.source.enumerator.BackfillSourceEnumerator;
import dev.backfill.source.reader.BackfillSourceReader;
import dev.backfill.source.split.BackfillSplit;
import dev.backfill.source.split.BackfillSplitSerializer;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The bounded FLIP-27 source of a reorg: the table's rows, in key-range splits, as {@link RowBatch}
 * pages. Thin wiring; the work is in the enumerator, the splitter and the split reader.
 *
 * <pre>{@code
 * env.fromSource(new BackfillSource(plan), WatermarkStrategy.noWatermarks(), "backfill-source")
 * }</pre>
 */
@PublicEvolving
public final class BackfillSource implements Source<RowBatch, BackfillSplit, BackfillEnumState> {
    private static final long serialVersionUID = 1L;

    private final ReorgPlan plan;

    public BackfillSource(ReorgPlan plan) {
        this.plan = plan;
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SourceReader<RowBatch, BackfillSplit> createReader(SourceReaderContext readerContext) {
        return new BackfillSourceReader(
                plan, new Configuration(readerContext.getConfiguration()), readerContext);
    }

    @Override
    public SplitEnumerator<BackfillSplit, BackfillEnumState> createEnumerator(
            SplitEnumeratorContext<BackfillSplit> context) {
        return new BackfillSourceEnumerator(context, plan, null);
    }

    @Override
    public SplitEnumerator<BackfillSplit, BackfillEnumState> restoreEnumerator(
            SplitEnumeratorContext<BackfillSplit> context, BackfillEnumState checkpoint) {
        return new BackfillSourceEnumerator(context, plan, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<BackfillSplit> getSplitSerializer() {
        return BackfillSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<BackfillEnumState> getEnumeratorCheckpointSerializer() {
        return BackfillEnumStateSerializer.INSTANCE;
    }
}
