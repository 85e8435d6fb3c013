package dev.backfill.op;

import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.addindex.AddIndexSteps;
import dev.backfill.op.addindex.IndexTable;
import dev.backfill.op.convert.Converter;
import dev.backfill.op.modifycolumn.ModifyColumnSteps;
import dev.backfill.op.modifycolumn.ShadowColumn;

import org.apache.flink.annotation.PublicEvolving;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.Serializable;

/**
 * Everything the Flink job needs to know about one reorg, resolved on the client against the live
 * schema: the spec (with the database URL resolved), the table, and what the reorg builds: the
 * index table of an add-index, or the shadow column (and the converter, if any) of a modify-column.
 * Built by {@code reorg.ReorgSetup}, shipped inside the job graph to the source, the sink and the
 * finalizer.
 */
@PublicEvolving
public final class ReorgPlan implements Serializable {
    private static final long serialVersionUID = 2L;

    private final JobSpec spec;
    private final TableInfo table;
    private final IndexTable index; // add-index only
    private final ShadowColumn shadow; // modify-column only
    private final Converter converter; // modify-column with a converter only

    /** An add-index plan. */
    public ReorgPlan(JobSpec spec, TableInfo table, IndexTable index) {
        this(spec, table, index, null, null);
    }

    /** A modify-column plan; {@code converter} is null when the conversion runs in SQL. */
    public ReorgPlan(JobSpec spec, TableInfo table, ShadowColumn shadow, Converter converter) {
        this(spec, table, null, shadow, converter);
    }

    private ReorgPlan(
            JobSpec spec,
            TableInfo table,
            IndexTable index,
            ShadowColumn shadow,
            Converter converter) {
        if (spec.database().isEmbedded()) {
            throw new IllegalArgumentException("resolve the embedded database URL first");
        }
        if ((index == null) == (shadow == null)) {
            throw new IllegalArgumentException("a plan has an index table or a shadow column");
        }
        this.spec = spec;
        this.table = table;
        this.index = index;
        this.shadow = shadow;
        this.converter = converter;
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

    public boolean isModifyColumn() {
        return shadow != null;
    }

    /** The index table; add-index only. */
    public IndexTable index() {
        if (index == null) {
            throw new IllegalStateException("reorg " + reorgId() + " is not an add-index");
        }
        return index;
    }

    /** The shadow column; modify-column only. */
    public ShadowColumn shadow() {
        if (shadow == null) {
            throw new IllegalStateException("reorg " + reorgId() + " is not a modify-column");
        }
        return shadow;
    }

    /** The Java converter of a modify-column, or null when the conversion runs in SQL. */
    public Converter converter() {
        return converter;
    }

    /** What the reorg builds, for messages: the index table, or the column's change. */
    public String target() {
        return steps().target();
    }

    /** The operation's steps (the operation SPI, {@link ReorgSteps}). */
    public ReorgSteps steps() {
        if (index != null) {
            return new AddIndexSteps(index);
        }
        return new ModifyColumnSteps(reorgId(), spec.modifyColumn(), shadow, converter);
    }

    /** The per-row work of the operation transform ({@link ReorgSteps#operation()}). */
    public Operation operation() {
        return steps().operation();
    }

    /** A data source for this reorg's connections (application_name = backfill:<id>). */
    public PGSimpleDataSource dataSource() {
        return Connections.dataSource(spec.database(), spec.reorgId());
    }

    @Override
    public String toString() {
        return "ReorgPlan{" + spec.reorgId() + " on " + table + "}";
    }
}
