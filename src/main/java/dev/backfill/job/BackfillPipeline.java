package dev.backfill.job;

import dev.backfill.op.Operation;
import dev.backfill.op.ReorgPlan;
import dev.backfill.sink.BackfillSink;
import dev.backfill.source.BackfillSource;
import dev.backfill.source.RowBatchTypeInfo;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Builds a reorg's dataflow: source → operation → sink (→ finalizer). Used by {@link BackfillJob}
 * and by the integration tests, so both run the same graph. The records have Flink types of their
 * own ({@link RowBatchTypeInfo}, {@link WriteBatchTypeInfo}), so the job needs no Kryo and runs
 * with generic types disabled.
 *
 * <pre>{@code
 * BackfillPipeline.build(env, plan);
 * env.execute("backfill " + plan.reorgId());
 * }</pre>
 */
@PublicEvolving
public final class BackfillPipeline {
    private BackfillPipeline() {}

    public static void build(StreamExecutionEnvironment env, ReorgPlan plan) {
        // Records are handed between chained operators without copies; nothing holds on to them.
        env.getConfig().enableObjectReuse();
        Operation op = plan.operation();
        env.fromSource(
                        new BackfillSource(plan),
                        WatermarkStrategy.noWatermarks(),
                        "backfill-source",
                        RowBatchTypeInfo.INSTANCE)
                .uid("backfill-source")
                // OperationFunction declares its output type, WriteBatchTypeInfo.
                .map(new OperationFunction(op))
                .name(plan.spec().operation().key())
                .uid("backfill-operation")
                .sinkTo(new BackfillSink(plan))
                .name("backfill-sink")
                .uid("backfill-sink");
    }

    public static String jobName(ReorgPlan plan) {
        return "backfill "
                + plan.reorgId()
                + " ("
                + plan.operation().describe()
                + " on "
                + plan.table().displayName()
                + ")";
    }
}
