package dev.backfill.sink;

import dev.backfill.metrics.BackfillMetrics;
import dev.backfill.op.ReorgPlan;
import dev.backfill.reorg.Finalizer;

import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The finalizer task: parallelism 1, after the sink's commit step. It sees the writers' reports go
 * by and, at end of input (every writer has finished and committed), runs {@link Finalizer}.
 * Because it is part of the job graph it runs on the cluster, so a detached {@code flink run -d}
 * still reaches {@code public}.
 */
@Internal
public final class FinalizerOperator extends AbstractStreamOperator<Void>
        implements OneInputStreamOperator<CommittableMessage<BatchReport>, Void>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final ReorgPlan plan;
    private transient Counter rowsRepaired;

    public FinalizerOperator(ReorgPlan plan) {
        this.plan = plan;
    }

    /**
     * Registers the counter {@code rowsRepaired}: the rows the finalizer repaired in this run
     * (entries deleted and inserted, or shadow values rewritten), also added up in {@code
     * backfill.reorgs.rows_repaired}. Zero in every run without a fault.
     */
    @Override
    public void open() throws Exception {
        super.open();
        rowsRepaired = getMetricGroup().counter(BackfillMetrics.ROWS_REPAIRED);
    }

    @Override
    public void processElement(StreamRecord<CommittableMessage<BatchReport>> element) {
        // The reports only carry counts already in the catalog; the end of input is what matters.
    }

    @Override
    public void endInput() throws Exception {
        Finalizer.finish(plan, rowsRepaired::inc);
    }
}
