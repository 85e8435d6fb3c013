package dev.backfill.op;

import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.util.Preconditions;

import javax.sql.DataSource;

import java.io.Serializable;

/**
 * Everything the Flink job needs to know about one reorg, resolved on the client against the live
 * schema: the spec (with the database URL resolved), the table, and the operation's {@linkplain
 * ReorgSteps steps}, which hold what the reorg builds (the index table of an add-index, the shadow
 * column and converter of a modify-column). Built by {@code reorg.ReorgSetup} through the registry
 * ({@link Operations}), shipped inside the job graph to the source, the sink and the finalizer.
 */
@PublicEvolving
public final class ReorgPlan implements Serializable {
    private static final long serialVersionUID = 3L;

    private final JobSpec spec;
    private final TableInfo table;
    private final ReorgSteps steps;

    /** A plan of the spec's operation, whose steps {@link OperationType#resolve} gave. */
    public ReorgPlan(JobSpec spec, TableInfo table, ReorgSteps steps) {
        Preconditions.checkArgument(
                !spec.database().isEmbedded(), "resolve the embedded database URL first");
        this.spec = spec;
        this.table = Preconditions.checkNotNull(table, "table");
        this.steps = Preconditions.checkNotNull(steps, "steps");
    }

    public JobSpec spec() {
        return spec;
    }

    public String reorgId() {
        return spec.reorgId();
    }

    public TableInfo table() {
        return table;
    }

    /** What the reorg builds, for messages: the index table, or the column's change. */
    public String target() {
        return steps.target();
    }

    /** The operation's steps (the operation SPI, {@link ReorgSteps}). */
    public ReorgSteps steps() {
        return steps;
    }

    /** The per-row work of the operation transform ({@link ReorgSteps#operation()}). */
    public Operation operation() {
        return steps.operation();
    }

    /** A data source for this reorg's connections (application_name = backfill:<id>). */
    public DataSource dataSource() {
        return Connections.dataSource(spec.database(), spec.reorgId());
    }

    @Override
    public String toString() {
        return "ReorgPlan{" + spec.reorgId() + " on " + table + "}";
    }
}
