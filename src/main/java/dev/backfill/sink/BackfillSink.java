package dev.backfill.sink;

import dev.backfill.model.WriteBatch;
import dev.backfill.op.ReorgPlan;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import java.util.Collection;

/**
 * The reorg's Sink V2: writers that commit each batch in its own transaction, and a post-commit
 * topology holding the finalizer. The committer has nothing to commit (each batch committed
 * together with its watermark, which is what makes a replay detectable); it exists so that the
 * writers' reports flow to the finalizer, whose end of input marks the end of the backfill.
 *
 * <pre>{@code
 * stream.sinkTo(new BackfillSink(plan)).name("backfill-sink");
 * }</pre>
 */
@PublicEvolving
public final class BackfillSink
        implements Sink<WriteBatch>,
                SupportsCommitter<BatchReport>,
                SupportsPostCommitTopology<BatchReport> {
    private static final long serialVersionUID = 1L;

    private final ReorgPlan plan;

    public BackfillSink(ReorgPlan plan) {
        this.plan = plan;
    }

    @Override
    public CommittingSinkWriter<WriteBatch, BatchReport> createWriter(WriterInitContext context) {
        return new BackfillSinkWriter(
                plan, context.getTaskInfo().getIndexOfThisSubtask(), context.metricGroup());
    }

    @Override
    public Committer<BatchReport> createCommitter(CommitterInitContext context) {
        return new Committer<>() {
            @Override
            public void commit(Collection<CommitRequest<BatchReport>> requests) {
                // Already committed by the writer, batch by batch.
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public SimpleVersionedSerializer<BatchReport> getCommittableSerializer() {
        return BatchReportSerializer.INSTANCE;
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<BatchReport>> committables) {
        committables
                .global()
                .transform("finalizer", Types.VOID, new FinalizerOperator(plan))
                .setParallelism(1)
                .setMaxParallelism(1)
                .uid("backfill-finalizer")
                .sinkTo(new DiscardingSink<>())
                .setParallelism(1)
                .name("finalizer-end");
        // Operator names stay short: Flink truncates metric names past 80 characters.
    }
}
